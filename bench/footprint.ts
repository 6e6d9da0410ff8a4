// Relay memory: the resident set (VmRSS from /proc/<pid>/status) of the relay
// CLI (`node dist/relay.js --config FILE`) once every agent is connected —
// idle with one agent, with 10 agents, and with 10 agents and 10 000 hirings in
// its journal (written beforehand with the inbox's own API, so the relay
// replays them at start). Sampled every 100 ms for 2 s after the links are up.
import type { Sandbox } from '../src/sandbox';
import { summarize, type BenchRow } from './stats';
import { fillJournal } from './support/journal-fill';
import { startRelayProcess, type BenchAgent } from './support/relay-process';
import { benchSandbox, size, subscribedSession, tempDir, waitFor } from './support/util';

const MB = 2 ** 20;

interface Footprint {
  rss: number[];
  startMs: number;
}

async function measureRelay(sandbox: Sandbox, agents: number, hirings: number): Promise<Footprint> {
  const regs = Array.from({ length: agents }, (_, i) => sandbox.registerAgent({ name: `footprint agent ${i}` }));
  const names = regs.map((_, i) => `agent-${i}`);
  const tmp = tempDir('bench-footprint-');
  try {
    if (hirings > 0) await fillJournal(tmp.dir, hirings, names);
    const list: BenchAgent[] = regs.map((r, i) => ({ name: names[i], baseUrl: sandbox.url, apiKey: r.apiKey }));
    const t0 = performance.now();
    const relay = await startRelayProcess({ agents: list, stateDir: tmp.dir });
    try {
      await waitFor('every agent subscribed', () => regs.every((r) => subscribedSession(sandbox, r.id)), 60_000, 10);
      const startMs = performance.now() - t0;
      const rss: number[] = [];
      const until = Date.now() + 2000;
      await waitFor(
        'the sampling window',
        () => {
          rss.push(relay.rss());
          return Date.now() >= until;
        },
        10_000,
        100,
      );
      return { rss, startMs };
    } finally {
      await relay.stop();
    }
  } finally {
    tmp.remove();
  }
}

export async function benchFootprint(): Promise<BenchRow[]> {
  const many = size(10_000, 2_000);
  const sandbox = await benchSandbox();
  try {
    const cases: { name: string; agents: number; hirings: number; target?: boolean }[] = [
      { name: 'relay RSS, idle (1 agent)', agents: 1, hirings: 0 },
      { name: 'relay RSS, 10 agents', agents: 10, hirings: 0 },
      {
        name: `relay RSS, 10 agents + ${many.toLocaleString('en-US')} hirings in the journal`,
        agents: 10,
        hirings: many,
        target: many === 10_000,
      },
    ];
    const rows: BenchRow[] = [];
    for (const c of cases) {
      const f = await measureRelay(sandbox, c.agents, c.hirings);
      const s = summarize(f.rss.map((b) => b / MB));
      rows.push({
        group: 'footprint',
        name: c.name,
        unit: 'MiB',
        median: s.median,
        max: s.max,
        ...(c.target ? { target: '< 80 MiB', met: s.max < 80 } : {}),
        note: `${s.n} samples over 2 s; start → all subscribed ${(f.startMs / 1000).toFixed(2)} s`,
      });
    }
    return rows;
  } finally {
    await sandbox.close();
  }
}
