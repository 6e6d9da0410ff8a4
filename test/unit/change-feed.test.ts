import { describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/relay/core/change-feed';

describe('ChangeFeed: what changed since a cursor', () => {
  it('lists each changed id once, by its latest change, oldest first', () => {
    const f = new ChangeFeed(() => true);
    const start = f.cursor;
    f.record('a', 'x');
    f.record('b', 'x');
    f.record('a', 'x');
    expect(f.since(start).ids.map((e) => e.id)).toEqual(['b', 'a']);
    const mid = f.cursor;
    f.record('c', 'y');
    expect(f.since(mid)).toEqual({ cursor: f.cursor, reset: false, ids: [{ id: 'c', agent: 'y' }] });
    expect(f.since(f.cursor).ids).toEqual([]);
  });

  it('resets unknown cursors: another epoch, garbage, or ahead of the feed', () => {
    const f = new ChangeFeed(() => true);
    f.record('a', 'x');
    const other = new ChangeFeed(() => true);
    expect(f.since(other.cursor).reset).toBe(true);
    expect(f.since('nonsense').reset).toBe(true);
    expect(f.since(f.cursor.replace(/\.\d+$/, '.999')).reset).toBe(true);
  });

  it('keeps its log bounded by the ids it holds, however many changes', () => {
    const f = new ChangeFeed(() => true);
    const start = f.cursor;
    for (let i = 0; i < 50_000; i++) f.record(`h${i % 10}`, 'x');
    expect(f.since(start).ids).toHaveLength(10);
    expect((f as unknown as { log: unknown[] }).log.length).toBeLessThan(1100);
  });

  it('forgets ids the store dropped, and resets cursors older than what it forgot', () => {
    const known = new Set<string>();
    const f = new ChangeFeed((id) => known.has(id), 5);
    const old = f.cursor;
    for (let i = 0; i < 20; i++) f.record(`gone${i}`, 'x'); // not known: dropped from the store
    known.add('live');
    for (let i = 0; i < 3000; i++) f.record('live', 'x');
    expect(f.since(old).reset).toBe(true);
    const recent = f.cursor;
    f.record('live', 'x');
    expect(f.since(recent).ids).toEqual([{ id: 'live', agent: 'x' }]);
  });
});
