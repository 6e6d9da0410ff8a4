// After a restart, finish what a kill -9 (or a stop) cut short between two journal
// writes of a submission's life. Each step is journaled on its own (review queue,
// hiring store, outbox), so any prefix of a step sequence may be on disk:
// - a submission saved but not linked to its hiring, or waiting for review of a
//   hiring that has ended on the platform (withdrawn);
// - approved, or delivering with no outbox entry yet → deliver (same key);
// - delivering, and the outbox already recorded the platform's answer → settle it;
// - delivered / rejected / failed, and the hiring still shows it in review or
//   delivering → finish the hiring's side (done, or back to the worker with the note).
import type { Logger } from '../../shared/log';
import type { Outbox, OutboxEvent } from '../inbox/outbox';
import type { ReviewedSubmission, ReviewQueue } from '../inbox/review';
import type { HiringStore } from '../inbox/store';
import type { OutboxEntry, Submission } from '../types';

/** The outbox key of a submission's delivery: stable, so a crash never sends it twice. */
export function deliveryKey(submissionId: string): string {
  return `submission-${submissionId}`;
}

/** The key its delivery goes out under now (a new one after each refusal, see nextDeliveryKey). */
export function currentKey(s: ReviewedSubmission): string {
  return s.deliveryKey ?? deliveryKey(s.id);
}

/**
 * The key after `key` was refused for good: `submission-<id>-<n>`. Agrenting replays
 * its first answer for a key it has seen (protocol §6), so approving a refused
 * delivery again can only succeed under a new key; it cannot double anything,
 * because the refused one never took effect.
 */
export function nextDeliveryKey(submissionId: string, key: string): string {
  const m = /-(\d+)$/.exec(key.slice(deliveryKey(submissionId).length));
  return `${deliveryKey(submissionId)}-${m ? Number(m[1]) + 1 : 2}`;
}

/** The outbox event an already-answered entry stands for. */
export function answerOf(entry: OutboxEntry): OutboxEvent {
  return entry.state === 'confirmed' ? { type: 'confirmed', entry } : { type: 'rejected', entry, message: entry.lastError ?? 'refused' };
}

export interface RecoveryDeps {
  store: HiringStore;
  queue: ReviewQueue;
  outbox: Outbox;
  logger: Logger;
  /** Starts (or joins) a submission's delivery; not awaited here (push mode may take long). */
  deliver(id: string): Promise<unknown>;
  settle(e: OutboxEvent): Promise<void>;
  refreshHiring(s: Submission): Promise<void>;
  backToWork(hiringId: string): Promise<void>;
  openFor(hiringId: string): ReviewedSubmission | undefined;
  /** Takes a finished hiring's waiting submissions out of review. */
  withdraw(hiringId: string): Promise<void>;
}

export async function recoverSubmissions(d: RecoveryDeps): Promise<void> {
  for (const s of d.queue.list()) {
    await step(d, s.hiringId, () => recoverOne(d, s));
  }
  // Hirings left 'awaiting_review' or 'delivering' with nothing open: the last step never ran.
  for (const rec of d.store.active()) {
    const id = rec.hiring.id;
    if ((rec.phase !== 'awaiting_review' && rec.phase !== 'delivering') || d.openFor(id)) continue;
    await step(d, id, async () => {
      const last = d.queue.forHiring(id).at(-1);
      if (last?.state === 'delivered') return d.refreshHiring(last);
      const note = last?.state === 'rejected' ? { content: last.feedback ?? '', from: 'review' as const } : last?.state === 'failed' ? { content: last.error ?? '', from: 'relay' as const } : undefined;
      if (note?.content && !rec.relayMessages.some((m) => m.from === note.from && m.content === note.content)) {
        await d.store.addRelayMessage(id, note);
      }
      await d.backToWork(id);
    });
  }
}

async function recoverOne(d: RecoveryDeps, s: ReviewedSubmission): Promise<void> {
  // Saved but never linked to its hiring: the hiring would not show it waiting.
  const rec = d.store.get(s.hiringId);
  if (s.state === 'awaiting_review' && rec && !rec.submissions.includes(s.id)) await d.store.linkSubmission(s.hiringId, s.id, 'awaiting_review');
  // The hiring ended on the platform just before the crash, before its review was withdrawn.
  if (s.state === 'awaiting_review' && rec && (rec.phase === 'done' || rec.phase === 'failed')) await d.withdraw(s.hiringId);
  if (s.state !== 'approved' && s.state !== 'delivering') return;
  const entry = s.state === 'delivering' ? d.outbox.get(currentKey(s)) : undefined;
  if (!entry) {
    d.logger.info('resuming an interrupted delivery', { submission: s.id, hiring: s.hiringId });
    d.deliver(s.id).catch((e: unknown) => d.logger.error('resuming a delivery failed', { submission: s.id, error: e }));
  } else if (entry.state !== 'pending') {
    // The platform answered and the outbox recorded it; the submission never heard.
    await d.settle(answerOf(entry));
  }
}

/** One hiring's repair failing (e.g. a journal write) must not stop the others'. */
async function step(d: RecoveryDeps, hiringId: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    d.logger.error('could not finish an interrupted step after the restart', { hiring: hiringId, error: e });
  }
}
