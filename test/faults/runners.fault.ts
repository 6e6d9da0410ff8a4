// kill -9 of the built relay while runners work hirings (auto-dispatch, the fake agent CLI taking
// 0.2–1 s a hiring), then a restart on the same state dir each time. At the end, as the sandbox
// records it: every hiring finished with exactly one accepted final delivery (completed, or failed
// with the "interrupted twice" report a run cut short twice becomes), no agent process left running,
// and no secret in the state dir.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index';
import { tempDir } from '../inbox/helpers';
import { waitFor } from '../support/wait';
import { quietSandbox, startCallbackServer } from '../upstream/helpers';
import { allFinished, describeVerdicts, readLedger } from '../support/ledger';
import { startRelayProcess, type RelayProcess } from '../support/relay-process';
import { between, envInt, faultSeed, fork } from '../support/seed';
import { FAKE_AGENT, pidAlive } from '../runners/helpers';

const TOTAL = envInt('RUNNER_KILL_HIRINGS', 24);
const KILLS = envInt('RUNNER_KILL_COUNT', 5);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('kill -9 of the relay while runners work', () => {
  const seed = faultSeed('runners');
  const rand = fork(seed, 1);
  const state = tempDir('faults-runners-');
  let sb: Sandbox;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let relay: RelayProcess | undefined;

  beforeAll(async () => {
    sb = await quietSandbox({ rateLimitPerMinute: 0 });
    callback = await startCallbackServer();
  });

  afterAll(async () => {
    await relay?.kill('SIGTERM');
    await callback?.close();
    await sb?.close();
    state.cleanup();
  });

  it(`finishes every hiring once across ${KILLS} kills and leaves no agent running`, async () => {
    const agent = sb.registerAgent({ name: 'runner kill agent', metadata: { callback_url: callback.url } });
    const runners = JSON.stringify([
      { name: 'slow', command: [process.execPath, FAKE_AGENT, 'slow'], autoDispatch: true, maxConcurrent: 3 },
    ]);
    const start = () =>
      startRelayProcess({
        upstream: sb.url,
        stateDir: state.dir,
        apiKey: agent.apiKey,
        review: 'off',
        env: { AGRENTING_RELAY_RUNNERS: runners },
      });
    relay = await start();

    const ids: string[] = [];
    let kills = 0;
    const killAfter = new Set(Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 1) * TOTAL) / (KILLS + 1))));
    for (let i = 0; i < TOTAL; i++) {
      const h = await sb.hire(agent.id, { task_description: `runner kill ${i}: write a slugify function` });
      ids.push(h.id);
      if (killAfter.has(i)) {
        // Kill while runs are in flight: after a random part of a typical run.
        await new Promise((r) => setTimeout(r, between(rand, 100, 700)));
        const victim = relay;
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        relay = await start();
      }
    }
    await waitFor(`all ${ids.length} hirings to finish on the sandbox`, () => allFinished(sb, ids), 120_000).catch(
      (e: unknown) => {
        // Say which hirings hang and what the relay last said of them, so a failure can be read from CI's log.
        const log = (() => {
          try {
            return readFileSync(join(state.dir, 'relay.log'), 'utf8').split('\n');
          } catch {
            return [];
          }
        })();
        const open = ids.filter((id) => !allFinished(sb, [id]));
        const lines = open.flatMap((id) => [
          `${id}: ${sb.hiring(id)?.status ?? 'unknown'}`,
          ...log.filter((l) => l.includes(id)).slice(-6),
        ]);
        throw new Error(`${(e as Error).message}\n${lines.join('\n')}`);
      },
    );

    const ledger = readLedger(sb, ids, (id) => (sb.hiring(id)?.status === 'failed' ? 'failed' : 'completed'));
    const failed = ids.filter((id) => sb.hiring(id)?.status === 'failed');
    console.log(
      `[faults] runners: ${ids.length} hirings, ${kills} kills, ${failed.length} failed after two interruptions (seed ${seed})`,
    );
    expect(ledger.lost, `lost hirings:\n${describeVerdicts(ledger.lost)}`).toEqual([]);
    expect(ledger.doubled, `delivered twice:\n${describeVerdicts(ledger.doubled)}`).toEqual([]);
    for (const id of failed) expect(sb.hiring(id)?.failedReason).toMatch(/interrupted twice/);
    expect(kills).toBe(KILLS);

    // Every agent process any relay started is gone, the orphans of killed relays included.
    const pids = filesUnder(join(state.dir, 'runs'))
      .filter((f) => f.endsWith('pids.txt'))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number));
    expect(pids.length).toBeGreaterThanOrEqual(ids.length);
    await waitFor('every agent process to end', () => pids.every((p) => !pidAlive(p)), 10_000);

    const leaks = filesUnder(state.dir).filter((f) => readFileSync(f, 'utf8').includes(agent.apiKey));
    expect(leaks).toEqual([]);
  });
});
