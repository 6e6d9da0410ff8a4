// What the hiring detail panel shows, as plain data posted to the webview.
// The webview renders it with textContent only, so client text is never HTML.
import type { HiringView, Submission } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import { countdown, formatTime } from './deadline';
import { formatPrice, reviewLabel } from './hiring-item';
import { PHASE_LABEL, groupOf } from './phase';

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

export function detailActions(view: HiringView, reviews: Submission[]): DetailAction[] {
  const group = groupOf(view.phase);
  const waiting = reviews.some((s) => s.hiringId === view.hiring.id && s.state === 'awaiting_review');
  switch (group) {
    case 'new':
      return [
        { command: 'agrenting.startWork', label: 'Start Work', primary: true },
        { command: 'agrenting.claim', label: 'Claim' },
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

export function detailModel(view: HiringView, reviews: Submission[], now: Date): DetailModel {
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
    actions: detailActions(view, reviews),
    canMessage: group !== 'done' && group !== 'failed',
  };
}
