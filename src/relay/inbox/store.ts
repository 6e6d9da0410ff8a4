// The hiring store: every hiring this relay has seen, keyed by id, with its local
// state (phase, claim, progress, review feedback, workspace, submissions).
// Journaled before anyone is told (architecture principle 4); repository tokens
// stay in memory only (principle 5) — after a restart `tokenKnown(id)` is false
// and the Relay re-reads the hiring from the platform.
import { withoutSecrets, type Hiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import { registerSecret } from '../../shared/redact';
import { isTerminalStatus } from '../../shared/protocol';
import {
  RelayError,
  type HiringRecord,
  type HiringSource,
  type LocalPhase,
  type ProgressChunk,
  type RelayMessage,
  type WorkspaceRef,
} from '../types';
import { Journal } from './journal';
import { deepEqual } from './equal';
import { isStaleView, phaseForStatus, reopens } from './phase-rules';
import { applyStoreRecord, isStoreRecord, type StoreRecord, type StoreState } from './store-records';
import { Emitter } from '../../shared/emitter';

export { phaseForStatus } from './phase-rules';

export interface HiringStoreOptions {
  /** Terminal hirings kept (memory and disk), newest first out. Default 1000. */
  historyLimit?: number;
  /** Progress chunks kept per hiring (the last N). Default 50. */
  chunkLimit?: number;
  /** Relay messages kept per hiring (the last N). Default 100. */
  messageLimit?: number;
  /** Journal file name inside the state directory. Default `hirings.jsonl`. */
  fileName?: string;
  compactFactor?: number;
  compactMinRecords?: number;
  durable?: boolean;
  logger?: Logger;
  now?: () => Date;
}

export type StoreChangeKind = 'added' | 'changed' | 'local';

/** Emitted after the change is durable. */
export interface StoreChange {
  agent: string;
  hiringId: string;
  kind: StoreChangeKind;
  phase: LocalPhase;
}

export interface UpsertResult {
  added: string[];
  changed: string[];
}

export class HiringStore {
  private readonly state: StoreState;
  private readonly tokens = new Map<string, string>();
  private readonly changes = new Emitter<StoreChange>((e) => this.log.error('a store listener failed', { error: e }));
  private readonly now: () => Date;
  private readonly log: Logger;

  private constructor(
    private readonly journal: Journal<StoreRecord>,
    opts: HiringStoreOptions,
  ) {
    this.state = {
      active: new Map(),
      history: new Map(),
      historyLimit: opts.historyLimit ?? 1000,
      chunkLimit: opts.chunkLimit ?? 50,
      messageLimit: opts.messageLimit ?? 100,
    };
    this.now = opts.now ?? (() => new Date());
    this.log = (opts.logger ?? createLogger('inbox')).child('store');
    journal.setCompaction(
      () => this.snapshot(),
      () => this.state.active.size + this.state.history.size,
    );
  }

  /** Opens (and replays) the store kept in `stateDir`. */
  static async open(stateDir: string, opts: HiringStoreOptions = {}): Promise<HiringStore> {
    const journal = Journal.inDir<StoreRecord>(stateDir, 'hirings.jsonl', opts);
    const store = new HiringStore(journal, opts);
    const { records, skipped } = await journal.replay((v) => (isStoreRecord(v) ? v : undefined));
    for (const r of records) applyStoreRecord(store.state, r);
    store.log.info('hirings replayed', { active: store.state.active.size, history: store.state.history.size, skipped });
    return store;
  }

  // ───────────── reading ─────────────

  /** The record (active or history), without the repository token. */
  get(id: string): HiringRecord | undefined {
    return this.state.active.get(id) ?? this.state.history.get(id);
  }

  /** Every record, active first then history, oldest first within each. */
  list(agent?: string): HiringRecord[] {
    return [...this.active(agent), ...this.history(agent)];
  }

  /** Hirings still to be worked or delivered (not done, not failed). */
  active(agent?: string): HiringRecord[] {
    return filterAgent(this.state.active.values(), agent);
  }

  /** Terminal hirings kept for display (bounded). */
  history(agent?: string): HiringRecord[] {
    return filterAgent(this.state.history.values(), agent);
  }

  get size(): number {
    return this.state.active.size + this.state.history.size;
  }

  /** Whether the repository token of this hiring is in memory (false after a restart). */
  tokenKnown(id: string): boolean {
    return this.tokens.has(id);
  }

  repoToken(id: string): string | undefined {
    return this.tokens.get(id);
  }

  /** The platform view with the repository token put back (push mode needs it). */
  hiringWithToken(id: string): Hiring | undefined {
    const rec = this.get(id);
    if (!rec) return undefined;
    const token = this.tokens.get(id);
    return token ? { ...rec.hiring, repo_access_token: token } : rec.hiring;
  }

  /** Listens for durable changes; returns the unsubscribe function. */
  onChange(listener: (c: StoreChange) => void): () => void {
    return this.changes.on(listener);
  }

  // ───────────── platform input ─────────────

  /**
   * Records hirings read from the platform. A duplicate changes nothing and writes
   * nothing. A hiring missing from a full pending list is *not* deleted: it may
   * just have moved on, and the Relay may re-read it.
   */
  async upsert(agent: string, hirings: Hiring[], source: HiringSource): Promise<UpsertResult> {
    const added: string[] = [];
    const changed: string[] = [];
    const records: StoreRecord[] = [];
    const at = this.now().toISOString();
    for (const h of hirings) {
      const id = h.id;
      const token = h.repo_access_token;
      if (token) {
        registerSecret(token);
        this.tokens.set(id, token);
      }
      const clean = withoutSecrets(h);
      const existing = this.get(id);
      if (!existing) {
        const phase = phaseForStatus(clean.status) ?? 'new';
        const rec: HiringRecord = {
          agent,
          hiring: clean,
          phase,
          firstSeenAt: at,
          updatedAt: at,
          chunks: [],
          relayMessages: [],
          submissions: [],
        };
        records.push(this.apply({ t: 'put', r: rec }));
        added.push(id);
      } else if (isStaleView(existing.hiring, clean)) {
        this.log.debug('ignoring an older view of a hiring', { hiring: id, source, status: clean.status });
      } else if (existing.agent !== agent || !deepEqual(existing.hiring, clean)) {
        const phase = this.nextPhase(existing, clean.status);
        records.push(this.apply({ t: 'hiring', id, agent, h: clean, phase, at }));
        changed.push(id);
      }
      if (this.state.history.has(id)) this.tokens.delete(id);
    }
    if (records.length === 0) return { added, changed };
    await this.journal.append(records);
    if (added.length || changed.length) {
      this.log.debug('hirings recorded', { agent, source, added: added.length, changed: changed.length });
    }
    for (const id of added) this.emit(id, 'added');
    for (const id of changed) this.emit(id, 'changed');
    return { added, changed };
  }

  // ───────────── local state ─────────────

  /** One worker per hiring: a second claim by someone else is a conflict. Claiming again is a no-op. */
  async claim(id: string, worker: string): Promise<HiringRecord> {
    const rec = this.require(id);
    if (rec.claimedBy === worker) return rec;
    if (rec.claimedBy !== undefined) {
      throw new RelayError(`Hiring ${id} is already claimed by ${rec.claimedBy}.`, 'conflict');
    }
    if (rec.phase === 'done' || rec.phase === 'failed') {
      throw new RelayError(
        `Hiring ${id} is already ${rec.phase === 'done' ? 'completed' : 'failed'}; it cannot be claimed.`,
        'conflict',
      );
    }
    const phase: LocalPhase = rec.phase === 'new' ? 'claimed' : rec.phase;
    return this.local(id, { claimedBy: worker, phase });
  }

  /** Releases a claim (e.g. the worker gave up); the hiring goes back to 'new' if it was only claimed. */
  async release(id: string): Promise<HiringRecord> {
    const rec = this.require(id);
    if (rec.claimedBy === undefined) return rec;
    return this.local(id, { claimedBy: null, phase: rec.phase === 'claimed' ? 'new' : rec.phase });
  }

  /** Moves the local phase along; a finished hiring is never moved back into work this way. */
  async setPhase(id: string, phase: LocalPhase): Promise<HiringRecord> {
    const rec = this.require(id);
    if (rec.phase === phase || reopens(rec.phase, phase)) return rec;
    return this.local(id, { phase });
  }

  async setWorkspace(id: string, workspace: WorkspaceRef | undefined): Promise<HiringRecord> {
    this.require(id);
    return this.local(id, { workspace: workspace ?? null });
  }

  async addChunk(id: string, chunk: Omit<ProgressChunk, 'at'> & { at?: string }): Promise<HiringRecord> {
    this.require(id);
    const c: ProgressChunk = { ...chunk, at: chunk.at ?? this.now().toISOString() };
    return this.commit(id, { t: 'chunk', id, c, at: c.at });
  }

  async addRelayMessage(id: string, message: Omit<RelayMessage, 'at'> & { at?: string }): Promise<HiringRecord> {
    this.require(id);
    const m: RelayMessage = { ...message, at: message.at ?? this.now().toISOString() };
    return this.commit(id, { t: 'msg', id, m, at: m.at });
  }

  /** Links a submission to its hiring; moves the phase along with it unless told otherwise. */
  async linkSubmission(id: string, submissionId: string, to?: LocalPhase): Promise<HiringRecord> {
    const rec = this.require(id);
    // Only a newer platform view reopens a finished hiring (upsert), never local bookkeeping.
    const phase = to !== undefined && reopens(rec.phase, to) ? undefined : to;
    if (rec.submissions.includes(submissionId) && (phase === undefined || phase === rec.phase)) return rec;
    return this.commit(id, { t: 'sub', id, s: submissionId, phase, at: this.now().toISOString() });
  }

  /** Rewrites the journal as a snapshot now (normally automatic). */
  compact(): Promise<void> {
    return this.journal.compactNow();
  }

  async close(): Promise<void> {
    await this.journal.close();
  }

  // ───────────── internals ─────────────

  private nextPhase(existing: HiringRecord, status: string): LocalPhase {
    const forced = phaseForStatus(status);
    if (forced) return forced;
    // Back from a platform terminal status (rare: a dispute resolved): work again.
    // Only a view proven newer gets here (isStaleView).
    if (isTerminalStatus(existing.hiring.status)) return existing.claimedBy ? 'claimed' : 'new';
    // Otherwise the local phase stands: a stale pending list must not undo 'done'.
    return existing.phase;
  }

  private local(
    id: string,
    patch: { phase?: LocalPhase; claimedBy?: string | null; workspace?: WorkspaceRef | null },
  ): Promise<HiringRecord> {
    return this.commit(id, { t: 'set', id, ...patch, at: this.now().toISOString() });
  }

  private async commit(id: string, record: StoreRecord): Promise<HiringRecord> {
    this.apply(record);
    await this.journal.append(record);
    this.emit(id, 'local');
    return this.require(id);
  }

  /** Applies to memory; the caller appends the same record in the same synchronous step. */
  private apply(record: StoreRecord): StoreRecord {
    applyStoreRecord(this.state, record);
    const id = record.t === 'put' ? record.r.hiring.id : record.id;
    if (this.state.history.has(id)) this.tokens.delete(id);
    return record;
  }

  private snapshot(): StoreRecord[] {
    const out: StoreRecord[] = [];
    for (const r of this.state.history.values()) out.push({ t: 'put', r });
    for (const r of this.state.active.values()) out.push({ t: 'put', r });
    return out;
  }

  private require(id: string): HiringRecord {
    const rec = this.get(id);
    if (!rec) throw new RelayError(`Unknown hiring ${id}.`, 'not_found');
    return rec;
  }

  private emit(hiringId: string, kind: StoreChangeKind): void {
    const rec = this.get(hiringId);
    if (!rec) return;
    this.changes.emit({ agent: rec.agent, hiringId, kind, phase: rec.phase });
  }
}

function filterAgent(records: Iterable<HiringRecord>, agent: string | undefined): HiringRecord[] {
  const out: HiringRecord[] = [];
  for (const r of records) if (agent === undefined || r.agent === agent) out.push(r);
  return out;
}
