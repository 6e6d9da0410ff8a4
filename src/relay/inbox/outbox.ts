// The outbox: every delivery to the platform (result, failure, message, progress
// chunk) is journaled with its idempotency key before it is sent (the ledger,
// outbox-ledger.ts), then sent and retried with capped exponential backoff +
// jitter until the platform answers for good (this module: the sending loop).
// Entries of one hiring go out in order (a message queued before the result goes
// first); hirings do not wait for each other.
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
// already-done, or after `maxChunkAttempts` transient failures. A result or failure
// report supersedes the chunks waiting ahead of it (they can only go over MCP, the
// result also over REST: with the session down they would hold it back for
// minutes), and at most `maxPendingChunks` wait per hiring (a flood while offline).
import { createLogger, type Logger } from '../../shared/log';
import { TOOL } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import { RelayError, type DeliveryAttempt, type DeliveryOutcome, type OutboxEntry } from '../types';
import { Journal } from './journal';
import { isOutboxRecord, type OutboxRecord } from './outbox-records';
import { FINAL_TOOLS, OutboxLedger, type NewDelivery } from './outbox-ledger';
import { Backoff, type BackoffOptions } from '../../shared/backoff';

export type { NewDelivery, OutboxEvent } from './outbox-ledger';

export type SendFn = (entry: OutboxEntry, attempt: DeliveryAttempt) => Promise<DeliveryOutcome>;

/** Retry backoff of deliveries; default 1 s doubling to a minute, ±20 % so retries do not fire together. */
export interface OutboxOptions extends Partial<BackoffOptions> {
  /** Longest Retry-After honoured (a bigger one is cut to this). Default 15 minutes. */
  maxRetryAfterMs?: number;
  /** Sends one entry upstream (the Relay uses the agent's UpstreamLink.deliver). */
  send: SendFn;
  /** Start sending (and resume pending entries) right after open. Default true. */
  autoStart?: boolean;
  /** Transient failures after which a progress chunk is dropped. Default 5. */
  maxChunkAttempts?: number;
  /** Progress chunks kept waiting per hiring; older ones are dropped. Default 50. */
  maxPendingChunks?: number;
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

interface Lane {
  busy: boolean;
  cancelTimer?: () => void;
}

/** Reading the outbox: its entries and their events, straight from the ledger. */
export type OutboxEntries = Pick<OutboxLedger, 'get' | 'list' | 'pending' | 'pendingCount' | 'onEvent'>;

export class Outbox {
  private readonly ledger: OutboxLedger;
  /** What was delivered and what waits; writing goes through enqueue(). */
  readonly entries: OutboxEntries;
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly backoff: Backoff;
  private readonly schedule: (fn: () => void, ms: number) => () => void;
  private readonly log: Logger;
  private readonly send: SendFn;
  /** Deliveries whose last attempt failed before it could reach the platform (safe to send again as they are). */
  private readonly notLanded = new Set<string>();
  private running = false;
  private closed = false;

  private constructor(
    journal: Journal<OutboxRecord>,
    private readonly opts: OutboxOptions,
  ) {
    this.send = opts.send;
    this.backoff = new Backoff({
      baseMs: opts.baseMs ?? 1000,
      capMs: opts.capMs ?? 60_000,
      jitter: opts.jitter ?? 0.2,
      random: opts.random,
    });
    this.schedule = opts.schedule ?? defaultSchedule;
    this.log = (opts.logger ?? createLogger('inbox')).child('outbox');
    this.ledger = new OutboxLedger(journal, {
      finishedLimit: opts.finishedLimit ?? 1000,
      log: this.log,
      now: opts.now ?? (() => new Date()),
    });
    this.entries = this.ledger;
  }

  static async open(stateDir: string, opts: OutboxOptions): Promise<Outbox> {
    const journal = Journal.inDir<OutboxRecord>(stateDir, 'outbox.jsonl', opts);
    const box = new Outbox(journal, opts);
    const { records } = await journal.replay((v) => (isOutboxRecord(v) ? v : undefined));
    box.ledger.replay(records);
    if (box.ledger.pendingCount() > 0) {
      box.log.info('resuming pending deliveries', { pending: box.ledger.pendingCount() });
    }
    // Next macrotask: whoever awaited open() has subscribed to events by then.
    if (opts.autoStart ?? true) setImmediate(() => box.start());
    return box;
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
    const { entry, isNew } = await this.ledger.add(d);
    if (!isNew) return entry;
    if (FINAL_TOOLS.includes(entry.tool)) {
      await this.dropChunks(
        entry.hiringId,
        0,
        `dropped: superseded by the ${entry.tool === TOOL.submitResult ? 'result' : 'failure report'} queued behind it`,
      );
    } else if (entry.tool === TOOL.emitChunk) {
      await this.dropChunks(
        entry.hiringId,
        this.opts.maxPendingChunks ?? 50,
        'dropped: superseded by newer progress (too many chunks waiting)',
      );
    }
    this.pump(entry.hiringId);
    return entry;
  }

  /** Starts (or resumes) sending. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    for (const id of this.ledger.hirings()) this.pump(id);
  }

  /** Retries now instead of waiting out the backoff (e.g. the agent's link just reconnected). */
  kick(agent?: string): void {
    for (const [hiringId, lane] of this.lanes) {
      const entry = this.ledger.head(hiringId);
      if (!lane.cancelTimer || (agent !== undefined && entry?.agent !== agent)) continue;
      lane.cancelTimer();
      lane.cancelTimer = undefined;
      this.pump(hiringId);
    }
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
    await this.ledger.close();
  }

  compact(): Promise<void> {
    return this.ledger.compact();
  }

  // ───────────── sending ─────────────

  private pump(hiringId: string): void {
    if (!this.running) return;
    const lane = this.lanes.get(hiringId) ?? { busy: false };
    if (lane.busy || lane.cancelTimer) return;
    const entry = this.ledger.head(hiringId);
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
        this.wait(hiringId, this.backoff.delay(Math.max(1, entry.attempts) - 1));
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
      return this.ledger.finish(entry, 'rejected', 'dropped: the hiring is already finished', 'dropped');
    }
    const attemptedBefore = entry.attempts > 0;
    // Known only for attempts this process saw fail before the request could land; after a crash nothing is known.
    const earlierMayHaveLanded = attemptedBefore && !this.notLanded.delete(entry.key);
    if (isChunk && earlierMayHaveLanded) {
      // The platform cannot be asked whether a chunk arrived: a lost progress line beats a doubled one.
      const why = 'dropped: an earlier attempt may have reached the platform, and a progress line is never sent twice';
      return this.ledger.finish(entry, 'rejected', why, 'dropped');
    }
    const n = entry.attempts + 1;
    // Recorded (fsynced) before sending: after a crash we know it may have gone out.
    const sending = await this.ledger.recordTry(entry);
    if (this.closed) return;

    let outcome: DeliveryOutcome;
    try {
      outcome = await this.send(sending, { earlierMayHaveLanded, since: entry.createdAt });
    } catch (e) {
      outcome = { kind: 'retry', message: safeError(e).message };
    }

    switch (outcome.kind) {
      case 'confirmed':
        return this.ledger.finish(entry, 'confirmed', undefined, 'confirmed', outcome.result);
      case 'already-done':
        if (isChunk) return this.ledger.finish(entry, 'rejected', `dropped: ${outcome.message}`, 'dropped');
        // Sent before (maybe by a process that crashed before recording the answer): that was us.
        if (attemptedBefore) return this.ledger.finish(entry, 'confirmed', undefined, 'confirmed');
        return this.ledger.finish(
          entry,
          'confirmed',
          `The platform said the hiring was already finished before this delivery was first sent: ${outcome.message}`,
          'confirmed',
        );
      case 'rejected':
        return this.ledger.finish(entry, 'rejected', outcome.message, 'rejected');
      case 'retry': {
        const max = this.opts.maxChunkAttempts ?? 5;
        if (isChunk && n >= max) {
          return this.ledger.finish(entry, 'rejected', `dropped after ${n} attempts: ${outcome.message}`, 'dropped');
        }
        if (!outcome.uncertain) this.notLanded.add(entry.key);
        const noted = this.ledger.noteError(entry, outcome.message);
        const delayMs =
          honourRetryAfter(outcome.retryAfterMs, this.backoff.baseMs, this.opts.maxRetryAfterMs) ??
          this.backoff.delay(n - 1);
        this.log.info('delivery will be retried', {
          hiring: entry.hiringId,
          tool: entry.tool,
          attempt: n,
          delayMs,
          error: outcome.message,
        });
        this.ledger.emit({ type: 'retry', entry: noted, message: outcome.message, delayMs });
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

  /** Drops the oldest waiting chunks of a hiring beyond `keep`; one being sent is left alone. */
  private async dropChunks(hiringId: string, keep: number, reason: string): Promise<void> {
    const lane = this.lanes.get(hiringId);
    const head = this.ledger.head(hiringId);
    const sending = lane?.busy ? head?.key : undefined;
    const waiting = this.ledger.pending(hiringId).filter((e) => e.tool === TOOL.emitChunk && e.key !== sending);
    const victims = waiting.slice(0, Math.max(0, waiting.length - keep));
    if (victims.length === 0) return;
    if (lane?.cancelTimer && victims.some((v) => v.key === head?.key)) {
      lane.cancelTimer();
      lane.cancelTimer = undefined;
    }
    for (const v of victims) this.notLanded.delete(v.key);
    // All taken off the queue in this synchronous step, so the loop cannot pick one up meanwhile.
    await Promise.all(victims.map((v) => this.ledger.finish(v, 'rejected', reason, 'dropped')));
  }

  private hiringFinished(hiringId: string): boolean {
    return this.ledger.finalConfirmed(hiringId) || (this.opts.isHiringFinished?.(hiringId) ?? false);
  }
}

function defaultSchedule(fn: () => void, ms: number): () => void {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
}

/**
 * The wait the platform asked for (it knows its rate window), within reason: never less than the
 * first backoff step, since "Retry-After: 0" (or a date already past) on every answer would
 * otherwise retry in a busy loop, fsyncing each attempt.
 */
export function honourRetryAfter(
  retryAfterMs: number | undefined,
  minMs: number,
  maxMs = 15 * 60_000,
): number | undefined {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return undefined;
  return Math.max(minMs, Math.min(retryAfterMs, maxMs));
}
