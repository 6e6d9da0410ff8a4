// The hiring store's journal records and how each one changes the state. The same
// function applies a record live and on replay, so the two can never disagree.
// Records are deltas (a chunk, a phase) so the hot path writes a few bytes, not the
// whole hiring; a 'put' carries a whole record (new hirings and snapshots).
import type { Hiring } from '../../shared/hiring';
import type { HiringRecord, LocalPhase, ProgressChunk, RelayMessage, WorkspaceRef } from '../types';
import { isLocalPhase } from '../../shared/constants';
import { isRecord } from '../../shared/lenient';

export type StoreRecord =
  | { t: 'put'; r: HiringRecord }
  /** A new platform view of the hiring (token removed) and the phase it implies. */
  | { t: 'hiring'; id: string; agent: string; h: Hiring; phase: LocalPhase; at: string }
  /** Local state; `null` clears a field. */
  | { t: 'set'; id: string; phase?: LocalPhase; claimedBy?: string | null; workspace?: WorkspaceRef | null; at: string }
  | { t: 'chunk'; id: string; c: ProgressChunk; at: string }
  | { t: 'msg'; id: string; m: RelayMessage; at: string }
  | { t: 'sub'; id: string; s: string; phase?: LocalPhase; at: string };

export interface StoreState {
  /** Hirings not yet done or failed, in arrival order. */
  active: Map<string, HiringRecord>;
  /** Done or failed hirings, oldest first; bounded by historyLimit. */
  history: Map<string, HiringRecord>;
  historyLimit: number;
  chunkLimit: number;
  messageLimit: number;
}

const optPhase = (v: unknown) => v === undefined || isLocalPhase(v);

/** A shape check for replay: enough to apply the record without throwing or corrupting state. */
export function isStoreRecord(v: unknown): v is StoreRecord {
  if (!isRecord(v)) return false;
  if (v.t === 'put') {
    const r = v.r;
    return (
      isRecord(r) &&
      isRecord(r.hiring) &&
      typeof r.hiring.id === 'string' &&
      typeof r.agent === 'string' &&
      isLocalPhase(r.phase)
    );
  }
  if (typeof v.id !== 'string' || typeof v.at !== 'string') return false;
  switch (v.t) {
    case 'hiring':
      return typeof v.agent === 'string' && isRecord(v.h) && v.h.id === v.id && isLocalPhase(v.phase);
    case 'set':
      return optPhase(v.phase);
    case 'chunk':
      return isRecord(v.c) && typeof v.c.content === 'string';
    case 'msg':
      return isRecord(v.m) && typeof v.m.content === 'string';
    case 'sub':
      return typeof v.s === 'string' && optPhase(v.phase);
    default:
      return false;
  }
}

function isFinished(phase: LocalPhase): boolean {
  return phase === 'done' || phase === 'failed';
}

/** Applies one record. Records for a hiring no longer kept (evicted history) are ignored. */
export function applyStoreRecord(s: StoreState, rec: StoreRecord): void {
  if (rec.t === 'put') {
    const r = rec.r;
    const id = r.hiring.id;
    s.active.delete(id);
    s.history.delete(id);
    place(s, {
      ...r,
      chunks: Array.isArray(r.chunks) ? r.chunks : [],
      relayMessages: Array.isArray(r.relayMessages) ? r.relayMessages : [],
      submissions: Array.isArray(r.submissions) ? r.submissions : [],
    });
    return;
  }
  const cur = s.active.get(rec.id) ?? s.history.get(rec.id);
  if (!cur) return;
  const next: HiringRecord = { ...cur, updatedAt: rec.at };
  switch (rec.t) {
    case 'hiring':
      next.agent = rec.agent;
      next.hiring = rec.h;
      next.phase = rec.phase;
      break;
    case 'set':
      if (rec.phase !== undefined) next.phase = rec.phase;
      if (rec.claimedBy === null) delete next.claimedBy;
      else if (rec.claimedBy !== undefined) next.claimedBy = rec.claimedBy;
      if (rec.workspace === null) delete next.workspace;
      else if (rec.workspace !== undefined) next.workspace = rec.workspace;
      break;
    case 'chunk':
      next.chunks = bounded([...cur.chunks, rec.c], s.chunkLimit);
      break;
    case 'msg':
      next.relayMessages = bounded([...cur.relayMessages, rec.m], s.messageLimit);
      break;
    case 'sub':
      if (!cur.submissions.includes(rec.s)) next.submissions = [...cur.submissions, rec.s];
      if (rec.phase !== undefined) next.phase = rec.phase;
      break;
  }
  // Records are replaced, never mutated: a caller holding the old one sees a consistent snapshot.
  const wasFinished = s.history.has(rec.id);
  if (wasFinished === isFinished(next.phase)) {
    (wasFinished ? s.history : s.active).set(rec.id, next);
  } else {
    s.active.delete(rec.id);
    s.history.delete(rec.id);
    place(s, next);
  }
}

function place(s: StoreState, r: HiringRecord): void {
  if (!isFinished(r.phase)) {
    s.active.set(r.hiring.id, r);
    return;
  }
  s.history.set(r.hiring.id, r);
  while (s.history.size > s.historyLimit) {
    const oldest = s.history.keys().next().value;
    if (oldest === undefined) break;
    s.history.delete(oldest);
  }
}

function bounded<T>(items: T[], limit: number): T[] {
  return items.length > limit ? items.slice(items.length - limit) : items;
}
