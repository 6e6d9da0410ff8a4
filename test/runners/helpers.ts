// Runner test set-up: the fake agent CLI as a runner command, and a world with runners.
import { join } from 'node:path';
import type { RunnerConfigInput } from '../../src/relay/runners/config';

export const FAKE_AGENT = join(__dirname, 'fake-agent.mjs');

/** A runner that starts the fake agent in `mode` (node by absolute path: the child's PATH is the test's choice). */
export function fakeRunner(mode: string, extra: Partial<RunnerConfigInput> = {}): RunnerConfigInput {
  return { name: mode, command: [process.execPath, FAKE_AGENT, mode], ...extra };
}

export const FAST = { graceMs: 300, chunkIntervalMs: 50, logEventMs: 20 };

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The demo agent as a script of its own (what `agrenting-relay demo-agent` runs), bundled into `dir`. */
export async function buildDemoAgent(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'demo-agent.js');
  await build({
    stdin: {
      contents: "require('./demo-agent').runDemoAgent().then((code) => { process.exitCode = code; });",
      resolveDir: join(__dirname, '../../src/relay/runners'),
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'warning',
  });
  return outfile;
}
