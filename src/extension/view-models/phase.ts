// How the sidebar groups hirings: five groups from the relay's LocalPhase.
import type { LocalPhase } from '../../relay/types';

export type HiringGroup = 'new' | 'inProgress' | 'awaitingReview' | 'done' | 'failed';

export const GROUP_ORDER: readonly HiringGroup[] = ['new', 'inProgress', 'awaitingReview', 'done', 'failed'];

export const GROUP_LABEL: Record<HiringGroup, string> = {
  new: 'New',
  inProgress: 'In progress',
  awaitingReview: 'Awaiting review',
  done: 'Done',
  failed: 'Failed',
};

export function groupOf(phase: LocalPhase): HiringGroup {
  switch (phase) {
    case 'new':
      return 'new';
    case 'claimed':
    case 'delivering':
      return 'inProgress';
    case 'awaiting_review':
      return 'awaitingReview';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
  }
}

/** Words for one phase, e.g. in the detail view ("Delivering to the client"). */
export const PHASE_LABEL: Record<LocalPhase, string> = {
  new: 'New — not claimed yet',
  claimed: 'In progress',
  awaiting_review: 'Awaiting your review',
  delivering: 'Delivering to the client',
  done: 'Done',
  failed: 'Failed',
};
