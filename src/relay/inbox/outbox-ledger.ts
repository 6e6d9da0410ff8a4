// The outbox's record keeping: every delivery with its idempotency key and state,
// journaled before anything is sent; the per-hiring sending order; the rules on
// what may be queued (one final delivery per hiring); the events, told only after
// the record is durable. What to send when is the sending loop's business (outbox.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log';
import { TOOL, type PlatformToolName } from '../../shared/protocol';
import { RelayError, type OutboxEntry, type OutboxState } from '../types';
import type { Journal } from './journal';
import { applyOutboxRecord, type OutboxRecord } from './outbox-records';
import { Emitter } from '../../shared/emitter';

export interface NewDelivery {
  agent: string;
  hiringId: string;
  tool: PlatformToolName;
  args: Record<string, unknown>;
  submissionId?: string;
  /** Idempotency key; default derived from the submission, else random. */
  key?: string;
}

export type OutboxEvent =
  | { type: 'queued'; entry: OutboxEntry }
  | { type: 'confirmed'; entry: OutboxEntry; result?: unknown }
  | { type: 'rejected'; entry: OutboxEntry; message: string }
  | { type: 'dropped'; entry: OutboxEntry; reason: string }
  | { type: 'retry'; entry: OutboxEntry; message: string; delayMs: number };

export const FINAL_TOOLS: readonly PlatformToolName[] = [TOOL.submitResult, TOOL.reportFailure];

export interface LedgerOptions {
  /** Finished entries kept (memory and disk). */
  finishedLimit: number;
  log: Logger;
  now: () => Date;
}

export class OutboxLedger {
  private readonly entries = new Map<string, OutboxEntry>();
  /** Pending keys per hiring, in sending order. */
  private readonly queues = new Map<string, string[]>();
  private readonly events = new Emitter<OutboxEvent>((err) =>
    this.o.log.error('an outbox listener failed', { error: err }),
  );
  /** Hirings whose result or failure report the platform confirmed: their chunks are dropped. */
  private readonly finalDone = new Set<string>();
  private finished = 0;

  constructor(
    private readonly journal: Journal<OutboxRecord>,
    private readonly o: LedgerOptions,
  ) {
    journal.setCompaction(
      () => [...this.entries.values()].map((e) => ({ t: 'put' as const, e })),
      () => this.entries.size,
    );
  }

  /** Rebuilds the entries from the journal's records. */
  replay(records: OutboxRecord[]): void {
    for (const r of records) applyOutboxRecord(this.entries, r);
    for (const e of this.entries.values()) {
      if (e.state === 'pending') this.queueKey(e);
      else this.finished++;
      if (e.state === 'confirmed' && FINAL_TOOLS.includes(e.tool)) this.finalDone.add(e.hiringId);
    }
    this.trimFinished();
  }

  // ───────────── reading ─────────────

  get(key: string): OutboxEntry | undefined {
    return this.entries.get(key);
  }

  list(state?: OutboxState): OutboxEntry[] {
    const all = [...this.entries.values()];
    return state === undefined ? all : all.filter((e) => e.state === state);
  }

  /** The entry to send next for a hiring. */
  head(hiringId: string): OutboxEntry | undefined {
    const key = this.queues.get(hiringId)?.[0];
    return key ? this.entries.get(key) : undefined;
  }

  /** Hirings with something waiting. */
  hirings(): string[] {
    return [...this.queues.keys()];
  }

  pending(hiringId?: string): OutboxEntry[] {
    const ids = hiringId === undefined ? this.hirings() : [hiringId];
    return ids.flatMap((id) =>
      (this.queues.get(id) ?? []).map((k) => this.entries.get(k)).filter((e): e is OutboxEntry => e !== undefined),
    );
  }

  pendingCount(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  finalConfirmed(hiringId: string): boolean {
    return this.finalDone.has(hiringId);
  }

  onEvent(listener: (e: OutboxEvent) => void): () => void {
    return this.events.on(listener);
  }

  // ───────────── writing ─────────────

  /**
   * Journals a new delivery (resolves once durable). The same key (or submission)
   * again returns the existing entry — unless that entry was rejected, which needs
   * a new key. A second, different final delivery for a hiring is refused.
   */
  async add(d: NewDelivery): Promise<{ entry: OutboxEntry; isNew: boolean }> {
    const key = d.key ?? (d.submissionId ? `submission-${d.submissionId}` : randomUUID());
    const same = this.entries.get(key);
    if (same) {
      if (same.hiringId !== d.hiringId || same.tool !== d.tool) {
        throw new RelayError(`Idempotency key ${key} is already used for another delivery.`, 'conflict');
      }
      if (same.state === 'rejected') {
        // The platform replays its first answer for a key it has seen: only a new key can succeed.
        throw new RelayError(
          `Hiring ${d.hiringId}: the delivery ${key} was refused by Agrenting (${same.lastError ?? 'rejected'}); send it again under a new idempotency key.`,
          'conflict',
        );
      }
      return { entry: same, isNew: false };
    }
    if (FINAL_TOOLS.includes(d.tool)) {
      const prior = [...this.entries.values()].find(
        (e) => e.hiringId === d.hiringId && FINAL_TOOLS.includes(e.tool) && e.state !== 'rejected',
      );
      if (prior) {
        const what = prior.state === 'confirmed' ? 'was already delivered' : 'is already being delivered';
        throw new RelayError(
          `Hiring ${d.hiringId}: a ${prior.tool === TOOL.submitResult ? 'result' : 'failure report'} ${what}; only one can be sent.`,
          'conflict',
        );
      }
    }
    const entry: OutboxEntry = {
      key,
      agent: d.agent,
      hiringId: d.hiringId,
      tool: d.tool,
      args: d.args,
      ...(d.submissionId ? { submissionId: d.submissionId } : {}),
      state: 'pending',
      attempts: 0,
      createdAt: this.o.now().toISOString(),
    };
    this.entries.set(key, entry);
    this.queueKey(entry);
    await this.journal.append({ t: 'put', e: entry });
    this.emit({ type: 'queued', entry });
    return { entry, isNew: true };
  }

  /** Records (durably) that attempt number attempts+1 is about to be sent; returns the entry to send. */
  async recordTry(entry: OutboxEntry): Promise<OutboxEntry> {
    const rec: OutboxRecord = {
      t: 'try',
      k: entry.key,
      n: entry.attempts + 1,
      ...(entry.lastError ? { err: entry.lastError } : {}),
    };
    applyOutboxRecord(this.entries, rec);
    await this.journal.append(rec);
    return this.entries.get(entry.key) ?? entry;
  }

  /** What the last attempt got, in memory only (the next 'try' record carries it). */
  noteError(entry: OutboxEntry, message: string): OutboxEntry {
    const cur = this.entries.get(entry.key);
    if (!cur) return entry;
    const next = { ...cur, lastError: message };
    this.entries.set(entry.key, next);
    return next;
  }

  /** The platform answered for good (or the entry is dropped): journal it, then tell. */
  async finish(
    entry: OutboxEntry,
    state: 'confirmed' | 'rejected',
    lastError: string | undefined,
    event: 'confirmed' | 'rejected' | 'dropped',
    result?: unknown,
  ): Promise<void> {
    const rec: OutboxRecord = {
      t: 'end',
      k: entry.key,
      s: state,
      at: this.o.now().toISOString(),
      ...(lastError ? { err: lastError } : {}),
    };
    applyOutboxRecord(this.entries, rec);
    if (state === 'confirmed' && FINAL_TOOLS.includes(entry.tool)) this.finalDone.add(entry.hiringId);
    const q = this.queues.get(entry.hiringId);
    if (q) {
      const i = q.indexOf(entry.key);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.queues.delete(entry.hiringId);
    }
    this.finished++;
    this.trimFinished();
    await this.journal.append(rec);
    const done = this.entries.get(entry.key) ?? { ...entry, state, ...(lastError ? { lastError } : {}) };
    if (event === 'confirmed') {
      this.o.log.info('delivery confirmed', { hiring: entry.hiringId, tool: entry.tool, attempts: done.attempts });
    } else this.o.log.warn(`delivery ${event}`, { hiring: entry.hiringId, tool: entry.tool, error: lastError });
    if (event === 'confirmed') this.emit({ type: 'confirmed', entry: done, result });
    else if (event === 'rejected') this.emit({ type: 'rejected', entry: done, message: lastError ?? 'rejected' });
    else this.emit({ type: 'dropped', entry: done, reason: lastError ?? 'dropped' });
  }

  emit(e: OutboxEvent): void {
    this.events.emit(e);
  }

  compact(): Promise<void> {
    return this.journal.compactNow();
  }

  close(): Promise<void> {
    return this.journal.close();
  }

  private queueKey(e: OutboxEntry): void {
    const q = this.queues.get(e.hiringId);
    if (q) q.push(e.key);
    else this.queues.set(e.hiringId, [e.key]);
  }

  /** Drops the oldest finished entries beyond the limit; pending ones are always kept. */
  private trimFinished(): void {
    if (this.finished <= this.o.finishedLimit) return;
    for (const [key, e] of this.entries) {
      if (this.finished <= this.o.finishedLimit) break;
      if (e.state !== 'pending') {
        this.entries.delete(key);
        this.finished--;
        // Remembered only as long as its entry (one id per hiring ever would grow without bound);
        // the Relay's isHiringFinished still knows the hiring from the store's history.
        if (e.state === 'confirmed' && FINAL_TOOLS.includes(e.tool)) this.finalDone.delete(e.hiringId);
      }
    }
  }
}
