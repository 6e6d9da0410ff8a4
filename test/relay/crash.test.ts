// The built relay CLI killed with SIGKILL in the middle of deliveries, then
// restarted on the same state dir: every hiring still reaches the worker, every
// result reaches the platform exactly once (as the sandbox records it), the
// worker's token keeps working, and no agent key lands on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { readRelayFile, relayFilePath } from '../../src/relay/relay-file';
import { streamableClient, key, type TestClient } from '../downstream/helpers';
import { quiet, tempDir } from './helpers';
import { waitFor } from '../support/wait';

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe('the relay CLI killed mid-delivery and restarted', () => {
  let sandbox: Sandbox;
  let agent: { id: string; apiKey: string };
  let bundle: string;
  let stateDir: string;
  const work = tempDir('relay-crash-');

  beforeAll(async () => {
    bundle = join(work, 'relay.cjs');
    await build({
      entryPoints: ['src/relay/cli.ts'],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
    });
    sandbox = await startSandbox({ log: quiet() });
    agent = sandbox.registerAgent({ name: 'crash-test agent' });
    stateDir = join(work, 'state');
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  });

  function startCli(): Child {
    const proc = spawn(
      process.execPath,
      [bundle, '--upstream', sandbox.url, '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--review', 'off'],
      {
        env: { PATH: process.env.PATH, HOME: work, AGRENTING_API_KEY: agent.apiKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    return { proc, output: () => out, exited };
  }

  async function attach(child: Child): Promise<TestClient> {
    const file = await waitFor(
      `relay.json of pid ${child.proc.pid}`,
      () => {
        const f = readRelayFile(stateDir);
        return f && f.pid === child.proc.pid ? f : undefined;
      },
      20_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n--- relay output ---\n${child.output()}`);
    });
    await waitFor('the relay to connect upstream', () => sandbox.sessionCount(agent.id) > 0, 20_000);
    return streamableClient(file.url, key(file.workerTokens.default));
  }

  async function pendingIds(c: TestClient): Promise<string[]> {
    const r = await c.client.readResource({ uri: 'hiring://pending' });
    const first = r.contents[0];
    return (JSON.parse('text' in first ? String(first.text) : '[]') as { id: string }[]).map((h) => h.id);
  }

  const accepted = (id: string) =>
    (sandbox.hiring(id)?.deliveries ?? []).filter((d) => d.tool === 'submit_hiring_result' && d.outcome === 'accepted')
      .length;

  it('never loses a hiring and never doubles a result', async () => {
    const first = startCli();
    let worker = await attach(first);
    const tokenBefore = readRelayFile(stateDir)?.workerTokens.default;
    expect(statSync(relayFilePath(stateDir)).mode & 0o777).toBe(0o600);

    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) submitted.push((await sandbox.hire(agent.id, { task_description: `Task ${i}` })).id);
    const unseen = (await sandbox.hire(agent.id, { task_description: 'Arrives just before the crash' })).id;
    await waitFor('all four hirings downstream', async () => {
      const ids = await pendingIds(worker);
      return [...submitted, unseen].every((id) => ids.includes(id));
    });

    // Slow answers keep the deliveries in flight when the process dies.
    sandbox.knobs.latencyMs = 400;
    for (const id of submitted) {
      const r = await worker.client.callTool({
        name: 'submit_hiring_result',
        arguments: { hiring_id: id, output: `result of ${id}` },
      });
      expect(r.isError).toBeFalsy();
    }
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // Killed before the relay had recorded the platform's answer to every delivery.
    const answered = readFileSync(join(stateDir, 'outbox.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"t":"end"')).length;
    expect(answered).toBeLessThan(submitted.length);
    await worker.close().catch(() => undefined);
    sandbox.knobs.latencyMs = 0;
    // Killed: relay.json is left behind, with the dead pid.
    expect(readRelayFile(stateDir)?.pid).toBe(first.proc.pid);

    const second = startCli();
    try {
      worker = await attach(second);
      expect(readRelayFile(stateDir)?.workerTokens.default).toBe(tokenBefore);
      await waitFor(
        'every result delivered',
        () => submitted.every((id) => sandbox.hiring(id)?.status === 'completed'),
        20_000,
      );
      for (const id of submitted) {
        expect(accepted(id)).toBe(1);
        expect(sandbox.hiring(id)?.output).toBe(`result of ${id}`);
      }
      // The hiring the worker never worked is still there for it.
      expect(await pendingIds(worker)).toContain(unseen);
      await worker.close();
    } finally {
      second.proc.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
    expect(readRelayFile(stateDir)).toBeUndefined();

    // No agent key anywhere in the state dir: journals, tokens, log.
    const files = allFiles(stateDir);
    expect(files.map((f) => f.slice(stateDir.length + 1))).toEqual(
      expect.arrayContaining(['hirings.jsonl', 'outbox.jsonl', 'relay.log']),
    );
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(agent.apiKey);
    expect(first.output() + second.output()).not.toContain(agent.apiKey);
  });
});
