// A submission's life: awaiting review → approved → (push: commit and push) →
// delivering through the outbox → delivered, or rejected with relay-local
// feedback, or failed (push error, platform refusal) until approved again.
import type { Logger } from '../../shared/log';
import { TOOL } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import type { SubmitResultArgs } from '../../shared/tools';
import type { Outbox, OutboxEvent } from '../inbox/outbox';
import { decidedAlready, type ReviewedSubmission, type ReviewQueue } from '../inbox/review';
import type { HiringStore } from '../inbox/store';
import { RelayError, type HiringRecord, type OutboxEntry, type Submission } from '../types';
import type { LinkDirectory, PushDelivery } from './ports';
import { answerOf, currentKey, nextDeliveryKey } from './delivery-keys';
import { hiringWithToken } from './token';
import { isFinished } from './views';
import type { ReviewMode } from '../../shared/constants';

export interface SubmissionsOptions {
  store: HiringStore;
  queue: ReviewQueue;
  outbox: Outbox;
  links: LinkDirectory;
  push: PushDelivery;
  workspaceRoot: string;
  logger: Logger;
}

const OPEN: readonly Submission['state'][] = ['awaiting_review', 'approved', 'delivering'];
/** Platform statuses a hiring cannot have right after a result of ours was accepted. */
const NOT_TAKEN: readonly string[] = ['cancelled', 'refunded', 'failed'];

type NewSubmission = Parameters<ReviewQueue['create']>[0];

export class Submissions {
  private readonly inFlight = new Map<string, Promise<Submission>>();
  /** Platform answers being recorded: stop() waits for them before closing the journals. */
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly o: SubmissionsOptions) {
    o.outbox.entries.onEvent((e) => this.track(this.settle(e), e.entry.key));
    // The platform ended a hiring (hirer cancelled…): what waits for review can never be delivered.
    o.store.onChange((c) => {
      if (c.kind !== 'local' && isFinished(c.phase)) this.track(this.withdraw(c.hiringId), c.hiringId);
    });
  }

  /** Takes a finished hiring's waiting submissions out of review, and tells the worker why. */
  async withdraw(hiringId: string): Promise<void> {
    const rec = this.o.store.get(hiringId);
    if (!rec || !isFinished(rec.phase)) return;
    for (const s of this.o.queue.forHiring(hiringId)) {
      if (s.state !== 'awaiting_review') continue;
      const why = `Hiring ${hiringId} is ${rec.hiring.status} on Agrenting; submission ${s.id} was withdrawn from review and will not be delivered.`;
      await this.o.queue.reject(s.id, 'relay', why);
      await this.o.store.addRelayMessage(hiringId, { content: why, from: 'relay' });
      this.o.logger.info('submission withdrawn: the hiring ended on Agrenting', {
        hiring: hiringId,
        submission: s.id,
        status: rec.hiring.status,
      });
    }
  }

  /** The submission of a hiring that is still open (waiting, approved, delivering), if any. */
  openFor(hiringId: string): ReviewedSubmission | undefined {
    // From the queue, not the hiring's list: a crash can fall between saving a submission and linking it.
    return this.o.queue.forHiring(hiringId).find((s) => OPEN.includes(s.state));
  }

  async create(input: NewSubmission, review: ReviewMode): Promise<Submission> {
    const s = await this.o.queue.create({ ...input, state: review === 'off' ? 'approved' : 'awaiting_review' });
    await this.o.store.linkSubmission(s.hiringId, s.id, 'awaiting_review');
    this.o.logger.info(`${s.kind} submitted`, { hiring: s.hiringId, submission: s.id, by: s.submittedBy, review });
    if (review === 'off') return this.deliver(s.id);
    return s;
  }

  async approve(id: string, by: string): Promise<Submission> {
    const s = this.require(id);
    // Someone decided first (another window, the terminal): say who and when rather than approving twice.
    if (s.state === 'approved' || s.state === 'delivering' || s.state === 'delivered') {
      throw new RelayError(`${decidedAlready(s)} Nothing more was done.`, 'conflict');
    }
    const rec = this.o.store.get(s.hiringId);
    if (rec && isFinished(rec.phase)) {
      throw new RelayError(
        `Hiring ${s.hiringId} is already ${rec.hiring.status} on Agrenting; submission ${id} can no longer be delivered. Reject it to tell the worker.`,
        'conflict',
      );
    }
    const other = this.openFor(s.hiringId);
    if (other && other.id !== id) {
      throw new RelayError(
        `Hiring ${s.hiringId} has a newer submission ${other.id} (${other.state.replace('_', ' ')}); decide that one instead of approving ${id} again.`,
        'conflict',
      );
    }
    // 'failed' may be approved again: that is the retry after a push or platform error.
    if (s.state !== 'failed') await this.o.queue.approve(id, by);
    this.o.logger.info(s.state === 'failed' ? 'retrying a failed submission' : 'submission approved', {
      submission: id,
      hiring: s.hiringId,
      by,
    });
    return this.deliver(id);
  }

  async reject(id: string, by: string, feedback: string): Promise<Submission> {
    const s = this.require(id);
    const done = await this.o.queue.reject(id, by, feedback);
    // Review feedback is internal: a relay-local message, never sent to the platform.
    await this.o.store.addRelayMessage(s.hiringId, { content: feedback, from: 'review' });
    await this.backToWork(s.hiringId);
    this.o.logger.info('submission rejected; feedback sent to the worker', { submission: id, hiring: s.hiringId });
    return done;
  }

  /**
   * After a restart, finishes what a kill -9 (or a stop) cut short between two journal writes of
   * a submission's life. Each step is journaled on its own (review queue, hiring store, outbox),
   * so any prefix of a step sequence may be on disk:
   * - saved but not linked to its hiring, or waiting for review of a hiring that ended (withdrawn);
   * - approved, or delivering with no outbox entry yet → deliver (same key);
   * - delivering, and the outbox already recorded the platform's answer → settle it;
   * - delivered / rejected / failed, and the hiring still shows it in review or delivering →
   *   finish the hiring's side (done, or back to the worker with the note).
   */
  resume(): void {
    this.track(this.recover(), 'resume');
  }

  private async recover(): Promise<void> {
    for (const s of this.o.queue.list()) {
      await this.repair(s.hiringId, () => this.recoverOne(s));
    }
    // Hirings left 'awaiting_review' or 'delivering' with nothing open: the last step never ran.
    for (const rec of this.o.store.active()) {
      const id = rec.hiring.id;
      if ((rec.phase !== 'awaiting_review' && rec.phase !== 'delivering') || this.openFor(id)) continue;
      await this.repair(id, async () => {
        const last = this.o.queue.forHiring(id).at(-1);
        if (last?.state === 'delivered') return this.refreshHiring(last);
        const note =
          last?.state === 'rejected'
            ? { content: last.feedback ?? '', from: 'review' as const }
            : last?.state === 'failed'
              ? { content: last.error ?? '', from: 'relay' as const }
              : undefined;
        if (note?.content && !rec.relayMessages.some((m) => m.from === note.from && m.content === note.content)) {
          await this.o.store.addRelayMessage(id, note);
        }
        await this.backToWork(id);
      });
    }
  }

  private async recoverOne(s: ReviewedSubmission): Promise<void> {
    const { store, outbox, logger } = this.o;
    const rec = store.get(s.hiringId);
    // Saved but never linked to its hiring: the hiring would not show it waiting.
    if (s.state === 'awaiting_review' && rec && !rec.submissions.includes(s.id)) {
      await store.linkSubmission(s.hiringId, s.id, 'awaiting_review');
    }
    // The hiring ended on the platform just before the crash, before its review was withdrawn.
    if (s.state === 'awaiting_review' && rec && isFinished(rec.phase)) await this.withdraw(s.hiringId);
    if (s.state !== 'approved' && s.state !== 'delivering') return;
    const entry = s.state === 'delivering' ? outbox.entries.get(currentKey(s)) : undefined;
    if (!entry) {
      logger.info('resuming an interrupted delivery', { submission: s.id, hiring: s.hiringId });
      // Not awaited: a push-mode delivery may take long, and the other repairs should not wait.
      this.deliver(s.id).catch((e: unknown) =>
        logger.error('resuming a delivery failed', { submission: s.id, error: e }),
      );
    } else if (entry.state !== 'pending') {
      // The platform answered and the outbox recorded it; the submission never heard.
      await this.settle(answerOf(entry));
    }
  }

  /** One hiring's repair failing (e.g. a journal write) must not stop the others'. */
  private async repair(hiringId: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.o.logger.error('could not finish an interrupted step after the restart', { hiring: hiringId, error: e });
    }
  }

  /** Waits for deliveries being prepared (push) to reach the outbox, and for answers being recorded. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.settling.size > 0) {
      await Promise.allSettled([...this.inFlight.values(), ...this.settling]);
    }
  }

  private track(p: Promise<void>, what: string): void {
    const t = p
      .catch((err: unknown) => this.o.logger.error('could not record a delivery answer', { key: what, error: err }))
      .finally(() => this.settling.delete(t));
    this.settling.add(t);
  }

  private async settle(e: OutboxEvent): Promise<void> {
    const subId = e.entry.submissionId;
    if (!subId || (e.type !== 'confirmed' && e.type !== 'rejected')) return;
    const s = this.o.queue.get(subId);
    // Only the answer to the current key counts (an earlier, refused key is history).
    if (!s || s.state === 'delivered' || currentKey(s) !== e.entry.key) return;
    if (e.type === 'confirmed') {
      // The platform's status decides, read before the submission is called delivered.
      await this.refreshHiring(s);
      const status = this.o.store.get(s.hiringId)?.hiring.status ?? '';
      if (s.kind === 'result' && NOT_TAKEN.includes(status)) {
        // "Already finished" from a hiring that ended without a result (the hirer cancelled): ours never landed.
        await this.fail(s, `Hiring ${s.hiringId} is ${status} on Agrenting; the result was not taken.`);
        return;
      }
      await this.o.queue.markDelivered(s.id);
      this.o.logger.info(s.kind === 'result' ? 'result delivered' : 'failure reported', {
        hiring: s.hiringId,
        submission: s.id,
      });
    } else {
      // A refusal can follow an attempt that landed (an MCP call cut off, then REST with the same key
      // answered e.g. IDEMPOTENCY_MISMATCH): if the hiring now ends the way ours would end it, it was ours.
      const status = await this.reread(s);
      if (status === (s.kind === 'result' ? 'completed' : 'failed')) {
        this.o.logger.warn('delivery refused, but the hiring shows it landed', {
          hiring: s.hiringId,
          submission: s.id,
          status,
          error: e.message,
        });
        await this.o.queue.markDelivered(s.id);
        return;
      }
      await this.fail(s, `Agrenting refused the ${s.kind === 'result' ? 'result' : 'failure report'}: ${e.message}`);
    }
  }

  private deliver(id: string): Promise<Submission> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.deliverNow(id).finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, p);
    return p;
  }

  private async deliverNow(id: string): Promise<Submission> {
    let s = this.require(id);
    const key = this.keyFor(s);
    const before = this.o.store.get(s.hiringId);
    // E.g. resumed after a restart, and the hirer cancelled meanwhile: nothing to push or send
    // (and 'delivering' would pull the hiring out of history). A key already out is settled by its answer.
    if (before && isFinished(before.phase) && !this.o.outbox.entries.get(key)) {
      return this.fail(
        s,
        `Hiring ${s.hiringId} is already ${before.hiring.status} on Agrenting; submission ${id} was not delivered.`,
      );
    }
    if (before && !isFinished(before.phase)) await this.o.store.setPhase(s.hiringId, 'delivering');
    let args: Record<string, unknown>;
    if (s.kind === 'result' && s.result) {
      let result: SubmitResultArgs = s.result;
      const rec = this.o.store.get(s.hiringId);
      if (rec?.hiring.delivery_mode === 'push' && s.push) {
        try {
          result = await this.pushChanges(s, rec);
        } catch (e) {
          return this.fail(
            s,
            safeError(
              e,
              `Pushing the changes of hiring ${s.hiringId} failed, so nothing was submitted. Fix it and approve again to retry`,
            ).message,
          );
        }
        // The submission shows what is sent (a failed one keeps the worker's own result; the outbox holds the rest).
        if (s.state === 'approved') s = await this.o.queue.update(id, { result });
      }
      args = { ...result };
    } else if (s.kind === 'failure' && s.failure) {
      args = { ...s.failure };
    } else {
      return this.fail(s, `Submission ${id} has nothing to deliver.`);
    }
    // The key is journaled with the state, before the outbox entry: a restart finds the entry by it.
    // (Already 'delivering': resumed after a crash, under the same key — keyFor changes it only for 'failed'.)
    if (s.state !== 'delivering') s = await this.o.queue.markDelivering(id, key);
    let entry: OutboxEntry;
    try {
      entry = await this.o.outbox.enqueue({
        key,
        agent: s.agent,
        hiringId: s.hiringId,
        tool: s.kind === 'result' ? TOOL.submitResult : TOOL.reportFailure,
        args,
        submissionId: id,
      });
    } catch (e) {
      // E.g. another final delivery for the hiring is already out: left 'delivering', this one would never move again.
      if (e instanceof RelayError && e.code === 'conflict') return this.fail(s, e.message);
      throw e;
    }
    // Already answered (found, not new): no event will come for it, so settle it here.
    if (entry.state !== 'pending') await this.settle(answerOf(entry));
    return this.o.queue.get(id) ?? s;
  }

  /** The submission's key; a new one when Agrenting refused the current one for good. */
  private keyFor(s: ReviewedSubmission): string {
    const key = currentKey(s);
    return s.state === 'failed' && this.o.outbox.entries.get(key)?.state === 'rejected'
      ? nextDeliveryKey(s.id, key)
      : key;
  }

  private async pushChanges(s: Submission, rec: HiringRecord): Promise<SubmitResultArgs> {
    if (!s.result || !s.push) throw new Error('no result to push');
    const hiring = await hiringWithToken(this.o.store, this.o.links, rec);
    const workspace = rec.workspace ?? (await this.o.push.findWorkspace(this.o.workspaceRoot, s.hiringId));
    if (!workspace) throw new Error('there is no workspace for this hiring (prepare_workspace first)');
    const outcome = await this.o.push.commitAndPush({ workspace, hiring, plan: s.push });
    this.o.logger.info('changes pushed', {
      hiring: s.hiringId,
      branch: outcome.branch,
      commit: outcome.commit,
      files: outcome.files_changed.length,
    });
    return this.o.push.resultOutput(s.result, outcome, s.push);
  }

  private async fail(s: Submission, error: string): Promise<Submission> {
    const updated =
      this.o.queue.get(s.id)?.state === 'failed' ? this.require(s.id) : await this.o.queue.markFailed(s.id, error);
    await this.o.store.addRelayMessage(s.hiringId, { content: error, from: 'relay' });
    await this.backToWork(s.hiringId);
    this.o.logger.warn('submission failed', { submission: s.id, hiring: s.hiringId, error });
    return updated;
  }

  /** After rejection or failure the hiring is the worker's again. */
  private async backToWork(hiringId: string): Promise<void> {
    const rec = this.o.store.get(hiringId);
    // Another submission still open keeps the hiring where that one is.
    if (rec && !isFinished(rec.phase) && !this.openFor(hiringId)) {
      await this.o.store.setPhase(hiringId, rec.claimedBy ? 'claimed' : 'new');
    }
  }

  /** The platform's answer decides the status: re-read the hiring; fall back to what we sent. */
  private async refreshHiring(s: Submission): Promise<void> {
    await this.reread(s);
    const after = this.o.store.get(s.hiringId);
    if (after && !isFinished(after.phase)) {
      await this.o.store.setPhase(s.hiringId, s.kind === 'result' ? 'done' : 'failed');
    }
  }

  /** Re-reads the hiring from the platform into the store; its fresh status, or undefined if unreadable. */
  private async reread(s: Submission): Promise<string | undefined> {
    const link = this.o.links.get(s.agent);
    if (!link) return undefined;
    try {
      const fresh = await link.getHiring(s.hiringId);
      await this.o.store.upsert(s.agent, [fresh], 'rest');
      return fresh.status;
    } catch (e) {
      this.o.logger.debug('could not re-read a hiring after its delivery', { hiring: s.hiringId, error: e });
      return undefined;
    }
  }

  private require(id: string): ReviewedSubmission {
    const s = typeof id === 'string' ? this.o.queue.get(id) : undefined;
    if (!s) throw new RelayError(`Unknown submission ${id}.`, 'not_found');
    return s;
  }
}
