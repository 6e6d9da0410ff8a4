// Watches handed-off tasks: the worker's room (Matrix /messages read forward from a token) and
// the task folder in storage (meta.json status, result.md). Decides acknowledgement, re-sends
// an unacknowledged hand-off, and reports TASK_COMPLETED / BLOCKED (HiClaw's worker
// conventions, alibaba/hiclaw manager/agent/copaw-worker-agent/AGENTS.md) to its hooks.
import type { Logger } from '../../shared/log';
import type { MatrixClient, MatrixEvent } from './matrix-client';
import type { TaskStore } from './s3-store';
import type { TaskHiring } from './task-hiring';
import { FILES, taskKey, type BridgeState, type HandoffPhase } from './task-files';

export interface TrackedTask {
  state: BridgeState;
  hiring: TaskHiring;
  /** Set when the worker said TASK_COMPLETED; the submission waits for result.md. */
  completedSummary?: string;
  /** When TASK_COMPLETED was first read (ms), to stop waiting for a result.md that never comes. */
  completedAt?: number;
  /** Last step error, to log a repeating failure once. */
  lastError?: string;
}

export type Report = { kind: 'completed' | 'blocked'; text: string } | { kind: 'other' };

// A report line starts (after any @mentions) with the keyword and a colon.
const REPORT = /(?:^|\n)[ \t]*(?:@\S+[ \t]+)*(TASK_COMPLETED|BLOCKED)[ \t]*:[ \t]*([\s\S]*)$/;
const MAX_REPORT_CHARS = 2000;

/** Reads a worker message: `@bridge:domain TASK_COMPLETED: <summary>` or `... BLOCKED: <reason>`. */
export function classifyReport(body: string): Report {
  const m = REPORT.exec(body);
  if (!m) return { kind: 'other' };
  const text = m[2].trim().slice(0, MAX_REPORT_CHARS);
  return { kind: m[1] === 'TASK_COMPLETED' ? 'completed' : 'blocked', text };
}

/** meta.json statuses meaning the worker has the task (CoPaw moves assigned → in_progress → submitted). */
const STARTED = ['in_progress', 'submitted', 'completed'];
const FINISHED = ['submitted', 'completed'];

export interface WatcherHooks {
  save(task: TrackedTask): Promise<void>;
  resend(task: TrackedTask): Promise<void>;
  /** resultMarkdown is null when the worker reported completion but result.md never appeared. */
  completed(task: TrackedTask, summary: string, resultMarkdown: string | null): Promise<void>;
  blocked(task: TrackedTask, reason: string): Promise<void>;
}

export interface WatcherOptions {
  matrix: MatrixClient;
  store: TaskStore;
  /** The bridge's own Matrix user: its messages are never reports. */
  userId: string;
  /** Besides the worker itself, who may report for a task (e.g. the HiClaw admin). */
  allowedSenders: string[];
  ackTimeoutMs: number;
  maxHandoffs: number;
  /** How long to wait for result.md after TASK_COMPLETED. */
  resultGraceMs: number;
  hooks: WatcherHooks;
  log: Logger;
  now?: () => number;
}

/** Phases in which the worker may still report: not before the hand-off, not after the result. */
export function isWatched(phase: HandoffPhase): boolean {
  return phase !== 'submitted' && phase !== 'handing_off' && phase !== 'closed';
}

const MAX_PAGES_PER_TICK = 10;
const PAGE_SIZE = 100;
const MAX_SEEN = 1000;

export class Watcher {
  private readonly tokens = new Map<string, string>();
  /** Recent event ids per room: a server that gives no new token must not make us act twice. */
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly o: WatcherOptions) {}

  /** Resumes reading a room where an earlier run stopped. */
  seed(roomId: string, token: string): void {
    if (!this.tokens.has(roomId)) this.tokens.set(roomId, token);
  }

  token(roomId: string): string | undefined {
    return this.tokens.get(roomId) || undefined;
  }

  /** Takes a "now" token for the room, so only messages after the hand-off are read. */
  async ensureRoom(roomId: string): Promise<void> {
    if (this.tokens.has(roomId)) return;
    this.tokens.set(roomId, (await this.o.matrix.latestToken(roomId)) ?? '');
  }

  /** One pass over every open task; errors are logged per task and retried next pass. */
  async tick(tasks: TrackedTask[]): Promise<void> {
    const open = tasks.filter((t) => isWatched(t.state.phase));
    const rooms = new Map<string, TrackedTask[]>();
    for (const t of open) rooms.set(t.state.room_id, [...(rooms.get(t.state.room_id) ?? []), t]);
    for (const [roomId, inRoom] of rooms) {
      await this.step(inRoom[0], `reading room ${roomId}`, () => this.pollRoom(roomId, inRoom));
    }
    for (const t of open) {
      if (!isWatched(t.state.phase)) continue;
      await this.step(t, 'reading the task folder', () => this.pollFiles(t));
      await this.step(t, 're-sending the hand-off', () => this.checkTimeout(t));
    }
  }

  private async step(t: TrackedTask, what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      t.lastError = undefined;
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== t.lastError) this.o.log.warn(`HiClaw task ${t.hiring.id}: failed ${what}; will retry`, { error: e });
      t.lastError = msg;
    }
  }

  private async pollRoom(roomId: string, tasks: TrackedTask[]): Promise<void> {
    await this.ensureRoom(roomId);
    for (let page = 0; page < MAX_PAGES_PER_TICK; page++) {
      const from = this.tokens.get(roomId) || undefined;
      const res = await this.o.matrix.messages(roomId, { from, dir: 'f', limit: PAGE_SIZE });
      const seen = this.seen.get(roomId) ?? new Set<string>();
      this.seen.set(roomId, seen);
      for (const ev of res.chunk) {
        if (seen.has(ev.event_id)) continue;
        // Marked after handling: an event whose handling failed is read again next pass.
        await this.onEvent(ev, tasks);
        seen.add(ev.event_id);
      }
      while (seen.size > MAX_SEEN) seen.delete(seen.values().next().value as string);
      if (res.end && res.end !== from) {
        // Durable before it counts: a crash resumes after this page, with what it said already saved.
        for (const t of tasks) {
          t.state.room_token = res.end;
          await this.o.hooks.save(t);
        }
        this.tokens.set(roomId, res.end);
      }
      if (res.chunk.length < PAGE_SIZE || !res.end) return;
    }
  }

  private async onEvent(ev: MatrixEvent, tasks: TrackedTask[]): Promise<void> {
    if (ev.type !== 'm.room.message' || ev.sender === this.o.userId) return;
    const body = typeof ev.content.body === 'string' ? ev.content.body : '';
    const mine = tasks.filter(
      (t) => isWatched(t.state.phase) && (ev.sender === t.state.worker_id || this.o.allowedSenders.includes(ev.sender)),
    );
    // A message names its task by id; a worker with one open task may leave the id out.
    const task = mine.find((t) => body.includes(t.hiring.id)) ?? (mine.length === 1 ? mine[0] : undefined);
    if (!task) return;
    if (ev.sender === task.state.worker_id) await this.acknowledge(task, 'message');
    const report = classifyReport(body);
    if (report.kind === 'completed') {
      task.completedSummary = report.text || task.completedSummary || '';
      task.completedAt ??= this.o.now?.() ?? Date.now();
      // Into the state saved with the room position below: the event is never read again.
      task.state.completed_summary = task.completedSummary;
      task.state.completed_at = new Date(task.completedAt).toISOString();
      this.o.log.info('worker reported TASK_COMPLETED', { hiring: task.hiring.id, sender: ev.sender });
    } else if (report.kind === 'blocked' && task.state.phase !== 'blocked') {
      await this.o.hooks.blocked(task, report.text || 'The HiClaw worker reported BLOCKED without a reason.');
    }
  }

  private async pollFiles(t: TrackedTask): Promise<void> {
    const metaText = await this.o.store.get(taskKey(t.hiring.id, FILES.meta));
    let status: string | undefined;
    try {
      status = metaText ? (JSON.parse(metaText) as { status?: unknown }).status?.toString() : undefined;
    } catch {
      status = undefined;
    }
    if (status && STARTED.includes(status)) await this.acknowledge(t, `meta.json status ${status}`);
    if (t.completedSummary === undefined && !(status && FINISHED.includes(status))) return;
    const result = await this.o.store.get(taskKey(t.hiring.id, FILES.result));
    if (result === undefined || result.trim() === '') {
      // The worker said it is done but wrote no result.md: after a grace period the summary
      // alone goes to review, where a person sees that the file is missing.
      const waited = t.completedAt === undefined ? 0 : (this.o.now?.() ?? Date.now()) - t.completedAt;
      if (t.completedSummary === undefined || waited < this.o.resultGraceMs) return;
      this.o.log.warn(
        `HiClaw task ${t.hiring.id}: TASK_COMPLETED without ${FILES.result}; submitting the summary alone`,
      );
      await this.o.hooks.completed(t, t.completedSummary, null);
      return;
    }
    const summary = t.completedSummary || firstLine(result);
    await this.o.hooks.completed(t, summary, result);
  }

  private async acknowledge(t: TrackedTask, how: string): Promise<void> {
    if (t.state.acknowledged_at) return;
    t.state.acknowledged_at = new Date(this.o.now?.() ?? Date.now()).toISOString();
    if (t.state.phase === 'waiting_ack' || t.state.phase === 'unacknowledged') t.state.phase = 'acknowledged';
    this.o.log.info('worker acknowledged the task', { hiring: t.hiring.id, worker: t.state.worker_id, how });
    await this.o.hooks.save(t);
  }

  private async checkTimeout(t: TrackedTask): Promise<void> {
    if (t.state.phase !== 'waiting_ack' || !t.state.last_sent_at) return;
    const waited = (this.o.now?.() ?? Date.now()) - Date.parse(t.state.last_sent_at);
    if (waited < this.o.ackTimeoutMs) return;
    if (t.state.attempts < this.o.maxHandoffs) {
      await this.o.hooks.resend(t);
      return;
    }
    t.state.phase = 'unacknowledged';
    this.o.log.warn(
      `HiClaw worker ${t.state.worker_id} did not acknowledge task ${t.hiring.id} after ${t.state.attempts} hand-offs; still watching for a result`,
    );
    await this.o.hooks.save(t);
  }
}

function firstLine(text: string): string {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.replace(/^#+\s*/, '').trim())
      .find((l) => l.length > 0) ?? '';
  return line.slice(0, 300);
}
