// Which notifications a change of the relay's state deserves, and at which level.
// Pure: the extension keeps the previous snapshot and shows what this returns.
import type { HiringView, LocalPhase, Submission } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import { deadlineWithin, shortSpan, msUntil } from './deadline';
import { formatPrice } from './hiring-item';

export type NotificationLevel = 'all' | 'important' | 'none';

export type NoticeKind = 'newHiring' | 'reviewWaiting' | 'delivered' | 'failed' | 'deadline' | 'summary';

export interface Notice {
  kind: NoticeKind;
  /** important notices show at level "important"; the rest only at "all". */
  important: boolean;
  /** warning-style (failures, deadlines) or information. */
  severity: 'info' | 'warning';
  message: string;
  hiringId?: string;
  submissionId?: string;
  /** Buttons, by the command each runs. */
  actions: { title: string; command: string }[];
}

export interface Snapshot {
  phases: Map<string, LocalPhase>;
  reviews: Set<string>;
}

export function snapshotOf(views: HiringView[], reviews: Submission[]): Snapshot {
  return {
    phases: new Map(views.map((v) => [v.hiring.id, v.phase])),
    reviews: new Set(reviews.filter((s) => s.state === 'awaiting_review').map((s) => s.id)),
  };
}

export function allowed(notice: Notice, level: NotificationLevel): boolean {
  return level === 'all' || (level === 'important' && notice.important);
}

/** The relay's name for the extension's own caller: its submissions are approved as they are made. */
export const OPERATOR = 'operator';

const title = (v: HiringView | undefined, id: string) => (v ? `"${taskTitle(v.hiring, 60)}"` : `hiring ${id}`);

/**
 * Notices for what changed between two snapshots. The first snapshot (prev undefined)
 * yields at most one summary, so opening a window does not replay old news.
 */
export function diffNotices(prev: Snapshot | undefined, views: HiringView[], reviews: Submission[]): Notice[] {
  const waiting = reviews.filter((s) => s.state === 'awaiting_review');
  if (!prev) {
    const fresh = views.filter((v) => v.phase === 'new').length;
    if (fresh === 0 && waiting.length === 0) return [];
    const parts = [
      fresh > 0 ? `${fresh} new hiring${fresh === 1 ? '' : 's'}` : '',
      waiting.length > 0 ? `${waiting.length} submission${waiting.length === 1 ? '' : 's'} to review` : '',
    ].filter(Boolean);
    return [
      {
        kind: 'summary',
        important: true,
        severity: 'info',
        message: `Agrenting: ${parts.join(' and ')} waiting.`,
        actions: [{ title: 'Show Hirings', command: 'agrenting.hirings.focus' }],
      },
    ];
  }
  const byId = new Map(views.map((v) => [v.hiring.id, v]));
  const out: Notice[] = [];
  for (const v of views) {
    const h = v.hiring;
    const id = h.id;
    const before = prev.phases.get(id);
    if (before === v.phase) continue;
    if (before === undefined && v.phase === 'new') {
      const facts = [formatPrice(h.price), h.delivery_mode].filter(Boolean).join(', ');
      out.push({
        kind: 'newHiring',
        important: true,
        severity: 'info',
        message: `New hiring ${title(v, id)} (${facts}).`,
        hiringId: id,
        actions: [
          { title: 'Start Work', command: 'agrenting.startWork' },
          { title: 'Open', command: 'agrenting.openHiring' },
        ],
      });
    } else if (v.phase === 'done' && before !== undefined) {
      out.push({
        kind: 'delivered',
        important: false,
        severity: 'info',
        message: `Delivered ${title(v, id)}: the client has the result.`,
        hiringId: id,
        actions: [{ title: 'Open', command: 'agrenting.openHiring' }],
      });
    } else if (v.phase === 'failed' && before !== undefined) {
      const reason = h.failed_reason ? ` — ${v.hiring.failed_reason}` : '';
      out.push({
        kind: 'failed',
        important: true,
        severity: 'warning',
        message: `Hiring ${title(v, id)} failed${reason}.`,
        hiringId: id,
        actions: [{ title: 'Open', command: 'agrenting.openHiring' }],
      });
    }
  }
  for (const s of waiting) {
    if (prev.reviews.has(s.id)) continue;
    // The person at this window just sent it; the command approves it and says how that went.
    if (s.submittedBy === OPERATOR) continue;
    const what = s.kind === 'failure' ? 'a failure report' : 'a result';
    out.push({
      kind: 'reviewWaiting',
      important: true,
      severity: 'info',
      message: `${s.submittedBy} submitted ${what} for ${title(byId.get(s.hiringId), s.hiringId)}: review it before it reaches the client.`,
      hiringId: s.hiringId,
      submissionId: s.id,
      actions: [
        { title: 'Review', command: 'agrenting.openReview' },
        { title: 'Approve', command: 'agrenting.approveSubmission' },
      ],
    });
  }
  return out;
}

export const DEADLINE_WARNING_MS = 60 * 60 * 1000;

/** Active hirings whose deadline is within the hour and that were not warned about yet. */
export function deadlineNotices(
  views: HiringView[],
  now: Date,
  warned: ReadonlySet<string>,
  withinMs = DEADLINE_WARNING_MS,
): Notice[] {
  return views
    .filter(
      (v) =>
        (v.phase === 'new' || v.phase === 'claimed') &&
        !warned.has(v.hiring.id) &&
        deadlineWithin(v.hiring.deadline_at, now, withinMs),
    )
    .map((v) => ({
      kind: 'deadline' as const,
      important: true,
      severity: 'warning' as const,
      message: `Hiring ${title(v, v.hiring.id)} is due in ${shortSpan(msUntil(v.hiring.deadline_at, now) ?? 0)}.`,
      hiringId: v.hiring.id,
      actions:
        v.phase === 'new'
          ? [{ title: 'Start Work', command: 'agrenting.startWork' }]
          : [
              { title: 'Submit Result', command: 'agrenting.submitResult' },
              { title: 'Open', command: 'agrenting.openHiring' },
            ],
    }));
}
