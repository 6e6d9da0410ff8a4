// The relay behind a bad network: relay → chaos proxy → sandbox, with streams
// dropped, stalled and cut mid-frame and POSTs delayed, failed and reset (some
// after the platform acted on them). A worker attached to the relay works every
// hiring; review is off. Then chaos stops and the system settles. As the sandbox
// records it: every hiring reached the worker and was completed with exactly
// one accepted result and one idempotency key, and no platform ping went
// unanswered for 3 s unless the proxy was interfering with that session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { ProbeResult, Sandbox, SessionEvent } from '../../src/sandbox/index';
import { createLogger } from '../../src/shared/log';
import { TIMING } from '../../src/shared/protocol';
import { tempDir } from '../inbox/helpers';

import { quietSandbox, startCallbackServer } from '../upstream/helpers';
import { DEFAULT_CHAOS, startChaosProxy, type ChaosProxy, type ChaosRates } from '../support/chaos-proxy';
import { hireOverTime } from '../support/hirer';
import { allFinished, describeVerdicts, readLedger } from '../support/ledger';
import { envInt, faultSeed, fork, pick } from '../support/seed';
import { startWorker, type Worker } from '../support/worker';
import { countChatter, describeChatter } from '../support/ledger';
import { waitFor } from '../support/wait';

const TOTAL = envInt('CHAOS_HIRINGS', 200);
const PING_BUDGET = TIMING.pingBudgetMs;
/** Scales every fault rate of the proxy (percent of the defaults), to hunt harder locally. */
const RATE_PCT = envInt('CHAOS_RATE_PCT', 100);

interface PingSeen {
  session?: string;
  ok: boolean;
  detail: string;
  at: number;
}

describe('the relay behind a chaos proxy', () => {
  const seed = faultSeed('chaos');
  const state = tempDir('faults-chaos-');
  const problems: string[] = [];
  let sb: Sandbox;
  let proxy: ChaosProxy;
  let relay: Relay;
  let worker: Worker | undefined;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  const pings: PingSeen[] = [];

  beforeAll(async () => {
    // Keep-alive comments give the proxy frames to fault while nothing else happens; periodic
    // pings check the 3 s answer rule all along; no rate limit (REST fallbacks are many here).
    // The platform variants of protocol §8 the relay must handle, chosen by the seed.
    const vrand = fork(seed, 7);
    const variant = {
      postAnswer: pick(vrand, ['accepted', 'body'] as const),
      newHiringStatus: pick(vrand, ['in_progress', 'queued', 'paid'] as const),
      restPending: pick(vrand, ['paid', 'active'] as const),
    };
    console.log(`[faults] chaos: platform variant ${JSON.stringify(variant)}`);
    sb = await quietSandbox({
      ...variant,
      keepAliveMs: 700,
      ping: 'interval',
      pingIntervalMs: 1000,
      rateLimitPerMinute: 0,
    });
    sb.events.on('session', (e: SessionEvent) => {
      if (e.type === 'ping') pings.push({ session: e.id, ok: e.ok, detail: e.detail, at: Date.now() });
    });
    // The hire probe pings every live session; when none answers in time it falls back to HEAD.
    sb.events.on('probe', (p: ProbeResult) => {
      if (p.method === 'ping' || /answered ping/.test(p.detail)) {
        pings.push({ ok: p.method === 'ping' && p.ok, detail: p.detail, at: Date.now() });
      }
    });
    callback = await startCallbackServer();
    const rates = Object.fromEntries(
      Object.entries(DEFAULT_CHAOS).map(([k, v]) => [k, typeof v === 'number' ? Math.min(1, (v * RATE_PCT) / 100) : v]),
    ) as Partial<ChaosRates>;
    proxy = await startChaosProxy(sb.url, { seed, rates });
  });

  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await proxy?.close();
    await callback?.close();
    await sb?.close();
    state.cleanup();
  });

  it(`delivers ${TOTAL} hirings exactly once through dropped, stalled and cut streams and failing POSTs`, async () => {
    const agent = sb.registerAgent({ name: 'chaos agent', metadata: { callback_url: callback.url } });
    relay = await startRelay({
      agents: [{ name: 'chaos', baseUrl: proxy.url, apiKey: agent.apiKey, agentId: agent.id }],
      stateDir: state.dir,
      port: 0,
      review: 'off',
      durable: false,
      keepAliveMs: 0,
      logger: createLogger('relay', { level: 'warn', sink: (line, level) => level === 'error' && problems.push(line) }),
      linkTiming: {
        requestTimeoutMs: 4000,
        connectTimeoutMs: 3000,
        pingIntervalMs: 1000,
        pingTimeoutMs: 2000,
        backoffBaseMs: 50,
        backoffCapMs: 1000,
        stableResetMs: 5000,
        authRetryMs: 1000,
        safetyNetMs: 5000,
      },
      outboxBackoff: { baseMs: 100, capMs: 2000 },
    });
    worker = startWorker({
      locate: () => ({ url: relay.url, token: relay.tokens.workerTokens.chaos }),
      pollMs: 400,
      chatter: true,
    });

    const ids = await hireOverTime(sb, agent.id, { total: TOTAL, window: 30, parallel: 6 }).done;
    // Let the system settle: no new faults, stalled streams released.
    proxy.setChaos(false);
    const calmSince = Date.now();
    await waitFor(`all ${ids.length} hirings to finish on the sandbox`, () => allFinished(sb, ids), 120_000);
    // A few pings with no fault anywhere near them.
    await waitFor(
      'three pings after the chaos',
      () => pings.filter((p) => p.session && p.at - PING_BUDGET > calmSince).length >= 3,
      30_000,
    );

    const ledger = readLedger(sb, ids);
    const stats = proxy.stats();
    // A ping cut short because its session closed (the proxy cut it, or the relay gave up on a stalled stream) was not left unanswered while the session was up.
    const closedPings = pings.filter((p) => !p.ok && /closed/.test(p.detail));
    const failedPings = pings.filter((p) => !p.ok && !/closed/.test(p.detail));
    const unexcused = failedPings.filter((p) => !proxy.interfered(p.session, p.at - PING_BUDGET - 500, p.at));
    const calm = pings.filter((p) => p.at - PING_BUDGET > calmSince);
    console.log(
      `[faults] chaos: ${ids.length} hirings; proxy ${stats.streams} streams, ${stats.frames} frames, ${stats.requests} requests; ` +
        `faults ${JSON.stringify(stats.faults)}; ${ledger.attempts} final delivery attempts (${ledger.repeats} repeats); ` +
        `pings ${pings.length} (${failedPings.length} unanswered, ${unexcused.length} of them outside injected faults; ${closedPings.length} cut by a closing session); ` +
        `relay reconnects ${relay.status().links[0]?.reconnects}; relay errors logged ${problems.length}`,
    );

    expect(stats.faults.drop + stats.faults.stall + stats.faults.truncate, 'stream faults injected').toBeGreaterThan(0);
    expect(
      stats.faults.fail + stats.faults['reset-before'] + stats.faults['reset-after'] + stats.faults.delay,
      'request faults injected',
    ).toBeGreaterThan(0);
    expect(
      ids.filter((id) => !worker?.stats.seen.has(id)),
      'hirings that never reached the worker',
    ).toEqual([]);
    const talk = countChatter(sb, ids, worker.stats.acknowledged);
    console.log(`[faults] chaos: ${describeChatter(talk)}`);
    expect(stats.faults.slow, 'tool calls answered past the relay timeout').toBeGreaterThan(0);
    expect(talk.messages.doubled, 'messages the client saw twice').toEqual([]);
    expect(talk.messages.missing, 'acknowledged messages the client never saw').toEqual([]);
    expect(talk.chunks.doubled, 'progress lines the client saw twice').toEqual([]);
    expect(ledger.lost, `lost hirings:\n${describeVerdicts(ledger.lost)}`).toEqual([]);
    expect(ledger.doubled, `delivered twice:\n${describeVerdicts(ledger.doubled)}`).toEqual([]);
    // After settling, the relay agrees with the platform: nothing finished there is open work here
    // (see bugs.fault.ts, BUG 1: a stale read reopens completed hirings).
    const views = new Map(
      relay.listAll({ role: 'operator', name: 'fault-suite' }).map((v) => [String(v.hiring.id), v.phase]),
    );
    expect(
      ids.filter((id) => views.get(id) !== 'done').map((id) => `${id}: ${views.get(id)}`),
      'hirings the relay does not show as done',
    ).toEqual([]);
    expect(worker.stats.unexpected).toEqual([]);
    expect(unexcused, 'pings unanswered for 3 s while the proxy was not interfering').toEqual([]);
    expect(calm.length).toBeGreaterThanOrEqual(3);
    expect(
      calm.filter((p) => !p.ok),
      'pings unanswered after the chaos stopped',
    ).toEqual([]);
  });
});
