// A bounded soak of the built relay: steady hiring traffic and periodic stream
// drops for SOAK_SECONDS (default 120), the relay's resident memory sampled from
// /proc all along. Memory must hold flat — the median of the last third of the
// run may not sit much above the median of the first third (after warm-up); that
// catches a leak per hiring or per reconnect, not a slow machine — and every
// hiring must be delivered exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index';
import { tempDir } from '../inbox/helpers';

import { quietSandbox, startCallbackServer } from '../upstream/helpers';
import { hireOverTime } from '../support/hirer';
import { allFinished, describeVerdicts, readLedger } from '../support/ledger';
import { relayFileOf, rssBytes, startRelayProcess, type RelayProcess } from '../support/relay-process';
import { between, envInt, faultSeed, fork } from '../support/seed';
import { startWorker, type Worker } from '../support/worker';
import { waitFor } from '../support/wait';

const SECONDS = envInt('SOAK_SECONDS', 120);
const DROP_EVERY_MS = envInt('SOAK_DROP_MS', 15_000);
/** Warm-up excluded from the comparison: JIT, first journal compactions, buffers growing to size. */
const WARMUP = 0.2;
/** Allowed growth of the last third over the first: a real leak (per hiring, per session) grows without bound. */
const MAX_GROWTH_MB = envInt('SOAK_MAX_GROWTH_MB', 30);
const MAX_GROWTH_RATIO = 0.25;

const MB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
}

describe('soak: steady traffic and stream drops', () => {
  const seed = faultSeed('soak');
  const rand = fork(seed, 2);
  const state = tempDir('faults-soak-');
  let sb: Sandbox;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let relay: RelayProcess | undefined;
  let worker: Worker | undefined;

  beforeAll(async () => {
    // A fast relay completes thousands of hirings here; the hirer's default balance would run dry.
    sb = await quietSandbox({ rateLimitPerMinute: 0, startingBalance: '100000000.00' });
    callback = await startCallbackServer();
  });

  afterAll(async () => {
    await worker?.stop();
    await relay?.kill('SIGTERM');
    await callback?.close();
    await sb?.close();
    state.cleanup();
  });

  it(`holds memory flat over ${SECONDS} s and delivers everything`, async () => {
    const agent = sb.registerAgent({ name: 'soak agent', metadata: { callback_url: callback.url } });
    relay = await startRelayProcess({
      upstream: sb.url,
      stateDir: state.dir,
      apiKey: agent.apiKey,
      review: 'off',
      logLevel: 'warn',
    });
    const pid = relay.pid;
    worker = startWorker({
      locate: () => {
        const f = relayFileOf(state.dir, pid);
        return f ? { url: f.url, token: f.workerTokens.default } : undefined;
      },
      pollMs: 500,
    });

    const endAt = Date.now() + SECONDS * 1000;
    const samples: { at: number; rss: number }[] = [];
    const sampler = setInterval(() => {
      const rss = rssBytes(pid);
      if (rss !== undefined) samples.push({ at: Date.now(), rss });
    }, 500);
    let drops = 0;
    let dropTimer: NodeJS.Timeout | undefined;
    const scheduleDrop = () => {
      dropTimer = setTimeout(
        () => {
          drops += sb.dropSessions(agent.id) > 0 ? 1 : 0;
          scheduleDrop();
        },
        between(rand, DROP_EVERY_MS / 2, (DROP_EVERY_MS * 3) / 2),
      );
    };
    scheduleDrop();

    // Steady traffic: a small window of open hirings, refilled as they finish, until time is up.
    const run = hireOverTime(sb, agent.id, {
      total: Number.MAX_SAFE_INTEGER,
      window: 10,
      parallel: 2,
      stopped: () => Date.now() >= endAt,
    });
    const ids = await run.done;
    clearTimeout(dropTimer);
    await waitFor(`all ${ids.length} hirings to finish`, () => allFinished(sb, ids), 90_000);
    clearInterval(sampler);

    const t0 = samples[0]?.at ?? 0;
    const span = (samples.at(-1)?.at ?? t0) - t0;
    const steady = samples.filter((s) => s.at - t0 >= span * WARMUP);
    const third = Math.floor(steady.length / 3);
    const first = median(steady.slice(0, third).map((s) => s.rss));
    const last = median(steady.slice(-third).map((s) => s.rss));
    const growth = last - first;
    const ledger = readLedger(sb, ids);
    console.log(
      `[faults] soak: ${SECONDS} s, ${ids.length} hirings, ${drops} stream drops, ${samples.length} RSS samples; ` +
        `RSS first third ${(first / MB).toFixed(1)} MB, last third ${(last / MB).toFixed(1)} MB (growth ${(growth / MB).toFixed(1)} MB), ` +
        `peak ${(Math.max(...samples.map((s) => s.rss)) / MB).toFixed(1)} MB; worker reconnects ${worker.stats.lostConnections}`,
    );

    expect(third).toBeGreaterThan(3);
    expect(ids.length).toBeGreaterThan(10);
    expect(ledger.lost, `lost hirings:\n${describeVerdicts(ledger.lost)}`).toEqual([]);
    expect(ledger.doubled, `delivered twice:\n${describeVerdicts(ledger.doubled)}`).toEqual([]);
    expect(growth, `RSS grew from ${(first / MB).toFixed(1)} MB to ${(last / MB).toFixed(1)} MB`).toBeLessThanOrEqual(
      Math.max(MAX_GROWTH_MB * MB, first * MAX_GROWTH_RATIO),
    );
  });
});
