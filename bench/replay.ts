// Journal replay on restart: HiringStore.open on a journal of 10 000 and
// 100 000 hirings written with the inbox's own API.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { HiringStore } from '../src/relay/inbox';
import { row, summarize, type BenchRow } from './stats';
import { fillJournal } from './support/journal-fill';
import { quietLogger, size, tempDir } from './support/util';

async function replayTimes(count: number, runs: number): Promise<{ ms: number[]; bytes: number; loaded: number }> {
  const tmp = tempDir('bench-replay-');
  try {
    await fillJournal(tmp.dir, count);
    const bytes = statSync(join(tmp.dir, 'hirings.jsonl')).size;
    const ms: number[] = [];
    let loaded = 0;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const store = await HiringStore.open(tmp.dir, { logger: quietLogger('inbox') });
      ms.push(performance.now() - t0);
      loaded = store.size;
      await store.close();
    }
    return { ms, bytes, loaded };
  } finally {
    tmp.remove();
  }
}

export async function benchReplay(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const count of [size(10_000, 2_000), size(100_000, 10_000)]) {
    const runs = 3;
    const r = await replayTimes(count, runs);
    const s = summarize(r.ms);
    rows.push(
      row('replay', `journal replay, ${count.toLocaleString('en-US')} hirings`, 'ms', s, {
        ...(count === 100_000 ? { target: '< 2000 ms', met: s.max < 2000 } : {}),
        note: `n=${runs}, ${(r.bytes / 2 ** 20).toFixed(1)} MiB journal, ${r.loaded.toLocaleString('en-US')} loaded`,
      }),
    );
  }
  return rows;
}
