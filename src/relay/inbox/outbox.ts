// The outbox: every delivery to the platform (result, failure, message, progress
// chunk) is journaled with its idempotency key before it is sent, then sent and
// retried with capped exponential backoff + jitter until the platform answers for
// good. Entries of one hiring go out in order (a message queued before the result
// goes first); hirings do not wait for each other.
//
// Crash safety: an "attempt" record (attempt number) is fsynced before each send,
// so after kill -9 a restart knows the entry may already have reached the platform;
// it re-sends with the same idempotency key, and an `already-done` answer then
// counts as confirmation. One final delivery (result or failure) per hiring: a
// second, different one is refused, so a result can never be delivered twice.
//
// Progress chunks (`task_emit_chunk`) are progress, not results: they are never
// coalesced, but they are dropped (state 'rejected', lastError "dropped: …", event
// 'dropped') when the hiring is already finished, when the platform answers
// already-done, or after `maxChunkAttempts` transient failures — so a flaky chunk
// never holds back the result queued behind it for long.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createLogger, type Logger } from '../../shared/log';
import { TOOL, type PlatformToolName } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import { RelayError, type DeliveryOutcome, type OutboxEntry, type OutboxState } from '../types';
import { Journal } from './journal';
import { applyOutboxRecord, isOutboxRecord, type OutboxRecord } from './outbox-records';
import { Backoff, type BackoffOptions } from './backoff';

export type SendFn = (entry: OutboxEntry) => Promise<DeliveryOutcome>;

export interface OutboxOptions extends BackoffOptions {
  /** Sends one entry upstream (the Relay uses the agent's UpstreamLink.deliver). */
  send: SendFn;
  /** Start sending (and resume pending entries) right after open. Default true. */
  autoStart?: boolean;
  /** Transient failures after which a progress chunk is dropped. Default 5. */
  maxChunkAttempts?: number;
  /** Whether a hiring is finished (done/failed) locally: its chunks are dropped. */
  isHiringFinished?: (hiringId: string) => boolean;
  /** Finished entries kept (memory and disk). Default 1000. */
  finishedLimit?: number;
  /** Timer used for backoff waits (tests may inject one). Returns a cancel function. */
  schedule?: (fn: () => void, ms: number) => () => void;
  /** How long close() waits for sends in flight (a hung network call must not hang shutdown). Default 5 000 ms. */
  closeTimeoutMs?: number;
  fileName?: string;
  compactFactor?: number;
  compactMinRecords?: number;
  durable?: boolean;
  logger?: Logger;
  now?: () => Date;
}

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

const FINAL_TOOLS: readonly PlatformToolName[] = [TOOL.submitResult, TOOL.reportFailure];

interface Lane {
  busy: boolean;
  cancelTimer?: () => void;
}

export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  /** Pending keys per hiring, in order. */
  private readonly queues = new Map<string, string[]>();
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly listeners = new Set<(e: OutboxEvent) => void>();
  private readonly backoff: Backoff;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private readonly now: () => Date;
  private readonly log: Logger;
  private send: SendFn;
  private running = false;
  private closed = false;
  private finished = 0;
  /** Hirings whose result or failure report the platform confirmed: their chunks are dropped. */
  private readonly finalDone = new Set<string>();

  private constructor(
    private readonly journal: Journal<OutboxRecord>,
    private readonly opts: OutboxOptions,
  ) {
    this.send = opts.send;
    this.backoff = new Backoff(opts);
    this.schedule = opts.schedule ?? defaultSchedule;
    this.now = opts.now ?? (() => new Date());
    this.log = (opts.logger ?? createLogger('inbox')).child('outbox');
    journal.setCompaction(
      () => [...this.entries.values()].map((e) => ({ t: 'put' as const, e })),
      () => this.entries.size,
    );
  }

  static async open(stateDir: string, opts: OutboxOptions): Promise<Outbox> {
    const journal = new Journal<OutboxRecord>(path.join(stateDir, opts.fileName ?? 'outbox.jsonl'), {
      compactFactor: opts.compactFactor,
      compactMinRecords: opts.compactMinRecords,
      durable: opts.durable,
      logger: opts.logger,
    });
    const box = new Outbox(journal, opts);
    const { records } = await journal.replay((v) => (isOutboxRecord(v) ? v : undefined));
    for (const r of records) applyOutboxRecord(box.entries, r);
    for (const e of box.entries.values()) {
      if (e.state === 'pending') box.enqueueKey(e);
      else box.finished++;
      if (e.state === 'confirmed' && FINAL_TOOLS.includes(e.tool)) box.finalDone.add(e.hiringId);
    }
    box.trimFinished();
    if (box.pendingCount() > 0) box.log.info('resuming pending deliveries', { pending: box.pendingCount() });
    // Next macrotask: whoever awaited open() has subscribed to events by then.
    if (opts.autoStart ?? true) setImmediate(() => box.start());
    return box;
  }

  // ───────────── reading ─────────────

  get(key: string): OutboxEntry | undefined {
    return this.entries.get(key);
  }

  list(state?: OutboxState): OutboxEntry[] {
    const all = [...this.entries.values()];
    return state === undefined ? all : all.filter((e) => e.state === state);
  }

  /** Pending entries (of one hiring, or all), in sending order. */
  pending(hiringId?: string): OutboxEntry[] {
    const ids = hiringId === undefined ? [...this.queues.keys()] : [hiringId];
    return ids.flatMap((id) => (this.queues.get(id) ?? []).map((k) => this.entries.get(k)).filter((e): e is OutboxEntry => e !== undefined));
  }

  pendingCount(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  forSubmission(submissionId: string): OutboxEntry[] {
    return [...this.entries.values()].filter((e) => e.submissionId === submissionId);
  }

  onEvent(listener: (e: OutboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ───────────── writing ─────────────

  /**
   * Journals a delivery (resolves once it is durable) and queues it for sending.
   * Enqueueing the same key (or submission) again returns the existing entry —
   * unless that entry was rejected, which needs a new key. A second, different
   * final delivery for a hiring is refused.
   */
  async enqueue(d: NewDelivery): Promise<OutboxEntry> {
    if (this.closed) throw new RelayError('The outbox is closed.', 'unavailable');
    const key = d.key ?? (d.submissionId ? `submission-${d.submissionId}` : randomUUID());
    const same = this.entries.get(key);
    if (same) {
      if (same.hiringId !== d.hiringId || same.tool !== d.tool) {
        throw new RelayError(`Idempotency key ${key} is already used for another delivery.`, 'conflict');
      }
      if (same.state === 'rejected') {
        // The platform replays its first answer for a key it has seen: only a new key can succeed.
        throw new RelayError(`Hiring ${d.hiringId}: the delivery ${key} was refused by Agrenting (${same.lastError ?? 'rejected'}); send it again under a new idempotency key.`, 'conflict');
      }
      return same;
    }
    if (FINAL_TOOLS.includes(d.tool)) {
      const prior = [...this.entries.values()].find((e) => e.hiringId === d.hiringId && FINAL_TOOLS.includes(e.tool) && e.state !== 'rejected');
      if (prior) {
        const what = prior.state === 'confirmed' ? 'was already delivered' : 'is already being delivered';
        throw new RelayError(`Hiring ${d.hiringId}: a ${prior.tool === TOOL.submitResult ? 'result' : 'failure report'} ${what}; only one can be sent.`, 'conflict');
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
      createdAt: this.now().toISOString(),
    };
    this.entries.set(key, entry);
    this.enqueueKey(entry);
    await this.journal.append({ t: 'put', e: entry });
    this.emit({ type: 'queued', entry });
    this.pump(entry.hiringId);
    return entry;
  }

  /** Starts (or resumes) sending. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    for (const id of this.queues.keys()) this.pump(id);
  }

  /** Retries now instead of waiting out the backoff (e.g. the agent's link just reconnected). */
  kick(agent?: string): void {
    for (const [hiringId, lane] of this.lanes) {
      const head = this.queues.get(hiringId)?.[0];
      const entry = head ? this.entries.get(head) : undefined;
      if (!lane.cancelTimer || (agent !== undefined && entry?.agent !== agent)) continue;
      lane.cancelTimer();
      lane.cancelTimer = undefined;
      this.pump(hiringId);
    }
  }

  /** Replaces the sender (the Relay may build it after opening the inbox). */
  setSender(send: SendFn): void {
    this.send = send;
  }

  /** Stops sending; waits for sends in flight to be recorded. Pending entries resume on the next open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    for (const lane of this.lanes.values()) lane.cancelTimer?.();
    // Whatever is still in flight was recorded as attempted; the next open re-sends it with the same key.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((r) => {
        timer = setTimeout(r, this.opts.closeTimeoutMs ?? 5000);
      }),
    ]);
    clearTimeout(timer);
    await this.journal.close();
  }

  compact(): Promise<void> {
    return this.journal.compactNow();
  }

  // ───────────── sending ─────────────

  private enqueueKey(e: OutboxEntry): void {
    const q = this.queues.get(e.hiringId);
    if (q) q.push(e.key);
    else this.queues.set(e.hiringId, [e.key]);
  }

  private pump(hiringId: string): void {
    if (!this.running) return;
    const lane = this.lanes.get(hiringId) ?? { busy: false };
    if (lane.busy || lane.cancelTimer) return;
    const key = this.queues.get(hiringId)?.[0];
    const entry = key ? this.entries.get(key) : undefined;
    if (!entry) {
      this.lanes.delete(hiringId);
      return;
    }
    this.lanes.set(hiringId, lane);
    lane.busy = true;
    const p = this.attempt(entry)
      .catch((e) => {
        // Only journal failures land here; the entry stays pending and is retried.
        const err = safeError(e);
        this.log.error('delivery bookkeeping failed', { hiring: hiringId, key: entry.key, error: err.message });
        this.wait(hiringId, this.backoff.delay(Math.max(1, entry.attempts)));
      })
      .finally(() => {
        lane.busy = false;
        this.inFlight.delete(p);
        this.pump(hiringId);
      });
    this.inFlight.add(p);
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const isChunk = entry.tool === TOOL.emitChunk;
    if (isChunk && this.hiringFinished(entry.hiringId)) {
      return this.finish(entry, 'rejected', 'dropped: the hiring is already finished', 'dropped');
    }
    const attemptedBefore = entry.attempts > 0;
    const n = entry.attempts + 1;
    // Recorded (fsynced) before sending: after a crash we know it may have gone out.
    const tryRecord: OutboxRecord = { t: 'try', k: entry.key, n, ...(entry.lastError ? { err: entry.lastError } : {}) };
    this.apply(tryRecord);
    await this.journal.append(tryRecord);
    if (this.closed) return;
    const sending = this.entries.get(entry.key) ?? entry;

    let outcome: DeliveryOutcome;
    try {
      outcome = await this.send(sending);
    } catch (e) {
      outcome = { kind: 'retry', message: safeError(e).message };
    }

    switch (outcome.kind) {
      case 'confirmed':
        return this.finish(entry, 'confirmed', undefined, 'confirmed', outcome.result);
      case 'already-done':
        if (isChunk) return this.finish(entry, 'rejected', `dropped: ${outcome.message}`, 'dropped');
        // Sent before (maybe by a process that crashed before recording the answer): that was us.
        if (attemptedBefore) return this.finish(entry, 'confirmed', undefined, 'confirmed');
        return this.finish(entry, 'confirmed', `The platform said the hiring was already finished before this delivery was first sent: ${outcome.message}`, 'confirmed');
      case 'rejected':
        return this.finish(entry, 'rejected', outcome.message, 'rejected');
      case 'retry': {
        const max = this.opts.maxChunkAttempts ?? 5;
        if (isChunk && n >= max) return this.finish(entry, 'rejected', `dropped after ${n} attempts: ${outcome.message}`, 'dropped');
        this.replace(entry, { lastError: outcome.message });
        const delayMs = this.backoff.delay(n, outcome.retryAfterMs);
        this.log.info('delivery will be retried', { hiring: entry.hiringId, tool: entry.tool, attempt: n, delayMs, error: outcome.message });
        this.emit({ type: 'retry', entry: this.entries.get(entry.key) ?? entry, message: outcome.message, delayMs });
        this.wait(entry.hiringId, delayMs);
        return;
      }
    }
  }

  private wait(hiringId: string, ms: number): void {
    if (this.closed) return;
    const lane = this.lanes.get(hiringId) ?? { busy: false };
    this.lanes.set(hiringId, lane);
    lane.cancelTimer = this.schedule(() => {
      lane.cancelTimer = undefined;
      this.pump(hiringId);
    }, ms);
  }

  private async finish(
    entry: OutboxEntry,
    state: 'confirmed' | 'rejected',
    lastError: string | undefined,
    event: 'confirmed' | 'rejected' | 'dropped',
    result?: unknown,
  ): Promise<void> {
    const rec: OutboxRecord = { t: 'end', k: entry.key, s: state, at: this.now().toISOString(), ...(lastError ? { err: lastError } : {}) };
    this.apply(rec);
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
    if (event === 'confirmed') this.log.info('delivery confirmed', { hiring: entry.hiringId, tool: entry.tool, attempts: done.attempts });
    else this.log.warn(`delivery ${event}`, { hiring: entry.hiringId, tool: entry.tool, error: lastError });
    if (event === 'confirmed') this.emit({ type: 'confirmed', entry: done, result });
    else if (event === 'rejected') this.emit({ type: 'rejected', entry: done, message: lastError ?? 'rejected' });
    else this.emit({ type: 'dropped', entry: done, reason: lastError ?? 'dropped' });
  }

  private hiringFinished(hiringId: string): boolean {
    return this.finalDone.has(hiringId) || (this.opts.isHiringFinished?.(hiringId) ?? false);
  }

  private apply(rec: OutboxRecord): void {
    applyOutboxRecord(this.entries, rec);
  }

  private replace(entry: OutboxEntry, patch: Partial<OutboxEntry>): void {
    const cur = this.entries.get(entry.key);
    if (cur) this.entries.set(entry.key, { ...cur, ...patch });
  }

  /** Drops the oldest finished entries beyond the limit; pending ones are always kept. */
  private trimFinished(): void {
    const limit = this.opts.finishedLimit ?? 1000;
    if (this.finished <= limit) return;
    for (const [key, e] of this.entries) {
      if (this.finished <= limit) break;
      if (e.state !== 'pending') {
        this.entries.delete(key);
        this.finished--;
      }
    }
  }

  private emit(e: OutboxEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error('an outbox listener failed', { error: err });
      }
    }
  }
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
}
