// How the relay's cost grows with what it holds: a burst of 100 hirings to one agent while
// the relay holds 1 000, 10 000 or 100 000 active hirings (replayed from its journal, spread
// over the agents) and serves 1, 10 or 50 agents. The subscriber reads
// hiring://pending?since=<cursor> on each notification (only what changed), so its reads
// do not grow with the store either. RSS is sampled once every agent is subscribed (before
// the subscriber's first, whole-list read) and again after the burst.
import type { Sandbox } from '../src/sandbox';
import { row, summarize, type BenchRow } from './stats';
import { fillJournal } from './support/journal-fill';
import { startRelayProcess, type BenchAgent } from './support/relay-process';
import { benchSandbox, dispatchClock, dispatched, size, subscribedSession, tempDir, waitFor } from './support/util';
import { PendingWatcher } from './support/watcher';

const MB = 2 ** 20;
const BURST = 100;

export async function scalingCase(sandbox: Sandbox, agents: number, held: number): Promise<BenchRow> {
  const regs = Array.from({ length: agents }, (_, i) => sandbox.registerAgent({ name: `scaling ${held} ${i}` }));
  const names = regs.map((_, i) => `agent-${i}`);
  const tmp = tempDir('bench-scaling-');
  try {
    await fillJournal(tmp.dir, held, names);
    const list: BenchAgent[] = regs.map((r, i) => ({ name: names[i], baseUrl: sandbox.url, apiKey: r.apiKey }));
    const t0 = performance.now();
    const relay = await startRelayProcess({ agents: list, stateDir: tmp.dir });
    let watcher: PendingWatcher | undefined;
    try {
      await waitFor('every agent subscribed', () => regs.every((r) => subscribedSession(sandbox, r.id)), 120_000, 10);
      const startS = (performance.now() - t0) / 1000;
      const rssHeld = relay.rss() / MB;
      watcher = await PendingWatcher.connect(relay.url, relay.workerToken(names[0]), 'bench-scaling', 'since');
      const w = watcher;
      await waitFor('the first read', () => w.reads > 0, 120_000, 10);
      const clock = dispatchClock(sandbox);
      const hirings = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          sandbox.hire(regs[0].id, { task_description: `Scaling burst ${i}: write a slugify function` }),
        ),
      );
      const { ids, failed } = dispatched(hirings);
      await w.waitForAll(ids);
      clock.stop();
      const samples = ids.flatMap((id) => {
        const a = clock.at.get(id);
        const b = w.firstSeen.get(id);
        return a !== undefined && b !== undefined ? [b - a] : [];
      });
      const rssAfter = relay.rss() / MB;
      const s = summarize(samples);
      return row(
        'scaling',
        `burst of ${BURST}, ${held.toLocaleString('en-US')} held, ${agents} agent${agents > 1 ? 's' : ''}`,
        'ms',
        s,
        {
          note:
            `RSS ${rssHeld.toFixed(0)} MiB held, ${rssAfter.toFixed(0)} after; start → subscribed ${startS.toFixed(1)} s` +
            (failed ? `; ${failed} probes unanswered` : ''),
        },
      );
    } finally {
      await watcher?.close();
      await relay.stop();
    }
  } finally {
    tmp.remove();
  }
}

export async function benchScaling(): Promise<BenchRow[]> {
  const heldSizes = [size(1_000, 500), size(10_000, 2_000), size(100_000, 5_000)];
  const agentCounts = [1, size(10, 3), size(50, 5)];
  const rows: BenchRow[] = [];
  for (const agents of agentCounts) {
    for (const held of heldSizes) {
      // A fresh sandbox per case: its own sessions and hirings do not pile up across cases.
      const sandbox = await benchSandbox();
      try {
        rows.push(await scalingCase(sandbox, agents, held));
      } finally {
        await sandbox.close();
      }
    }
  }
  return rows;
}
