// The outbox keys a submission's delivery goes out under, and what an answered entry means.
import type { OutboxEvent } from '../inbox/outbox';
import type { ReviewedSubmission } from '../inbox/review';
import type { OutboxEntry } from '../types';

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
  return entry.state === 'confirmed'
    ? { type: 'confirmed', entry }
    : { type: 'rejected', entry, message: entry.lastError ?? 'refused' };
}
