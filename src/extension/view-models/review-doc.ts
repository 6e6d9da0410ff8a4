// The read-only document a reviewer sees for an output-mode submission (or a
// failure report): the output and every artifact, as markdown.
import type { HiringView, Submission } from '../../relay/types';
import { taskTitle } from '../../shared/hiring';
import { formatTime } from './deadline';
import { fence } from './markdown';

/** Block-quotes text line by line, literally: the review document is read as text, where escapes would only clutter. */
const quote = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => `> ${l}`)
    .join('\n');
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

interface ArtifactLike {
  artifact_type: string;
  name: string;
  content: string;
  content_type?: string;
}

const LANGUAGE: Record<string, string> = { json: 'json', diff: 'diff', html: 'html', markdown: 'markdown' };

/** Decoded text of a base64 artifact when it is text, else undefined. */
export function decodedText(base64: string): string | undefined {
  const buf = Buffer.from(base64, 'base64');
  const text = buf.toString('utf8');
  // Replacement characters or NULs mean binary content.
  return text.includes('\uFFFD') || text.includes('\u0000') ? undefined : text;
}

function extension(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1].toLowerCase() : '';
}

export function renderArtifact(a: ArtifactLike): string {
  const head = `### ${oneLine(a.name)} \u2014 ${a.artifact_type}${a.content_type ? ` (${oneLine(a.content_type)})` : ''}`;
  if (a.artifact_type === 'file' || a.artifact_type === 'image') {
    const bytes = Buffer.from(a.content, 'base64').length;
    const text = a.artifact_type === 'file' ? decodedText(a.content) : undefined;
    return text === undefined
      ? `${head}\n\n_${bytes} bytes of binary content._`
      : `${head}\n\n${fence(text, extension(a.name))}`;
  }
  if (a.artifact_type === 'link') return `${head}\n\n${oneLine(a.content)}`;
  return `${head}\n\n${fence(a.content, LANGUAGE[a.artifact_type] ?? extension(a.name))}`;
}

function renderOutput(output: unknown): string {
  if (typeof output === 'string') return fence(output);
  return fence(JSON.stringify(output, null, 2), 'json');
}

export function reviewDocument(s: Submission, view: HiringView | undefined): string {
  const lines: string[] = [];
  const title = view ? taskTitle(view.hiring, 100) : `Hiring ${s.hiringId}`;
  lines.push(`# Review: ${oneLine(title)}`, '');
  lines.push(
    `Submitted by **${oneLine(s.submittedBy)}** ${formatTime(s.createdAt) ?? ''} \u00b7 submission \`${s.id}\` \u00b7 state ${s.state.replace('_', ' ')}`,
    '',
  );
  lines.push(
    'Approve with **Agrenting: Approve Submission**; reject with feedback (only your agent sees it) with **Agrenting: Reject Submission**.',
    '',
  );
  if (view) lines.push('## Task', '', quote(view.hiring.task_description || '(no description)'), '');
  if (s.kind === 'failure' && s.failure) {
    lines.push('## Failure report', '', `**Error:** ${s.failure.error ?? 'other'}`, '', quote(s.failure.reason), '');
    return lines.join('\n');
  }
  if (s.push) {
    lines.push(
      '## Push',
      '',
      `**Summary:** ${oneLine(s.push.summary)}`,
      '',
      `**Commit message:** ${oneLine(s.push.commitMessage)}`,
      '',
    );
  }
  if (s.result) {
    lines.push('## Output', '', renderOutput(s.result.output), '');
    const artifacts = (s.result.artifacts ?? []) as ArtifactLike[];
    if (artifacts.length > 0) {
      lines.push(`## Artifacts (${artifacts.length})`, '');
      for (const a of artifacts) lines.push(renderArtifact(a), '');
    }
  }
  if (s.feedback) lines.push('## Earlier feedback', '', quote(s.feedback), '');
  return lines.join('\n');
}
