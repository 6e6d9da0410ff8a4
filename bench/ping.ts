// Ping answer time under load. The relay serves two agents: "market" on the
// sandbox, which takes a 1 000-hiring burst while a worker streams progress
// chunks (task_emit_chunk) through the relay, and "pinger" on a minimal upstream
// (support/ping-upstream.ts, its own process) that pings every 20 ms and times
// each answer. One relay process, one event loop: the pinger's figures are what
// any agent of a busy relay would see. The sandbox's own availability probes
// (one ping per hire, all 1 000 at once) are timed too, from the hiring's
// creation to the probe's result.
import type { Sandbox } from '../src/sandbox';
import { row, summarize, type BenchRow } from './stats';
import { startPingProbe } from './support/ping-probe';
import { startRelayProcess } from './support/relay-process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ROOT,
  benchSandbox,
  dispatchClock,
  dispatched,
  size,
  subscribedSession,
  tempDir,
  waitFor,
} from './support/util';
import { PendingWatcher } from './support/watcher';

const PING_EVERY_MS = 20;

/** Times each hire's availability probe: hiring created → probe answered (a ping round trip through the relay). */
function probeClock(sandbox: Sandbox): { samples: number[]; stop(): void } {
  const created = new Map<string, number>();
  const samples: number[] = [];
  const onHiring = (e: { id: string; change: string }) => {
    if (e.change === 'created') created.set(e.id, performance.now());
  };
  const onProbe = (p: { hiringId: string; method: string }) => {
    const t0 = created.get(p.hiringId);
    if (t0 !== undefined && p.method === 'ping') samples.push(performance.now() - t0);
  };
  sandbox.events.on('hiring', onHiring);
  sandbox.events.on('probe', onProbe);
  return {
    samples,
    stop() {
      sandbox.events.off('hiring', onHiring);
      sandbox.events.off('probe', onProbe);
    },
  };
}

/** A worker streaming progress through the relay, `lanes` calls in flight, until stopped. */
interface ChunkStream {
  /** Chunks the relay accepted so far. */
  sent(): number;
  stop(): Promise<number>;
}

function streamChunks(watcher: PendingWatcher, hiringId: string, lanes: number): ChunkStream {
  let running = true;
  let sent = 0;
  const lane = async (n: number) => {
    try {
      while (running) {
        await watcher.callTool('task_emit_chunk', {
          hiring_id: hiringId,
          content: `lane ${n} step ${sent}: ${'compiling module… '.repeat(8)}`,
          kind: 'log',
        });
        sent += 1;
      }
    } catch {
      // The watcher closed under us (the benchmark is ending early): stop streaming.
      running = false;
    }
  };
  const all = Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  return {
    sent: () => sent,
    async stop() {
      running = false;
      await all;
      return sent;
    },
  };
}

/** One relay with two agents: "market" on a sandbox, "pinger" on the ping probe; a subscriber on market. */
interface PingWorld {
  sandbox: Sandbox;
  probe: Awaited<ReturnType<typeof startPingProbe>>;
  market: { id: string };
  watcher: PendingWatcher;
}

async function withPingWorld<T>(
  label: string,
  nodeArgs: string[],
  fn: (w: PingWorld, streams: ChunkStream[]) => Promise<T>,
): Promise<T> {
  const sandbox = await benchSandbox();
  const probe = await startPingProbe(PING_EVERY_MS);
  const tmp = tempDir(`bench-ping-${label}-`);
  const market = sandbox.registerAgent({ name: `ping bench ${label} market agent` });
  const relay = await startRelayProcess({
    agents: [
      { name: 'market', baseUrl: sandbox.url, apiKey: market.apiKey },
      { name: 'pinger', baseUrl: probe.url, apiKey: 'bench-pinger-key-not-secret' },
    ],
    stateDir: tmp.dir,
    review: 'off',
    nodeArgs,
  });
  let watcher: PendingWatcher | undefined;
  const streams: ChunkStream[] = [];
  try {
    await waitFor('the relay to subscribe on the sandbox', () => subscribedSession(sandbox, market.id));
    await probe.subscribed;
    watcher = await PendingWatcher.connect(relay.url, relay.workerToken('market'));
    return await fn({ sandbox, probe, market, watcher }, streams);
  } finally {
    for (const st of streams) await st.stop();
    await watcher?.close();
    await relay.stop();
    await probe.close();
    await sandbox.close();
    tmp.remove();
  }
}

/**
 * The same pinger while the journal's disk is slow: a test double (support/slow-fsync.mjs,
 * preloaded into the relay) holds every fsync 200 ms, while 100 hirings arrive and a worker
 * streams chunks (each journaled). Pings must not wait for the disk.
 */
async function slowDisk(): Promise<BenchRow[]> {
  const delayMs = 200; // slow-fsync.mjs's default
  const preload = ['--import', pathToFileURL(join(ROOT, 'bench', 'support', 'slow-fsync.mjs')).href];
  return withPingWorld('slow-disk', preload, async ({ sandbox, probe, market, watcher }, streams) => {
    const first = await sandbox.hire(market.id, { task_description: 'Long task that streams progress' });
    await watcher.waitForAll([first.id]);
    const clock = dispatchClock(sandbox);
    probe.record();
    const stream = streamChunks(watcher, first.id, 4);
    streams.push(stream);
    const burst = size(100, 50);
    const hirings = await Promise.all(
      Array.from({ length: burst }, (_, i) => sandbox.hire(market.id, { task_description: `Slow disk hiring ${i}` })),
    );
    const { ids, failed } = dispatched(hirings);
    await watcher.waitForAll(ids);
    // Keep the disk busy (chunks are journaled too) for a window long enough for many pings.
    const until = Date.now() + size(3000, 1000);
    await waitFor('the slow-disk window', () => Date.now() >= until, 10_000, 50);
    const loaded = await probe.report();
    clock.stop();
    const chunks = await stream.stop();
    const s = summarize(loaded.samples);
    const seen = summarize(
      ids.flatMap((id) => {
        const t0 = clock.at.get(id);
        const t1 = watcher.firstSeen.get(id);
        return t0 !== undefined && t1 !== undefined ? [t1 - t0] : [];
      }),
    );
    return [
      row('ping', `ping answer while the journal's disk is slow (fsync +${delayMs} ms)`, 'ms', s, {
        target: 'p99 < 20 ms',
        met: s.p99 < 20 && loaded.unanswered === 0,
        note:
          `n=${s.n}, unanswered ${loaded.unanswered}; ${burst} hirings (subscriber saw them after median ` +
          `${seen.median.toFixed(0)} ms: each waits for its fsync) + ${chunks} chunks in ${size(3, 1)}+ s` +
          (failed ? `; ${failed} probes unanswered` : ''),
      }),
    ];
  });
}

export async function benchPing(): Promise<BenchRow[]> {
  return [...(await underBurst()), ...(await slowDisk())];
}

async function underBurst(): Promise<BenchRow[]> {
  const burst = size(1000, 200);
  return withPingWorld('burst', [], async ({ sandbox, probe, market, watcher }, streams) => {
    // Idle: nothing but the pings.
    probe.record();
    const idleUntil = Date.now() + size(2000, 1000);
    await waitFor('the idle window', () => Date.now() >= idleUntil, 10_000, 50);
    const idle = await probe.report();

    // A worker streams progress on one hiring (4 calls in flight).
    const first = await sandbox.hire(market.id, { task_description: 'Long task that streams progress' });
    await watcher.waitForAll([first.id]);
    const stream = streamChunks(watcher, first.id, 4);
    streams.push(stream);
    probe.record();
    const streamUntil = Date.now() + size(3000, 1000);
    await waitFor('the streaming window', () => Date.now() >= streamUntil, 10_000, 50);
    const streaming = await probe.report();
    const streamedAlone = stream.sent();

    // Then the burst while chunks keep flowing.
    const probes = probeClock(sandbox);
    probe.record();
    const t0 = performance.now();
    const hirings = await Promise.all(
      Array.from({ length: burst }, (_, i) => sandbox.hire(market.id, { task_description: `Burst hiring ${i}` })),
    );
    const { ids, failed } = dispatched(hirings);
    await watcher.waitForAll(ids);
    const loadMs = performance.now() - t0;
    const loaded = await probe.report();
    probes.stop();
    const chunks = (await stream.stop()) - streamedAlone;

    const idleS = summarize(idle.samples);
    const streamS = summarize(streaming.samples);
    const loadS = summarize(loaded.samples);
    const probeS = summarize(probes.samples);
    return [
      row('ping', 'ping answer, relay idle', 'ms', idleS, {
        note: `n=${idleS.n}, every ${PING_EVERY_MS} ms, unanswered ${idle.unanswered}`,
      }),
      row('ping', 'ping answer while a worker streams chunks', 'ms', streamS, {
        note: `n=${streamS.n}, unanswered ${streaming.unanswered}; ${streamedAlone} chunks in ${size(3000, 1000) / 1000} s`,
      }),
      row('ping', `ping answer during a ${burst}-hiring burst + chunk stream`, 'ms', loadS, {
        target: 'p99 < 20 ms',
        met: loadS.p99 < 20 && loaded.unanswered === 0,
        note: `n=${loadS.n}, unanswered ${loaded.unanswered}; load lasted ${(loadMs / 1000).toFixed(1)} s, ${chunks} chunks streamed`,
      }),
      row('ping', `availability probe (1 ping per hire, ${burst} at once)`, 'ms', probeS, {
        target: 'max < 3000 ms',
        met: probeS.max < 3000,
        note: `n=${probeS.n}; created → probe answered, sandbox side${failed ? `; ${failed} unanswered in 3 s (hirings failed)` : ''}`,
      }),
    ];
  });
}
