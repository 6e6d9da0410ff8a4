// The task folder a HiClaw worker reads: shared/tasks/<task-id>/ with meta.json and spec.md
// (what workers need), task-spec.json (the Agrenting tutorial's file, for tools that read it)
// and bridge-state.json (the bridge's own hand-off bookkeeping). Field names follow HiClaw's
// manager skill alibaba/hiclaw manager/agent/skills/task-management/references/finite-tasks.md
// and the worker instructions in manager/agent/copaw-worker-agent/AGENTS.md.
// None of these files ever holds a repository token or any key.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { isSafeId } from './payload';
import { splitUrlCredentials, taskTitle } from '../../shared/hiring';
import type { TaskHiring } from './task-hiring';

export const TASKS_PREFIX = 'shared/tasks';
export const FILES = {
  meta: 'meta.json',
  spec: 'spec.md',
  tutorialSpec: 'task-spec.json',
  state: 'bridge-state.json',
  result: 'result.md',
} as const;

export interface TaskMeta {
  task_id: string;
  project_id: string;
  task_title: string;
  type: 'finite';
  assigned_to: string;
  room_id: string;
  status: string;
  assigned_at: string;
  source: 'agrenting';
  hiring_id: string;
  price: string | null;
  deadline_at: string | null;
  [extra: string]: unknown;
}

export type HandoffPhase =
  'handing_off' | 'waiting_ack' | 'acknowledged' | 'unacknowledged' | 'submitted' | 'blocked' | 'closed';

/** The bridge's bookkeeping for one task; also how a restarted bridge resumes watching. */
export interface BridgeState {
  hiring_id: string;
  agent: string;
  worker: string;
  worker_id: string;
  room_id: string;
  phase: HandoffPhase;
  attempts: number;
  handed_off_at: string | null;
  last_sent_at: string | null;
  acknowledged_at: string | null;
  finished_at: string | null;
  submission_id?: string;
  /** Review rejections sent back to the worker so far. */
  revision?: number;
  /** Where reading the room resumes after a restart (Matrix pagination token); saved as reading goes on. */
  room_token?: string;
  /** The worker's TASK_COMPLETED summary, kept until it is submitted: the room is not read again after a crash. */
  completed_summary?: string;
  completed_at?: string;
}

export interface TaskContext {
  hiring: TaskHiring;
  worker: string;
  workerId: string;
  roomId: string;
  projectId: string;
  /** Matrix id the worker reports to (the bridge's own user). */
  reportTo: string;
  now: string;
}

/** A repository URL without any user:password@ part, for files a worker reads. */
export function publicRepoUrl(url: string | null): string | null {
  return url ? splitUrlCredentials(url).url : null;
}

export function taskKey(taskId: string, file: string): string {
  if (!isSafeId(taskId)) throw new Error(`unsafe task id: ${JSON.stringify(taskId)}`);
  return `${TASKS_PREFIX}/${taskId}/${file}`;
}

export function buildMeta(c: TaskContext): TaskMeta {
  const h = c.hiring;
  return {
    task_id: h.id,
    project_id: c.projectId,
    task_title: taskTitle(h, 120),
    type: 'finite',
    assigned_to: c.worker,
    room_id: c.roomId,
    status: 'assigned',
    assigned_at: c.now,
    source: 'agrenting',
    hiring_id: h.id,
    price: h.price ?? null,
    deadline_at: h.deadline_at ?? null,
  };
}

export function buildSpec(c: TaskContext): string {
  const h = c.hiring;
  const lines = [
    `# ${taskTitle(h, 120)}`,
    '',
    `Task id: ${h.id} (Agrenting hiring ${h.id})`,
    `Assigned to: ${c.worker}`,
    '',
    '## Requirements',
    '',
    h.task_description.trim() || '(no description)',
    '',
  ];
  if (h.client_message) lines.push('## Message from the client', '', h.client_message.trim(), '');
  lines.push(
    '## Context',
    '',
    `- Capability: ${h.capability_requested ?? h.category ?? 'not specified'}`,
    `- Price: ${h.price ? `${h.price} USD` : 'not specified'}`,
    `- Deadline: ${h.deadline_at ?? 'none'}`,
    `- Delivery: ${h.delivery_mode === 'push' && h.repo_url ? `push to ${publicRepoUrl(h.repo_url)} (the relay handles credentials; none are given here)` : 'return the result as text'}`,
    '',
    '## Acceptance criteria',
    '',
    '- Everything asked under Requirements is done, or the gap is stated plainly in result.md.',
    '- result.md starts with a one-paragraph summary a client can read, then the details.',
    '',
    '## How to report',
    '',
    `1. Write \`result.md\` in this task folder (shared/tasks/${h.id}/result.md) and push it.`,
    `2. In your room, @mention ${c.reportTo} with \`TASK_COMPLETED: <one-line summary>\` and the task id ${h.id}.`,
    `3. If you cannot finish, @mention ${c.reportTo} with \`BLOCKED: <reason>\` and the task id ${h.id}.`,
    '',
    'A person reviews the result before it reaches the client.',
    '',
  );
  return lines.join('\n');
}

/** The tutorial's task-spec.json: the hiring's context for tools that read it. Never a token. */
export function buildTutorialSpec(c: TaskContext): Record<string, unknown> {
  const h = c.hiring;
  return {
    hiring_id: h.id,
    task_id: h.id,
    task: { description: h.task_description },
    capability: h.capability_requested ?? null,
    price: h.price ?? null,
    client_message: h.client_message ?? null,
    deadline_at: h.deadline_at ?? null,
    delivery_mode: h.delivery_mode,
    repo_url: publicRepoUrl(h.repo_url),
    worker_matrix_id: c.workerId,
    room_id: c.roomId,
    // Results go through the relay (review first), not straight to the platform.
    report: { completed: 'TASK_COMPLETED: <summary>', blocked: 'BLOCKED: <reason>', result_file: FILES.result },
    created_at: c.now,
  };
}

export function initialState(c: TaskContext, agent: string): BridgeState {
  return {
    hiring_id: c.hiring.id,
    agent,
    worker: c.worker,
    worker_id: c.workerId,
    room_id: c.roomId,
    phase: 'handing_off',
    attempts: 0,
    handed_off_at: null,
    last_sent_at: null,
    acknowledged_at: null,
    finished_at: null,
  };
}

/** The local copy of the task folders, confined to one directory. */
export class LocalTaskFolder {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  dir(taskId: string): string {
    if (!isSafeId(taskId)) throw new Error(`unsafe task id: ${JSON.stringify(taskId)}`);
    const d = resolve(this.root, taskId);
    if (!d.startsWith(this.root + sep)) throw new Error(`task folder escapes ${this.root}`);
    return d;
  }

  async write(taskId: string, file: string, content: string): Promise<void> {
    const dir = this.dir(taskId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Write then rename so a crash never leaves half a state file.
    const target = join(dir, file);
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    // Synced before the rename: after a kill -9 the state file is the old one or the new one, whole.
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  async read(taskId: string, file: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir(taskId), file), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async readState(taskId: string): Promise<BridgeState | undefined> {
    const text = await this.read(taskId, FILES.state);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as BridgeState;
    } catch {
      return undefined;
    }
  }
}
