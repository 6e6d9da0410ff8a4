// What the hiring detail panel shows, as plain data posted to the webview.
// The webview renders it with textContent only, so client text is never HTML.
import type { HiringView, Submission } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import { countdown, formatTime } from './deadline';
import { formatPrice, reviewLabel } from './hiring-item';
import { PHASE_LABEL, groupOf } from './phase';
import { isRunActive, runSentence } from './runner';

export interface ConversationEntry {
  from: 'client' | 'agent' | 'review' | 'relay';
  /** "Client", "You (agent)", "Review feedback (only your agent sees this)" */
  who: string;
  kind?: string;
  content: string;
  at: string;
  /** Display time. */
  when: string;
}

export interface DetailAction {
  command: string;
  label: string;
  primary?: boolean;
}

export interface DetailModel {
  id: string;
  title: string;
  task: string;
  clientMessage?: string;
  price?: string;
  mode: string;
  capability?: string;
  status: string;
  phase: string;
  agent: string;
  claimedBy?: string;
  deadline?: string;
  repoUrl?: string;
  branch?: string;
  workspaceDir?: string;
  failedReason?: string;
  conversation: ConversationEntry[];
  chunks: { content: string; kind?: string; when: string }[];
  reviews: { id: string; label: string; state: string; feedback?: string }[];
  actions: DetailAction[];
  canMessage: boolean;
  /** The runner working (or that worked) this hiring, and its log as the relay keeps it. */
  run?: { sentence: string; active: boolean; log: string };
}

/** What the panel adds to a hiring view: the run's log it follows, and whether any runner is configured. */
export interface DetailExtras {
  runLog?: string;
  canRun?: boolean;
}

/** The last lines of a run log that the detail view shows (the relay keeps 256 KiB; a panel shows 64 KiB). */
export const RUN_LOG_VIEW_CHARS = 64 * 1024;

export function runLogTail(log: string, max = RUN_LOG_VIEW_CHARS): string {
  if (log.length <= max) return log;
  const cut = log.indexOf('\n', log.length - max);
  return `… (earlier output in 'run://…/log')\n${log.slice(cut < 0 ? log.length - max : cut + 1)}`;
}

/** A repository URL without any credentials in it. */
export function safeRepoUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//');
  }
}

function conversation(view: HiringView): ConversationEntry[] {
  const platform: ConversationEntry[] = (view.hiring.messages ?? []).map((m) => {
    const fromClient = m.sender_type !== 'agent';
    return {
      from: fromClient ? 'client' : 'agent',
      who: fromClient ? 'Client' : 'Agent',
      ...(m.kind ? { kind: m.kind } : {}),
      content: m.content,
      at: m.created_at ?? '',
      when: formatTime(m.created_at) ?? '',
    };
  });
  const local: ConversationEntry[] = view.relayMessages.map((m) => ({
    from: m.from,
    who: m.from === 'review' ? 'Review feedback (your agent sees this, the client does not)' : 'Relay',
    content: m.content,
    at: m.at,
    when: formatTime(m.at) ?? '',
  }));
  return [...platform, ...local].sort((a, b) => a.at.localeCompare(b.at));
}

export function detailActions(view: HiringView, reviews: Submission[], canRun = false): DetailAction[] {
  const group = groupOf(view.phase);
  const waiting = reviews.some((s) => s.hiringId === view.hiring.id && s.state === 'awaiting_review');
  if (view.run && isRunActive(view.run.state)) return [{ command: 'agrenting.stopRun', label: 'Stop Run' }];
  switch (group) {
    case 'new':
      return [
        { command: 'agrenting.startWork', label: 'Start Work', primary: true },
        { command: 'agrenting.claim', label: 'Claim' },
        ...(canRun ? [{ command: 'agrenting.runWithAgent', label: 'Run with Agent…' }] : []),
        { command: 'agrenting.reportFailure', label: 'Report Failure' },
      ];
    case 'inProgress':
      return view.phase === 'delivering'
        ? []
        : [
            { command: 'agrenting.submitResult', label: 'Submit Result', primary: true },
            {
              command: 'agrenting.startWork',
              label: view.hiring.delivery_mode === 'push' ? 'Open Workspace' : 'Open Draft',
            },
            { command: 'agrenting.reportFailure', label: 'Report Failure' },
          ];
    case 'awaitingReview':
      return waiting
        ? [
            { command: 'agrenting.openReview', label: 'Review', primary: true },
            { command: 'agrenting.approveSubmission', label: 'Approve' },
            { command: 'agrenting.rejectSubmission', label: 'Reject…' },
          ]
        : [];
    default:
      return [];
  }
}

export function detailModel(
  view: HiringView,
  reviews: Submission[],
  now: Date,
  extras: DetailExtras = {},
): DetailModel {
  const h = view.hiring;
  const group = groupOf(view.phase);
  const due = countdown(h.deadline_at, now);
  const deadline = h.deadline_at
    ? `${formatTime(h.deadline_at) ?? h.deadline_at}${due && group !== 'done' && group !== 'failed' ? ` (${due})` : ''}`
    : undefined;
  const mine = reviews.filter((s) => s.hiringId === h.id);
  const opt = <K extends string, V>(key: K, value: V | undefined | null) =>
    value === undefined || value === null || value === '' ? {} : ({ [key]: value } as Record<K, V>);
  return {
    id: h.id,
    title: taskTitle(h, 120),
    task: h.task_description,
    ...opt('clientMessage', h.client_message),
    ...opt('price', formatPrice(h.price)),
    mode: h.delivery_mode,
    ...opt('capability', h.capability_requested),
    status: h.status,
    phase: PHASE_LABEL[view.phase],
    agent: view.agent,
    ...opt('claimedBy', view.claimedBy),
    ...opt('deadline', deadline),
    ...opt('repoUrl', safeRepoUrl(h.repo_url)),
    ...opt('branch', view.workspace?.branch),
    ...opt('workspaceDir', view.workspace?.dir),
    ...opt('failedReason', h.failed_reason),
    conversation: conversation(view),
    chunks: view.chunks.map((c) => ({
      content: c.content,
      ...(c.kind ? { kind: c.kind } : {}),
      when: formatTime(c.at) ?? '',
    })),
    reviews: mine.map((s) => ({
      id: s.id,
      label: reviewLabel(s),
      state: s.state.replace('_', ' '),
      ...opt('feedback', s.feedback),
    })),
    actions: detailActions(view, reviews, extras.canRun),
    canMessage: group !== 'done' && group !== 'failed',
    ...(view.run
      ? {
          run: {
            sentence: runSentence(view.run),
            active: isRunActive(view.run.state),
            log: runLogTail(extras.runLog ?? ''),
          },
        }
      : {}),
  };
}
