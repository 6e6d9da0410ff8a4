// The review queue: what workers submitted, waiting for a human's Approve or
// Reject. Every submission and every decision is journaled (a whole submission per
// change: they are few and small, and replaying "last one wins" is trivially safe).
import { randomUUID } from 'node:crypto';
import { createLogger, type Logger } from '../../shared/log';
import type { ReportFailureArgs, SubmitResultArgs } from '../../shared/tools';
import { RelayError, type PushPlan, type Submission, type SubmissionState } from '../types';
import { Journal } from './journal';
import { Emitter } from '../../shared/emitter';

export interface ReviewQueueOptions {
  /** Finished submissions (rejected, delivered, failed) kept. Default 1000. */
  finishedLimit?: number;
  fileName?: string;
  compactFactor?: number;
  compactMinRecords?: number;
  durable?: boolean;
  logger?: Logger;
  now?: () => Date;
}

/** A Submission with who decided it (kept beside the shared type, which has no such field). */
export interface ReviewedSubmission extends Submission {
  decidedBy?: string;
  /**
   * The outbox key its delivery goes out under (journaled before the outbox entry,
   * so a restart finds the entry). A new key only after Agrenting refused the last one.
   */
  deliveryKey?: string;
}

export interface NewSubmission {
  agent: string;
  hiringId: string;
  kind: 'result' | 'failure';
  result?: SubmitResultArgs;
  failure?: ReportFailureArgs;
  push?: PushPlan;
  submittedBy: string;
  /** 'approved' when review is off; default 'awaiting_review'. */
  state?: 'awaiting_review' | 'approved';
}

type ReviewRecord = { t: 'sub'; s: ReviewedSubmission };

/** Allowed transitions: anything else is refused with a sentence saying why. */
const NEXT: Record<SubmissionState, readonly SubmissionState[]> = {
  awaiting_review: ['approved', 'rejected'],
  approved: ['delivering', 'delivered', 'failed'],
  delivering: ['delivered', 'failed'],
  // A failed delivery (e.g. push refused) may be tried again after a fix.
  failed: ['delivering', 'delivered'],
  rejected: [],
  delivered: [],
};

const FINISHED: readonly SubmissionState[] = ['rejected', 'delivered', 'failed'];

const STATE_WORDS: Record<SubmissionState, string> = {
  awaiting_review: 'waiting for review',
  approved: 'already approved',
  rejected: 'already rejected',
  delivering: 'being delivered',
  delivered: 'already delivered',
  failed: 'failed to deliver',
};

/** "Submission S for hiring H was already approved by operator at T (now: delivered)." */
export function decidedAlready(s: ReviewedSubmission): string {
  const decision = s.state === 'rejected' ? 'rejected' : 'approved';
  const now = s.state === decision ? '' : ` (now: ${STATE_WORDS[s.state].replace(/^already /, '')})`;
  const who = s.decidedAt === undefined ? ' (review is off)' : ` by ${s.decidedBy ?? 'someone'} at ${s.decidedAt}`;
  return `Submission ${s.id} for hiring ${s.hiringId} was already ${decision}${who}${now}.`;
}

export class ReviewQueue {
  private readonly subs = new Map<string, ReviewedSubmission>();
  private readonly changes = new Emitter<ReviewedSubmission>((e) =>
    this.log.error('a review listener failed', { error: e }),
  );
  private readonly finishedLimit: number;
  private finished = 0;
  private readonly now: () => Date;
  private readonly log: Logger;

  private constructor(
    private readonly journal: Journal<ReviewRecord>,
    opts: ReviewQueueOptions,
  ) {
    this.finishedLimit = opts.finishedLimit ?? 1000;
    this.now = opts.now ?? (() => new Date());
    this.log = (opts.logger ?? createLogger('inbox')).child('review');
    journal.setCompaction(
      () => [...this.subs.values()].map((s) => ({ t: 'sub' as const, s })),
      () => this.subs.size,
    );
  }

  static async open(stateDir: string, opts: ReviewQueueOptions = {}): Promise<ReviewQueue> {
    const journal = Journal.inDir<ReviewRecord>(stateDir, 'reviews.jsonl', opts);
    const q = new ReviewQueue(journal, opts);
    const { records } = await journal.replay((v) => (isReviewRecord(v) ? v : undefined));
    for (const r of records) q.put(r.s);
    return q;
  }

  get(id: string): ReviewedSubmission | undefined {
    return this.subs.get(id);
  }

  /** Submissions in creation order, optionally only those in the given state(s). */
  list(state?: SubmissionState | readonly SubmissionState[]): ReviewedSubmission[] {
    const all = [...this.subs.values()];
    if (state === undefined) return all;
    const wanted = typeof state === 'string' ? [state] : state;
    return all.filter((s) => wanted.includes(s.state));
  }

  /** Submissions for one hiring, oldest first. */
  forHiring(hiringId: string): ReviewedSubmission[] {
    return [...this.subs.values()].filter((s) => s.hiringId === hiringId);
  }

  /** Number waiting for a human. */
  waiting(): number {
    let n = 0;
    for (const s of this.subs.values()) if (s.state === 'awaiting_review') n++;
    return n;
  }

  onChange(listener: (s: ReviewedSubmission) => void): () => void {
    return this.changes.on(listener);
  }

  async create(input: NewSubmission): Promise<ReviewedSubmission> {
    if (input.kind === 'result' && !input.result) {
      throw new RelayError('A result submission needs the result to send.', 'invalid');
    }
    if (input.kind === 'failure' && !input.failure) {
      throw new RelayError('A failure submission needs the failure report to send.', 'invalid');
    }
    const s: ReviewedSubmission = {
      id: randomUUID(),
      agent: input.agent,
      hiringId: input.hiringId,
      kind: input.kind,
      ...(input.result ? { result: input.result } : {}),
      ...(input.failure ? { failure: input.failure } : {}),
      ...(input.push ? { push: input.push } : {}),
      submittedBy: input.submittedBy,
      state: input.state ?? 'awaiting_review',
      createdAt: this.now().toISOString(),
    };
    return this.save(s);
  }

  async approve(id: string, by: string): Promise<ReviewedSubmission> {
    const s = this.transition(id, 'approved');
    return this.save({ ...s, state: 'approved', decidedAt: this.now().toISOString(), decidedBy: by });
  }

  async reject(id: string, by: string, feedback: string): Promise<ReviewedSubmission> {
    const text = feedback.trim();
    if (text === '') throw new RelayError('Say what should change: rejection feedback is required.', 'invalid');
    const s = this.transition(id, 'rejected');
    return this.save({ ...s, state: 'rejected', feedback: text, decidedAt: this.now().toISOString(), decidedBy: by });
  }

  /** Completes what will be sent (push mode fills in branch, commit, PR at approval). */
  async update(
    id: string,
    patch: { result?: SubmitResultArgs; failure?: ReportFailureArgs; push?: PushPlan },
  ): Promise<ReviewedSubmission> {
    const s = this.require(id);
    if (FINISHED.includes(s.state) || s.state === 'delivering') {
      throw new RelayError(`Submission ${id} is ${STATE_WORDS[s.state]}; it can no longer be changed.`, 'conflict');
    }
    return this.save({ ...s, ...patch });
  }

  async markDelivering(id: string, deliveryKey?: string): Promise<ReviewedSubmission> {
    const s = this.transition(id, 'delivering');
    return this.save({ ...s, state: 'delivering', error: undefined, ...(deliveryKey ? { deliveryKey } : {}) });
  }

  async markDelivered(id: string): Promise<ReviewedSubmission> {
    const s = this.transition(id, 'delivered');
    return this.save({ ...s, state: 'delivered', error: undefined, deliveredAt: this.now().toISOString() });
  }

  async markFailed(id: string, error: string): Promise<ReviewedSubmission> {
    const s = this.transition(id, 'failed');
    return this.save({ ...s, state: 'failed', error });
  }

  compact(): Promise<void> {
    return this.journal.compactNow();
  }

  async close(): Promise<void> {
    await this.journal.close();
  }

  /**
   * The compare-and-set every decision goes through: the state is checked and the new one put in memory in one
   * synchronous step (save), so of two decisions racing on one submission exactly one passes; the other is told
   * who decided first, when, and what.
   */
  private transition(id: string, to: SubmissionState): ReviewedSubmission {
    const s = this.require(id);
    if ((to === 'approved' || to === 'rejected') && s.decidedAt !== undefined && s.state !== 'awaiting_review') {
      throw new RelayError(
        `${decidedAlready(s)} Your ${to === 'approved' ? 'approval' : 'rejection'} was not applied.`,
        'conflict',
      );
    }
    if (!NEXT[s.state].includes(to)) {
      const verb: Partial<Record<SubmissionState, string>> = {
        approved: 'approve',
        rejected: 'reject',
        delivering: 'deliver',
        delivered: 'mark delivered',
        failed: 'mark failed',
      };
      throw new RelayError(
        `Cannot ${verb[to] ?? to} submission ${id} for hiring ${s.hiringId}: it is ${STATE_WORDS[s.state]}.`,
        'conflict',
      );
    }
    return s;
  }

  private require(id: string): ReviewedSubmission {
    const s = this.subs.get(id);
    if (!s) throw new RelayError(`Unknown submission ${id}.`, 'not_found');
    return s;
  }

  private async save(s: ReviewedSubmission): Promise<ReviewedSubmission> {
    if (s.error === undefined) delete s.error;
    this.put(s);
    await this.journal.append({ t: 'sub', s });
    this.changes.emit(s);
    return s;
  }

  private put(s: ReviewedSubmission): void {
    const old = this.subs.get(s.id);
    if (old && FINISHED.includes(old.state)) this.finished--;
    this.subs.set(s.id, s);
    if (FINISHED.includes(s.state)) this.finished++;
    if (this.finished <= this.finishedLimit) return;
    // Oldest finished ones go first; waiting and in-flight ones are always kept.
    for (const [id, sub] of this.subs) {
      if (this.finished <= this.finishedLimit) break;
      if (FINISHED.includes(sub.state)) {
        this.subs.delete(id);
        this.finished--;
      }
    }
  }
}

function isReviewRecord(v: unknown): v is ReviewRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { t?: unknown; s?: { id?: unknown; state?: unknown; hiringId?: unknown } };
  return (
    r.t === 'sub' &&
    typeof r.s?.id === 'string' &&
    typeof r.s.hiringId === 'string' &&
    typeof r.s.state === 'string' &&
    r.s.state in NEXT
  );
}
