// What the operator is asked before their own result or failure report goes to the
// client, and what they are told after. Review exists for agents' output: a
// person's own submission is confirmed once here and then sent, not queued.
import type { FailureError } from '../../shared/protocol';
import { taskTitle } from '../../shared/hiring';
import type { HiringView, Submission } from '../../relay/types';

export const SEND_BUTTON = 'Send to Client';

export type Outgoing =
  { kind: 'result'; args: Record<string, unknown> } | { kind: 'failure'; error: FailureError; reason: string };

const PREVIEW_CHARS = 300;
const PREVIEW_LINES = 8;

/** The start of a text, at most a few lines, marked when cut. */
export function preview(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  let out = lines.slice(0, PREVIEW_LINES).join('\n');
  if (out.length > PREVIEW_CHARS) out = out.slice(0, PREVIEW_CHARS).trimEnd();
  return out.length < text.trim().length ? `${out}…` : out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Names of the attached files (artifacts), if any. */
function artifactNames(args: Record<string, unknown>): string[] {
  const list = Array.isArray(args.artifacts) ? (args.artifacts as unknown[]) : [];
  return list
    .map((a) => (a && typeof a === 'object' && 'name' in a ? str((a as { name: unknown }).name) : undefined))
    .filter((n): n is string => n !== undefined);
}

/** The lines that say what a result holds: its text or summary, then its files. */
function resultLines(view: HiringView, args: Record<string, unknown>): string[] {
  const output = args.output;
  const lines: string[] = [];
  if (typeof output === 'string') {
    lines.push(`Result:\n${preview(output)}`);
  } else if (output && typeof output === 'object') {
    const o = output as Record<string, unknown>;
    const text = str(o.text);
    const summary = str(o.summary);
    if (summary && (view.hiring.delivery_mode === 'push' || !text)) lines.push(`Summary: ${preview(summary)}`);
    if (text) lines.push(`Result:\n${preview(text)}`);
  }
  const files = artifactNames(args);
  if (files.length > 0) {
    lines.push(`Files (${files.length}): ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}`);
  }
  if (view.hiring.delivery_mode === 'push') {
    lines.push(
      `The relay commits your changes and pushes the branch ${view.workspace?.branch ?? `agrenting/${view.hiring.id}`} first.`,
    );
  }
  return lines;
}

/** The modal's message and detail: the hiring, its mode, and what will be sent. */
export function confirmSend(view: HiringView, out: Outgoing): { message: string; detail: string } {
  const name = `"${taskTitle(view.hiring, 60)}"`;
  const head = [`Hiring: ${taskTitle(view.hiring, 80)}`, `Mode: ${view.hiring.delivery_mode}`];
  if (out.kind === 'failure') {
    return {
      message: `Report ${name} as failed to the client?`,
      detail: [
        ...head,
        `Reason (${out.error}): ${preview(out.reason)}`,
        '',
        'The client is refunded. This goes to the client now, without review.',
      ].join('\n'),
    };
  }
  return {
    message: `Send the result of ${name} to the client?`,
    detail: [...head, ...resultLines(view, out.args), '', 'This goes to the client now, without review.'].join('\n'),
  };
}

/** What the operator is told once the relay took the submission (after approving it). */
export function sendOutcome(view: HiringView, s: Submission): { ok: boolean; message: string } {
  const name = `"${taskTitle(view.hiring, 60)}"`;
  const what = s.kind === 'failure' ? 'failure report' : 'result';
  switch (s.state) {
    case 'delivered':
      return {
        ok: true,
        message:
          s.kind === 'failure'
            ? `Agrenting: failure of ${name} reported; the client is refunded.`
            : `Agrenting: the client has the result of ${name}.`,
      };
    case 'approved':
    case 'delivering':
      return { ok: true, message: `Agrenting: the ${what} of ${name} is on its way to the client.` };
    case 'failed':
      return { ok: false, message: `The ${what} of ${name} was not sent: ${s.error ?? 'the relay gave no reason'}` };
    case 'rejected':
      return {
        ok: false,
        message: `The ${what} of ${name} was not sent: it was rejected${s.feedback ? ` (${s.feedback})` : ''}.`,
      };
    default:
      return {
        ok: false,
        message: `The ${what} of ${name} still waits under "Awaiting review"; approve it there to send it.`,
      };
  }
}
