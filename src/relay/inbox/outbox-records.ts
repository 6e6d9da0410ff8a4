// The outbox's journal records and how each one changes the entries. Used live and
// on replay. Every record is idempotent (absolute values, no increments).
import type { OutboxEntry } from '../types';

export type OutboxRecord =
  /** A new entry (and, in snapshots, an entry as it stands). */
  | { t: 'put'; e: OutboxEntry }
  /** Attempt number `n` is about to be sent; `err` is what the previous attempt got. */
  | { t: 'try'; k: string; n: number; err?: string }
  /** The platform answered for good. */
  | { t: 'end'; k: string; s: 'confirmed' | 'rejected'; at: string; err?: string };

export function isOutboxRecord(v: unknown): v is OutboxRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { t?: unknown; k?: unknown; n?: unknown; s?: unknown; e?: Partial<OutboxEntry> };
  switch (r.t) {
    case 'put':
      return (
        typeof r.e?.key === 'string' &&
        typeof r.e.hiringId === 'string' &&
        typeof r.e.tool === 'string' &&
        typeof r.e.args === 'object' &&
        r.e.args !== null
      );
    case 'try':
      return typeof r.k === 'string' && typeof r.n === 'number';
    case 'end':
      return typeof r.k === 'string' && (r.s === 'confirmed' || r.s === 'rejected');
    default:
      return false;
  }
}

/** Applies one record; entries are replaced, never mutated in place. */
export function applyOutboxRecord(entries: Map<string, OutboxEntry>, rec: OutboxRecord): void {
  if (rec.t === 'put') {
    entries.set(rec.e.key, { ...rec.e, attempts: typeof rec.e.attempts === 'number' ? rec.e.attempts : 0 });
    return;
  }
  const cur = entries.get(rec.k);
  if (!cur) return;
  if (rec.t === 'try') {
    const next: OutboxEntry = { ...cur, attempts: Math.max(cur.attempts, rec.n) };
    if (rec.err !== undefined) next.lastError = rec.err;
    entries.set(rec.k, next);
    return;
  }
  const next: OutboxEntry = { ...cur, state: rec.s };
  if (rec.s === 'confirmed') next.confirmedAt = rec.at;
  if (rec.err !== undefined) next.lastError = rec.err;
  else delete next.lastError;
  entries.set(rec.k, next);
}
