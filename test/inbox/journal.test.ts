import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src/relay/inbox/journal';
import { quietLogger, tempDir } from './helpers';

type Rec = { n: number; text?: string };

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function setup() {
  const t = tempDir('journal-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, file: path.join(t.dir, 'j.jsonl') };
}

async function openJournal(file: string, opts: ConstructorParameters<typeof Journal>[1] = {}) {
  const logger = quietLogger();
  const j = new Journal<Rec>(file, { logger, ...opts });
  const replay = await j.replay();
  return { j, replay, logger };
}

describe('Journal', () => {
  it('appends durably and replays in order, file mode 0600', async () => {
    const { file } = setup();
    const { j } = await openJournal(file);
    await j.append({ n: 1 });
    await j.append([{ n: 2 }, { n: 3 }]);
    await j.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { replay } = await openJournal(file);
    expect(replay.records.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(replay.skipped).toBe(0);
  });

  it('batches concurrent appends (group commit) without losing or reordering any', async () => {
    const { file } = setup();
    const { j } = await openJournal(file);
    await Promise.all(Array.from({ length: 500 }, (_, i) => j.append({ n: i })));
    // The first append is written alone; everything queued meanwhile shares the next write + fsync.
    expect(j.batches).toBeLessThan(500);
    await j.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Rec).n)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('drops a torn last line with a warning, then appends on a clean line', async () => {
    const { file } = setup();
    writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":3,"te');
    const { j, replay, logger } = await openJournal(file);
    expect(replay.records.map((r) => r.n)).toEqual([1, 2]);
    expect(replay.tornTail).toBe(true);
    expect(logger.lines.some((l) => l.includes('incomplete last journal line'))).toBe(true);
    await j.append({ n: 4 });
    await j.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n');
  });

  it('skips garbage lines in the middle and keeps the rest', async () => {
    const { file } = setup();
    writeFileSync(file, '{"n":1}\nnot json at all\n\n{"n":2}\n\u0000\u0000\u0000\n{"x":\n{"n":3}\n');
    const { replay, logger } = await openJournal(file, {});
    expect(replay.records.map((r) => r.n)).toEqual([1, 2, 3]);
    expect(replay.skipped).toBe(3);
    expect(logger.lines.filter((l) => l.includes('unreadable journal line'))).toHaveLength(3);
  });

  it('lets the owner reject records of the wrong shape', async () => {
    const { file } = setup();
    writeFileSync(file, '{"n":1}\n{"m":2}\n[1,2]\n{"n":3}\n');
    const j = new Journal<Rec>(file, { logger: quietLogger() });
    const r = await j.replay((v) =>
      typeof v === 'object' && v !== null && typeof (v as Rec).n === 'number' ? (v as Rec) : undefined,
    );
    expect(r.records.map((x) => x.n)).toEqual([1, 3]);
    expect(r.skipped).toBe(2);
    await j.close();
  });

  it('compacts past the threshold into the snapshot, and replay gives the same state', async () => {
    const { file } = setup();
    const { j } = await openJournal(file, { compactFactor: 4, compactMinRecords: 10 });
    // The owner's state: the last value per key (5 keys).
    const state = new Map<number, Rec>();
    j.setCompaction(
      () => [...state.values()],
      () => state.size,
    );
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const rec = { n: i % 5, text: `v${i}` };
      state.set(rec.n, rec); // memory first, append in the same synchronous step
      writes.push(j.append(rec));
    }
    await Promise.all(writes);
    expect(j.compactions).toBeGreaterThan(0);
    expect(j.recordCount).toBeLessThanOrEqual(Math.max(10, 4 * 5) + 5);
    await j.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { replay } = await openJournal(file);
    const rebuilt = new Map<number, Rec>();
    for (const r of replay.records) rebuilt.set(r.n, r);
    expect([...rebuilt.values()].sort((a, b) => a.n - b.n)).toEqual([...state.values()].sort((a, b) => a.n - b.n));
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });

  it('compactNow rewrites to exactly the snapshot', async () => {
    const { file } = setup();
    const { j } = await openJournal(file);
    j.setCompaction(
      () => [{ n: 42 }],
      () => 1,
    );
    await j.append([{ n: 1 }, { n: 2 }]);
    await j.compactNow();
    await j.append({ n: 43 });
    await j.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":42}\n{"n":43}\n');
  });

  it('survives a crash during compaction: a leftover temp file is ignored and removed', async () => {
    const { file } = setup();
    writeFileSync(file, '{"n":1}\n{"n":2}\n');
    // The crash happened before the rename: a half-written snapshot is left behind.
    writeFileSync(`${file}.tmp`, '{"n":99}\n{"n":1');
    const { j, replay } = await openJournal(file);
    expect(replay.records.map((r) => r.n)).toEqual([1, 2]);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    await j.close();
  });

  it('survives a crash after the rename: the snapshot is the journal', async () => {
    const { file } = setup();
    const { j } = await openJournal(file);
    j.setCompaction(
      () => [{ n: 7 }],
      () => 1,
    );
    await j.append([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await j.compactNow();
    // No close(): as if killed right after compaction; then a torn append on top.
    appendFileSync(file, '{"n":8');
    const again = await openJournal(file);
    expect(again.replay.records.map((r) => r.n)).toEqual([7]);
    await again.j.close();
    await j.close();
  });

  it('starts empty when there is no file, and creates the directory', async () => {
    const { dir } = setup();
    const file = path.join(dir, 'deeper', 'j.jsonl');
    const { j, replay } = await openJournal(file);
    expect(replay.records).toEqual([]);
    await j.append({ n: 1 });
    await j.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n');
  });

  it('refuses appends after close with a clear error', async () => {
    const { file } = setup();
    const { j } = await openJournal(file);
    await j.close();
    await expect(j.append({ n: 1 })).rejects.toThrow(/closed/);
  });
});
