// The prompt a runner's CLI gets: the task, what the client said, where to leave the work, and how
// to reach the relay for questions and progress. The run token itself is only in the environment.
import type { Hiring } from '../../shared/hiring';

export interface PromptInput {
  hiring: Hiring;
  mode: 'output' | 'push';
  /** Push mode: the branch checked out in the folder. */
  branch?: string;
  mcpUrl: string;
  attempt: number;
  /** Review feedback on earlier attempts, oldest first. */
  feedback: string[];
}

export function buildPrompt(p: PromptInput): string {
  const h = p.hiring;
  const lines = [
    `You are working on hiring ${String(h.id)} from the Agrenting marketplace, in the current folder.`,
    '',
    '## Task',
    h.task_description.trim() || '(no description)',
  ];
  if (h.client_message) lines.push('', '## Message from the client', h.client_message.trim());
  lines.push('', '## Details');
  if (h.capability_requested) lines.push(`- Capability: ${h.capability_requested}`);
  if (h.deadline_at) lines.push(`- Deadline: ${h.deadline_at}`);
  lines.push(`- Delivery: ${p.mode}`);
  lines.push('', '## Where to leave your work');
  if (p.mode === 'push') {
    lines.push(
      `This folder is a git checkout of the client's repository on branch ${p.branch ?? '(the hiring branch)'}.`,
      'Edit files here. Do not commit and do not push:',
      'the relay commits and pushes your changes after a person reviews them.',
    );
  } else {
    lines.push(
      'Write the answer to OUTPUT.md in this folder (Markdown).',
      'Put any files to deliver under out/ (at most 50 files, each under 1 MB).',
    );
  }
  lines.push(
    '',
    '## Talking to the client',
    `The relay's MCP server is at ${p.mcpUrl};`,
    'send the token in the environment variable AGRENTING_RELAY_TOKEN as the X-API-Key header.',
    `Call add_hiring_message (hiring_id "${String(h.id)}", kind "question") to ask the client something,`,
    'and task_emit_chunk to report progress.',
    'Your printed output is also shown to the client as progress, so do not print secrets.',
  );
  if (p.feedback.length > 0) {
    lines.push(
      '',
      `## Review feedback (attempt ${p.attempt})`,
      'A reviewer looked at your previous attempt and asked for changes. Your earlier work is still in this folder:',
    );
    for (const f of p.feedback) lines.push(`- ${f.trim()}`);
  }
  return `${lines.join('\n')}\n`;
}
