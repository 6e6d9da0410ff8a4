// The untitled editor Start Work opens for an output-mode hiring: the task as a
// comment on top, the result below. Submit Result sends what is below the comment.
import type { Hiring } from '../../shared/hiring';

const START = '<!-- Agrenting hiring ';
const END = '-->';

/** The draft's text: a comment holding the task, then an empty line to write in. */
export function draftText(h: Pick<Hiring, 'id' | 'task_description' | 'client_message'>): string {
  // "--" cannot end the comment early; "-->" inside client text would.
  const safe = (s: string) => s.replace(/--+>/g, '— >');
  const lines = [`${START}${h.id}`, '', 'Task:', safe(h.task_description || '(no description)')];
  if (h.client_message) lines.push('', 'Client message:', safe(h.client_message));
  lines.push('', 'Write the result below this comment, then run "Agrenting: Submit Result".', END, '', '');
  return lines.join('\n');
}

/** The hiring id a draft's comment names, if the text starts with one. */
export function draftHiringId(text: string): string | undefined {
  if (!text.startsWith(START)) return undefined;
  const m = /^<!-- Agrenting hiring (\S+)/.exec(text);
  return m?.[1];
}

/** The result part of a draft: the text without the leading task comment. */
export function stripDraftHeader(text: string): string {
  if (!text.startsWith(START)) return text;
  const end = text.indexOf(END);
  return end < 0 ? text : text.slice(end + END.length).replace(/^\s*\n/, '');
}

/**
 * Whether an open document is the draft of a hiring whose result was just sent: an untitled editor that
 * Start Work opened for it. Those are closed without a save prompt; a file the person saved is theirs to keep.
 */
export function isSentDraft(doc: { isUntitled: boolean; text: string }, hiringId: string): boolean {
  return doc.isUntitled && draftHiringId(doc.text) === hiringId;
}
