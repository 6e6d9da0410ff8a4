// What one hiring looks like in the sidebar: label, description, tooltip,
// context value (drives the inline and context menus) and icon.
import { taskTitle } from '../../shared/hiring';
import type { HiringView, Submission } from '../../relay/types';
import { countdown, formatTime } from './deadline';
import { escapeMarkdown, quote } from './markdown';
import { GROUP_LABEL, PHASE_LABEL, groupOf, type HiringGroup } from './phase';
import { isRunActive, runDescription, runSentence } from './runner';

/** "$25.00"; the platform sends decimal strings in USD. */
export function formatPrice(price: string | undefined): string | undefined {
  if (price === undefined || price === '') return undefined;
  const n = Number(price);
  return Number.isFinite(n) ? `$${n.toFixed(2)}` : price;
}

export function hiringLabel(view: HiringView): string {
  return taskTitle(view.hiring);
}

/**
 * "$25.00 · push · due in 3h" — only the deadline for active hirings; the run first ("claude · attempt
 * 1/3 · running") while a runner has the hiring.
 */
export function hiringDescription(view: HiringView, now: Date): string {
  const h = view.hiring;
  const parts: string[] = [];
  const ended = groupOf(view.phase) === 'done' || groupOf(view.phase) === 'failed';
  if (view.run && (isRunActive(view.run.state) || !ended)) parts.push(runDescription(view.run));
  const price = formatPrice(h.price);
  if (price) parts.push(price);
  parts.push(h.delivery_mode);
  const group = groupOf(view.phase);
  if (group !== 'done' && group !== 'failed') {
    const due = countdown(h.deadline_at, now);
    if (due) parts.push(due);
  }
  return parts.join(' · ');
}

/**
 * `hiring:<mode>:<group>`, e.g. `hiring:push:new`, `hiring:output:awaitingReview`; with `:running`
 * while a runner's agent works it (the menus then offer Stop Run instead of working it by hand).
 */
export function hiringContextValue(view: HiringView): string {
  const running = view.run && isRunActive(view.run.state) ? ':running' : '';
  return `hiring:${view.hiring.delivery_mode}:${groupOf(view.phase)}${running}`;
}

/** `review:<mode>`, for a submission node under a hiring awaiting review. */
export function reviewContextValue(view: HiringView | undefined): string {
  return `review:${view?.hiring.delivery_mode ?? 'output'}`;
}

const GROUP_ICON: Record<HiringGroup, { icon: string; color?: string }> = {
  new: { icon: 'circle-large-filled', color: 'charts.blue' },
  inProgress: { icon: 'loading' },
  awaitingReview: { icon: 'eye', color: 'charts.yellow' },
  done: { icon: 'pass-filled', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
};

/** Codicon id and theme colour id; delivering spins. */
export function hiringIcon(view: HiringView): { icon: string; color?: string } {
  if (view.phase === 'delivering') return { icon: 'sync~spin' };
  if (view.run && isRunActive(view.run.state)) return { icon: 'loading~spin', color: 'charts.purple' };
  if (view.phase === 'claimed') return { icon: 'play-circle', color: 'charts.green' };
  return GROUP_ICON[groupOf(view.phase)];
}

/** The whole task, the client's message and the capability, as markdown that shows client text literally. */
export function hiringTooltip(view: HiringView, now: Date): string {
  const h = view.hiring;
  const lines: string[] = [`**${escapeMarkdown(hiringLabel(view))}**`, ''];
  const facts: string[] = [];
  const price = formatPrice(h.price);
  if (price) facts.push(`**Price:** ${escapeMarkdown(price)}`);
  facts.push(`**Mode:** ${h.delivery_mode}`);
  if (h.capability_requested) facts.push(`**Capability:** ${escapeMarkdown(h.capability_requested)}`);
  const due = countdown(h.deadline_at, now);
  if (due) facts.push(`**Deadline:** ${escapeMarkdown(`${formatTime(h.deadline_at) ?? ''} (${due})`)}`);
  facts.push(`**State:** ${PHASE_LABEL[view.phase]}`);
  if (view.claimedBy) facts.push(`**Claimed by:** ${escapeMarkdown(view.claimedBy)}`);
  if (view.run) facts.push(`**Agent run:** ${escapeMarkdown(runSentence(view.run))}`);
  facts.push(`**Agent:** ${escapeMarkdown(view.agent)}`);
  lines.push(facts.join('  \n'), '', '**Task**', '', quote(h.task_description || '(no description)'));
  if (h.client_message) lines.push('', '**Client message**', '', quote(h.client_message));
  if (h.failed_reason) lines.push('', '**Failure**', '', quote(h.failed_reason));
  lines.push('', `_Hiring ${escapeMarkdown(h.id)}_`);
  return lines.join('\n');
}

/** Screen-reader label: everything the row shows, in words. */
export function hiringAccessibilityLabel(view: HiringView, now: Date): string {
  return `${hiringLabel(view)}, ${GROUP_LABEL[groupOf(view.phase)]}, ${hiringDescription(view, now).split(' · ').join(', ')}`;
}

/** Label of a submission node: who submitted what. */
export function reviewLabel(s: Submission): string {
  return s.kind === 'failure' ? `Failure report by ${s.submittedBy}` : `Result by ${s.submittedBy}`;
}

/** The same, inside a sentence: "failure report by …" or "result by …". */
export function submissionWhat(s: Submission): string {
  return `${s.kind === 'failure' ? 'failure report' : 'result'} by ${s.submittedBy}`;
}

export function reviewDescription(s: Submission): string {
  const at = formatTime(s.createdAt);
  return s.kind === 'failure'
    ? `${s.failure?.error ?? 'other'}${at ? ` · ${at}` : ''}`
    : `review it${at ? ` · ${at}` : ''}`;
}
