// kill -9 of the built relay at random moments of a run of hirings — some right
// when the platform has accepted a result but before the relay heard the answer
// — then a restart on the same state dir each time. At the end, as the sandbox
// records it: zero lost (every hiring finished as the worker decided), zero
// delivered twice (one accepted final delivery and one idempotency key per
// hiring), and no secret in the state dir or the relay's log.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index';
import { TOOL } from '../../src/shared/protocol';
import { tempDir } from '../inbox/helpers';

import { quietSandbox, startCallbackServer } from '../upstream/helpers';
import { hireOverTime } from '../support/hirer';
import { allFinished, countChatter, describeChatter, describeVerdicts, readLedger } from '../support/ledger';
import { relayFileOf, startRelayProcess, type RelayProcess } from '../support/relay-process';
import { between, envInt, faultSeed, fork } from '../support/seed';
import { startWorker, type Worker } from '../support/worker';
import { waitFor } from '../support/wait';

const TOTAL = envInt('KILL_HIRINGS', 500);
const KILLS = envInt('KILL_COUNT', 8);
const PUSH_EVERY = 10;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('kill -9 of the relay during a run of hirings', () => {
  const seed = faultSeed('kill');
  const rand = fork(seed, 1);
  const state = tempDir('faults-kill-');
  let sb: Sandbox;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let relay: RelayProcess | undefined;
  let worker: Worker | undefined;
  const stderrs: string[] = [];

  beforeAll(async () => {
    // No REST rate limit: the run is about crashes, and 500 hirings through REST fallbacks would hit it.
    sb = await quietSandbox({ rateLimitPerMinute: 0 });
    // The platform probes with HEAD callback_url when no session answers: hirings made while the relay is down still start.
    callback = await startCallbackServer();
  });

  afterAll(async () => {
    await worker?.stop();
    await relay?.kill('SIGTERM');
    await callback?.close();
    await sb?.close();
    state.cleanup();
  });

  it(`loses no hiring and delivers none twice across ${KILLS} kills`, async () => {
    const agent = sb.registerAgent({ name: 'kill-9 agent', metadata: { callback_url: callback.url } });
    const start = () =>
      startRelayProcess({ upstream: sb.url, stateDir: state.dir, apiKey: agent.apiKey, review: 'off' });
    relay = await start();
    worker = startWorker({
      locate: () => {
        const f = relayFileOf(state.dir);
        return f ? { url: f.url, token: f.workerTokens.default } : undefined;
      },
      pollMs: 300,
      chatter: true,
    });

    // The kill plan: at these hiring counts, either after a short random delay or at the
    // very moment the platform accepts the next result (the relay has not heard the answer yet).
    const plan = Array.from({ length: KILLS }, (_, i) => ({
      at: Math.floor(((i + 0.5 + (rand() - 0.5) * 0.8) / KILLS) * TOTAL * 0.9) + 1,
      midDelivery: i % 2 === 0,
      delayMs: between(rand, 0, 400),
    })).sort((a, b) => a.at - b.at);
    let armed: (typeof plan)[number] | undefined;
    let kills = 0;
    let killsMidDelivery = 0;
    let restarting: Promise<void> | undefined;

    const killNow = (midDelivery: boolean) => {
      const victim = relay;
      if (!victim || restarting) return;
      armed = undefined;
      kills += 1;
      if (midDelivery) killsMidDelivery += 1;
      // Synchronous: from inside the sandbox's delivery handler, before the answer is written.
      victim.child.kill('SIGKILL');
      restarting = (async () => {
        await victim.exited;
        stderrs.push(victim.stderr());
        relay = await start();
        restarting = undefined;
      })();
    };
    const onDelivery = (a: { tool: string; outcome: string }) => {
      if (armed?.midDelivery && a.tool === TOOL.submitResult && a.outcome === 'accepted') killNow(true);
    };
    sb.events.on('delivery', onDelivery);

    const run = hireOverTime(sb, agent.id, {
      total: TOTAL,
      window: 40,
      parallel: 4,
      mode: (i) => {
        if (i % PUSH_EVERY !== PUSH_EVERY - 1) return 'output';
        // Push hirings alternate between the GitHub-like host and a plain git host (no REST API).
        sb.knobs.repoHost = Math.floor(i / PUSH_EVERY) % 2 === 0 ? 'github' : 'plain';
        return 'push';
      },
      onHired: (count) => {
        while (plan.length > 0 && count >= plan[0].at && !armed && !restarting) {
          const next = plan.shift();
          if (!next) break;
          armed = next;
          if (!next.midDelivery) setTimeout(() => armed === next && killNow(false), next.delayMs);
        }
      },
    });
    const ids = await run.done;
    // Kills whose moment never came (the run was faster than the plan) happen now, while deliveries finish.
    for (const k of [armed, ...plan]) {
      if (!k || allFinished(sb, ids)) break;
      await waitFor('the relay to restart', () => !restarting, 30_000);
      armed = k;
      if (!k.midDelivery) killNow(false);
      else await waitFor('a delivery to kill the relay in', () => armed !== k || allFinished(sb, ids), 60_000);
    }
    armed = undefined;
    await waitFor('the last restart', () => !restarting, 30_000);
    sb.events.off('delivery', onDelivery);

    await waitFor(`all ${ids.length} hirings to finish on the sandbox`, () => allFinished(sb, ids), 120_000);
    const isPush = new Set(ids.filter((id) => sb.hiring(id)?.deliveryMode === 'push'));
    const onPlainHost = [...isPush].filter((id) => !String(sb.hiring(id)?.hiring.repo_url).startsWith(sb.url)).length;
    const ledger = readLedger(sb, ids, (id) => (isPush.has(id) ? 'failed' : 'completed'));
    console.log(
      `[faults] kill: ${ids.length} hirings (${isPush.size} push, ${onPlainHost} of them on a plain git host), ${kills} kills (${killsMidDelivery} mid-delivery), ` +
        `${ledger.attempts} final delivery attempts (${ledger.repeats} repeats), worker reconnects ${worker.stats.lostConnections}`,
    );

    // Messages and chunks, counted where the client sees them.
    const talk = countChatter(sb, ids, worker.stats.acknowledged);
    console.log(`[faults] kill: ${describeChatter(talk)}`);
    expect(talk.messages.doubled, 'messages the client saw twice').toEqual([]);
    expect(talk.messages.missing, 'acknowledged messages the client never saw').toEqual([]);
    expect(talk.chunks.doubled, 'progress lines the client saw twice').toEqual([]);

    expect(ledger.lost, `lost hirings:\n${describeVerdicts(ledger.lost)}`).toEqual([]);
    expect(ledger.doubled, `delivered twice:\n${describeVerdicts(ledger.doubled)}`).toEqual([]);
    expect(
      ids.every((id) => worker?.stats.seen.has(id)),
      'every hiring reached the worker',
    ).toBe(true);
    expect(worker.stats.unexpected, 'the relay refused the worker for no good reason').toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(Math.min(KILLS, 1));
    // The failure reasons the platform shows are the worker's own.
    for (const id of isPush) expect(sb.hiring(id)?.failedReason).toContain(`worker cannot push for ${id}`);

    // No secret on disk: the agent key, the hirer's token and every repository token.
    await worker.stop();
    worker = undefined;
    stderrs.push(relay.stderr());
    const secrets = [
      agent.apiKey,
      sb.userToken,
      ...[...isPush].map((id) => sb.hiring(id)?.hiring.repo_access_token ?? ''),
    ].filter((s) => s.length >= 8);
    expect(secrets.length).toBeGreaterThan(2);
    const leaks: string[] = [];
    for (const file of filesUnder(state.dir)) {
      const text = readFileSync(file, 'utf8');
      for (const s of secrets) if (text.includes(s)) leaks.push(`${file} holds ${s.slice(0, 4)}…`);
    }
    stderrs.forEach((text, i) =>
      secrets.forEach((s) => text.includes(s) && leaks.push(`stderr of run ${i} holds ${s.slice(0, 4)}…`)),
    );
    expect(leaks).toEqual([]);
  });
});
