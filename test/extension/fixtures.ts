// Builders of relay-shaped values for the view-model tests.
import type { HiringView, LocalPhase, RelayStatus, Submission } from '../../src/relay/types';
import { parseHiringView } from '../../src/extension/view-models/parse';

export const NOW = new Date('2026-11-24T12:00:00.000Z');

export function view(
  id: string,
  phase: LocalPhase,
  hiring: Record<string, unknown> = {},
  local: Record<string, unknown> = {},
): HiringView {
  return parseHiringView({
    hiring: {
      id,
      status: 'in_progress',
      task_description: `Task ${id}\nMore detail on the second line.`,
      price: '25.00',
      delivery_mode: 'output',
      capability_requested: 'coding',
      deadline_at: '2026-11-24T15:00:00.000Z',
      ...hiring,
    },
    agent: 'default',
    phase,
    firstSeenAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T11:00:00.000Z',
    chunks: [],
    relayMessages: [],
    submissions: [],
    ...local,
  });
}

export function submission(id: string, hiringId: string, extra: Partial<Submission> = {}): Submission {
  return {
    id,
    agent: 'default',
    hiringId,
    kind: 'result',
    result: { hiring_id: hiringId, output: 'the answer' },
    submittedBy: 'claude',
    state: 'awaiting_review',
    createdAt: '2026-11-24T11:30:00.000Z',
    ...extra,
  };
}

export function status(extra: Partial<RelayStatus> = {}): RelayStatus {
  return {
    version: '0.1.0',
    startedAt: '2026-11-24T09:00:00.000Z',
    review: 'required',
    links: [{ agent: 'default', state: 'connected', reconnects: 0 }],
    counts: { new: 0, claimed: 0, awaiting_review: 0, delivering: 0, done: 0, failed: 0 },
    reviewsWaiting: 0,
    outboxPending: 0,
    ...extra,
  };
}
