// Shared set-up for the relay's integration tests: a real sandbox marketplace,
// a real relay on port 0 in a temporary state dir, short timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, memoryLogger, type Logger } from '../../src/shared/log';
import { startSandbox, type Knobs, type Sandbox } from '../../src/sandbox';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { Caller } from '../../src/relay/types';
import { waitFor } from '../support/wait';

export const quiet = (): Logger => createLogger('test', { level: 'error' });

export function tempDir(prefix = 'relay-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface World {
  sandbox: Sandbox;
  agentId: string;
  apiKey: string;
  relay: Relay;
  stateDir: string;
  log: Logger & { lines: string[] };
  worker: Caller;
  operator: Caller;
  close(): Promise<void>;
}

export interface WorldOptions {
  review?: 'required' | 'off';
  knobs?: Partial<Knobs>;
  sandbox?: Sandbox;
  stateDir?: string;
  linkTiming?: Parameters<typeof startRelay>[0]['linkTiming'];
  reconcileMs?: number;
  runners?: Parameters<typeof startRelay>[0]['runners'];
  runnerTiming?: Parameters<typeof startRelay>[0]['runnerTiming'];
  env?: NodeJS.ProcessEnv;
}

export const AGENT = 'alice';

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const sandbox = opts.sandbox ?? (await startSandbox({ log: quiet(), knobs: opts.knobs }));
  const reg = sandbox.registerAgent({ name: 'Alice coder', capabilities: ['coding'] });
  const stateDir = opts.stateDir ?? tempDir();
  const log = memoryLogger('relay');
  const relay = await startRelay({
    agents: [{ name: AGENT, baseUrl: sandbox.url, apiKey: reg.apiKey, agentId: reg.id }],
    stateDir,
    port: 0,
    review: opts.review ?? 'required',
    logger: log,
    env: opts.env ?? {},
    durable: false,
    runners: opts.runners,
    runnerTiming: opts.runnerTiming,
    outboxBackoff: { baseMs: 20, capMs: 200 },
    reconcileMs: opts.reconcileMs,
    linkTiming: { backoffBaseMs: 20, backoffCapMs: 200, requestTimeoutMs: 5000, ...opts.linkTiming },
  });
  await waitFor('the link to connect', () => relay.status().links.every((l) => l.state === 'connected'));
  return {
    sandbox,
    agentId: reg.id,
    apiKey: reg.apiKey,
    relay,
    stateDir,
    log,
    worker: { role: 'worker', agent: AGENT, name: AGENT },
    operator: { role: 'operator', name: 'operator' },
    async close() {
      await relay.stop();
      if (!opts.sandbox) await sandbox.close();
      if (!opts.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Hires the world's agent and waits until the relay has the hiring. */
export async function hireAndSee(
  w: World,
  input: Parameters<Sandbox['hire']>[1] = { task_description: 'Write a slugify function' },
): Promise<string> {
  const h = await w.sandbox.hire(w.agentId, input);
  await waitFor(`hiring ${h.id} in the relay`, () =>
    w.relay.listActive(w.worker).some((v) => String(v.hiring.id) === h.id),
  );
  return h.id;
}

export function accepted(w: World, hiringId: string, tool = 'submit_hiring_result'): number {
  return (w.sandbox.hiring(hiringId)?.deliveries ?? []).filter((d) => d.tool === tool && d.outcome === 'accepted')
    .length;
}
