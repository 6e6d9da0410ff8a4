// Handing one hiring to a HiClaw worker, the way HiClaw's Manager does it
// (alibaba/hiclaw manager/agent/skills/task-management/references/finite-tasks.md):
// task files into MinIO first, then an @mention in the worker's room. Workers only act on a
// message that mentions them in both m.mentions.user_ids and a matrix.to pill in formatted_body
// (copaw/src/copaw_worker/matrix_channel.py), and a worker still starting drops messages, so
// the mention is re-sent until the worker acknowledges (bounded by maxHandoffs).
import type { Logger } from '../../shared/log';
import { escapeHtml } from '../../shared/html';
import { MatrixClient } from './matrix-client';
import { MATRIX_USER_ID } from './payload';
import type { TaskStore } from './s3-store';
import { taskTitle } from '../../shared/hiring';
import type { TaskHiring } from './task-hiring';
import {
  buildMeta,
  buildSpec,
  buildTutorialSpec,
  FILES,
  initialState,
  LocalTaskFolder,
  taskKey,
  type BridgeState,
  type TaskContext,
} from './task-files';

export interface WorkerRef {
  /** HiClaw worker name, e.g. "alice". */
  name: string;
  /** Matrix user id, e.g. "@alice:hiclaw.local". */
  id: string;
}

const WORKER_NAME = /^[a-z0-9._=-]{1,64}$/;

/** A worker from a name ("alice") or a Matrix id ("@alice:domain"). Throws on anything else. */
export function workerRef(nameOrId: string, domain: string): WorkerRef {
  const m = MATRIX_USER_ID.exec(nameOrId);
  if (m) return { name: m[1], id: nameOrId };
  if (!WORKER_NAME.test(nameOrId)) {
    throw new Error(`not a HiClaw worker name or Matrix id: ${JSON.stringify(nameOrId)}`);
  }
  return { name: nameOrId, id: `@${nameOrId}:${domain}` };
}

/** Current HiClaw names each worker's room `#hiclaw-worker-<name>:<domain>`. */
export function workerRoomAlias(worker: WorkerRef, domain: string): string {
  return `#hiclaw-worker-${worker.name}:${domain}`;
}

/** The transaction id of one attempt: a retried request of the same attempt posts nothing new. */
export function handoffTxnId(hiringId: string, attempt: number): string {
  return `agrenting-${hiringId}-${attempt}`;
}

/** An m.room.message that @mentions the worker the way HiClaw workers require. */
export function mentionMessage(worker: WorkerRef, text: string): Record<string, unknown> {
  return {
    msgtype: 'm.text',
    body: `${worker.id} ${text}`,
    format: 'org.matrix.custom.html',
    formatted_body: `<a href="https://matrix.to/#/${worker.id}">${escapeHtml(worker.id)}</a> ${escapeHtml(text)}`,
    'm.mentions': { user_ids: [worker.id] },
  };
}

/** The m.room.message that hands a task to a worker. */
export function mentionContent(
  worker: WorkerRef,
  hiring: Pick<TaskHiring, 'id' | 'task_description'>,
  reportTo: string,
  attempt: number,
): Record<string, unknown> {
  const title = taskTitle(hiring, 100);
  const spec = `shared/tasks/${hiring.id}/spec.md`;
  const again = attempt > 1 ? ` (re-sent, attempt ${attempt})` : '';
  return mentionMessage(
    worker,
    `New task [${hiring.id}]: ${title}. Use your file-sync skill to pull the spec: ${spec}. When done write result.md there and @mention ${reportTo} with TASK_COMPLETED: <summary> (or BLOCKED: <reason>) and the task id.${again}`,
  );
}

export interface HandoffDeps {
  agent: string;
  matrix: MatrixClient;
  store: TaskStore;
  local: LocalTaskFolder;
  domain: string;
  /** The bridge's own Matrix user: workers report to it. */
  userId: string;
  /** Older installs: worker name or id → room id or alias. */
  workerRooms: Record<string, string>;
  projectId: string;
  log: Logger;
  now?: () => Date;
}

/** Finds the worker's room (alias first, then the configured map) and makes sure we are in it. */
export async function resolveWorkerRoom(d: HandoffDeps, worker: WorkerRef): Promise<string> {
  let roomId = await d.matrix.resolveAlias(workerRoomAlias(worker, d.domain));
  if (!roomId) {
    const mapped = d.workerRooms[worker.name] ?? d.workerRooms[worker.id];
    if (!mapped) {
      throw new Error(
        `No room for HiClaw worker ${worker.id}: alias ${workerRoomAlias(worker, d.domain)} does not exist and bridge.matrix.workerRooms has no entry for "${worker.name}".`,
      );
    }
    roomId = mapped.startsWith('#') ? await d.matrix.resolveAlias(mapped) : mapped;
    if (!roomId) throw new Error(`The room alias ${mapped} configured for worker ${worker.name} does not exist.`);
  }
  const joined = await d.matrix.joinedRooms();
  if (!joined.includes(roomId)) roomId = await d.matrix.join(roomId);
  return roomId;
}

/** Writes the task folder locally and uploads it; meta/spec go up before any mention is sent. */
export async function writeTaskFiles(
  d: HandoffDeps,
  hiring: TaskHiring,
  worker: WorkerRef,
  roomId: string,
): Promise<BridgeState> {
  const ctx: TaskContext = {
    hiring,
    worker: worker.name,
    workerId: worker.id,
    roomId,
    projectId: d.projectId,
    reportTo: d.userId,
    now: (d.now?.() ?? new Date()).toISOString(),
  };
  const files: [string, string, string][] = [
    [FILES.meta, `${JSON.stringify(buildMeta(ctx), null, 2)}\n`, 'application/json'],
    [FILES.spec, buildSpec(ctx), 'text/markdown; charset=utf-8'],
    [FILES.tutorialSpec, `${JSON.stringify(buildTutorialSpec(ctx), null, 2)}\n`, 'application/json'],
  ];
  for (const [name, body] of files) await d.local.write(hiring.id, name, body);
  for (const [name, body, type] of files) await d.store.put(taskKey(hiring.id, name), body, type);
  const state = initialState(ctx, d.agent);
  await saveState(d, state);
  return state;
}

export async function saveState(d: Pick<HandoffDeps, 'local' | 'store'>, state: BridgeState): Promise<void> {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  await d.local.write(state.hiring_id, FILES.state, text);
  await d.store.put(taskKey(state.hiring_id, FILES.state), text, 'application/json');
}

/** Sends attempt `state.attempts + 1` of the mention and records it. */
export async function sendMention(d: HandoffDeps, state: BridgeState, hiring: TaskHiring): Promise<void> {
  const attempt = state.attempts + 1;
  const worker: WorkerRef = { name: state.worker, id: state.worker_id };
  await d.matrix.sendMessage(
    state.room_id,
    handoffTxnId(hiring.id, attempt),
    mentionContent(worker, hiring, d.userId, attempt),
  );
  const now = (d.now?.() ?? new Date()).toISOString();
  state.attempts = attempt;
  state.last_sent_at = now;
  state.handed_off_at ??= now;
  if (state.phase === 'handing_off') state.phase = 'waiting_ack';
  await saveState(d, state);
  d.log.info('handed off to HiClaw worker', { hiring: hiring.id, worker: worker.id, room: state.room_id, attempt });
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = text ? JSON.parse(text) : undefined;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Sends review feedback on a submitted (or blocked) task and reopens it for a new report. */
export async function sendFeedback(
  d: HandoffDeps,
  state: BridgeState,
  feedback: string,
  revision: number,
): Promise<void> {
  const worker: WorkerRef = { name: state.worker, id: state.worker_id };
  const text = `Review feedback on task [${state.hiring_id}] (revision ${revision}): ${feedback.trim()} Please update result.md in shared/tasks/${state.hiring_id}/ and @mention ${d.userId} with TASK_COMPLETED: <summary> again (or BLOCKED: <reason>).`;
  // Back to "assigned" so a CoPaw worker's next "submitted" means the revision is done.
  const key = taskKey(state.hiring_id, FILES.meta);
  const meta =
    parseObject(await d.store.get(key)) ?? parseObject(await d.local.read(state.hiring_id, FILES.meta)) ?? {};
  const next = `${JSON.stringify({ ...meta, status: 'assigned', revision }, null, 2)}\n`;
  await d.local.write(state.hiring_id, FILES.meta, next);
  await d.store.put(key, next, 'application/json');
  await d.matrix.sendMessage(
    state.room_id,
    `agrenting-${state.hiring_id}-review-${revision}`,
    mentionMessage(worker, text),
  );
  state.revision = revision;
  state.phase = 'acknowledged';
  state.finished_at = null;
  await saveState(d, state);
  d.log.info('review feedback sent to the HiClaw worker', { hiring: state.hiring_id, worker: worker.id, revision });
}

/** Tells a worker still on a task that the hiring ended elsewhere (cancelled, failed, done). */
export async function sendClosed(d: HandoffDeps, state: BridgeState, how: string): Promise<void> {
  const worker: WorkerRef = { name: state.worker, id: state.worker_id };
  await d.matrix.sendMessage(
    state.room_id,
    `agrenting-${state.hiring_id}-closed`,
    mentionMessage(worker, `Task [${state.hiring_id}] is closed (${how}); please stop working on it.`),
  );
}
