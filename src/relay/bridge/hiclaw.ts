// The HiClaw side of the bridge for one agent: which hirings go to which worker, the tracked
// hand-offs, and what the relay's decisions mean for a worker (review feedback, closed hirings).
// One hand-off per hiring id, whether the hiring came by webhook, MCP or the REST heartbeat.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHiring } from '../../shared/hiring';
import type { Logger } from '../../shared/log';
import { safeError } from '../../shared/redact';
import { defaultStateDir } from '../config';
import { RelayError, type Caller, type RelayCore } from '../types';
import { readSecret, type BridgeConfig, type Env } from './config';
import {
  resolveWorkerRoom,
  saveState,
  sendClosed,
  sendFeedback,
  sendMention,
  workerRef,
  writeTaskFiles,
  type HandoffDeps,
} from './handoff';
import { MatrixClient } from './matrix-client';
import { isSafeId } from './payload';
import { S3TaskStore, type TaskStore } from './s3-store';
import { LocalTaskFolder, type BridgeState } from './task-files';
import { toTaskHiring, type TaskHiring } from './task-hiring';
import { Watcher, type TrackedTask } from './watcher';
import { isUnhandled } from '../runners/dispatch';

export interface HiClawOptions {
  core: RelayCore;
  agent: string;
  cfg: BridgeConfig;
  env: Env;
  log: Logger;
  store?: TaskStore;
  matrix?: MatrixClient;
  fetch?: typeof fetch;
  /** The relay's state directory: task folders go under it unless the config names tasksDir. */
  stateDir?: string;
}

/** The HiClaw hand-offs of one agent, or undefined when the config has no matrix/s3 section. */
export function createHiClaw(o: HiClawOptions): HiClawHandoffs | undefined {
  const { cfg, env } = o;
  if (!cfg.matrix || (!cfg.s3 && !o.store)) return undefined;
  const store =
    o.store ??
    new S3TaskStore({
      endpoint: cfg.s3?.endpoint,
      bucket: cfg.s3?.bucket,
      region: cfg.s3?.region,
      accessKeyId: readSecret(env, { env: cfg.s3?.accessKeyEnv }, 'S3 access key', true),
      secretAccessKey: readSecret(env, { env: cfg.s3?.secretKeyEnv }, 'S3 secret key', true),
    });
  const matrix =
    o.matrix ??
    new MatrixClient({
      homeserver: cfg.matrix.homeserver,
      accessToken: readSecret(
        env,
        { env: cfg.matrix.accessTokenEnv, file: cfg.matrix.accessTokenFile },
        'Matrix access token',
        true,
      ),
      fetch: o.fetch,
    });
  const deps: HandoffDeps = {
    agent: o.agent,
    matrix,
    store,
    local: new LocalTaskFolder(cfg.tasksDir ?? join(o.stateDir ?? defaultStateDir(env), 'hiclaw-tasks')),
    domain: cfg.matrix.domain,
    userId: cfg.matrix.userId,
    workerRooms: cfg.matrix.workerRooms,
    projectId: cfg.projectId,
    log: o.log,
  };
  return new HiClawHandoffs(o, deps, !o.store && store instanceof S3TaskStore ? store : undefined);
}

export class HiClawHandoffs {
  private readonly tracked = new Map<string, TrackedTask>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, { hiring: TaskHiring; worker: string }>();
  private readonly watcher: Watcher;
  private readonly bridgeCaller: Caller;
  private stopped = false;

  constructor(
    private readonly o: HiClawOptions,
    private readonly deps: HandoffDeps,
    private readonly ownStore?: S3TaskStore,
  ) {
    this.bridgeCaller = { role: 'worker', agent: o.agent, name: 'hiclaw-bridge' };
    const m = o.cfg.matrix!;
    this.watcher = new Watcher({
      matrix: deps.matrix,
      store: deps.store,
      userId: m.userId,
      allowedSenders: m.allowedSenders,
      ackTimeoutMs: o.cfg.ackTimeoutMs,
      maxHandoffs: o.cfg.maxHandoffs,
      resultGraceMs: o.cfg.resultGraceMs,
      log: o.log,
      hooks: {
        save: (t) => saveState(deps, t.state),
        resend: (t) => sendMention(deps, t.state, t.hiring),
        completed: (t, summary, resultMarkdown) => this.submit(t, summary, resultMarkdown),
        blocked: (t, reason) => this.block(t, reason),
      },
    });
  }

  /** True when a delivery without worker_matrix_id has no worker to go to. */
  get needsWorkerInPayload(): boolean {
    return !this.o.cfg.workers[this.o.agent];
  }

  tasks(): BridgeState[] {
    return [...this.tracked.values()].map((t) => ({ ...t.state }));
  }

  private workerCaller(worker: string): Caller {
    return { role: 'worker', agent: this.o.agent, name: `hiclaw:${worker}` };
  }

  /** Hands one hiring to its worker, at most once per hiring id (duplicates join the first). */
  consider(hiring: TaskHiring, worker?: string): Promise<void> {
    const id = hiring.id;
    if (this.stopped || this.tracked.has(id) || this.pending.has(id)) return Promise.resolve();
    const existing = this.inflight.get(id);
    if (existing) return existing;
    const who = worker ?? hiring.worker_matrix_id ?? this.o.cfg.workers[this.o.agent];
    if (!who) return Promise.resolve();
    if (!isSafeId(id)) {
      this.o.log.warn('hiring id is not safe as a task folder name; not handing it to HiClaw', { hiring: id });
      return Promise.resolve();
    }
    const p = this.handOff(hiring, who)
      .catch((e: unknown) => {
        this.o.log.warn(`${safeError(e, `HiClaw hand-off of hiring ${id} failed`).message}; will retry`);
        this.pending.set(id, { hiring, worker: who });
      })
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  /** A hiring that reached the store by MCP or REST goes to HiClaw too, unless a person took it. */
  considerFromStore(hiringId: string): void {
    if (!this.o.cfg.handoffAll || this.tracked.has(hiringId)) return;
    try {
      const view = this.o.core.getHiring(this.bridgeCaller, hiringId);
      // The same rule every automatic handler follows (runners/dispatch.ts).
      if (isUnhandled(view)) void this.consider(toTaskHiring(view.hiring));
    } catch {
      // Not ours or gone: nothing to hand off.
    }
  }

  private async handOff(hiring: TaskHiring, who: string): Promise<void> {
    const previous = await this.deps.local.readState(hiring.id);
    if (previous && previous.phase !== 'handing_off') {
      this.tracked.set(hiring.id, { state: previous, hiring });
      return;
    }
    const worker = workerRef(who, this.deps.domain);
    try {
      await this.o.core.claim(this.workerCaller(worker.name), hiring.id);
    } catch (e) {
      // Someone else (a person in VS Code, another worker) has it: leave it to them.
      if (e instanceof RelayError && e.code === 'conflict') {
        this.o.log.info('hiring already claimed; not handing it to HiClaw', { hiring: hiring.id });
        return;
      }
      this.o.log.debug('claim before hand-off did not succeed', { hiring: hiring.id, error: e });
    }
    const roomId = await resolveWorkerRoom(this.deps, worker);
    const state = await writeTaskFiles(this.deps, hiring, worker, roomId);
    await this.watcher.ensureRoom(roomId);
    await sendMention(this.deps, state, hiring);
    this.tracked.set(hiring.id, { state, hiring });
  }

  /** Sends a submission for review and records its id; a refusal is logged, an outage rethrown (retried next tick). */
  private async propose(
    t: TrackedTask,
    send: () => Promise<{ id: string }>,
    done: string,
    what: string,
  ): Promise<void> {
    try {
      const sub = await send();
      t.state.submission_id = sub.id;
      this.o.log.info(done, { hiring: t.hiring.id, submission: sub.id });
    } catch (e) {
      if (e instanceof RelayError && e.code === 'unavailable') throw e;
      this.o.log.error(`The relay refused ${what} for hiring ${t.hiring.id}`, { error: e });
    }
  }

  private async submit(t: TrackedTask, summary: string, resultMarkdown: string | null): Promise<void> {
    const output: Record<string, unknown> = { summary, result_markdown: resultMarkdown };
    if (resultMarkdown === null) {
      output.note = `The HiClaw worker reported completion but wrote no result.md in shared/tasks/${t.hiring.id}/.`;
    }
    await this.propose(
      t,
      () => this.o.core.submitResult(this.workerCaller(t.state.worker), { hiring_id: t.hiring.id, output }),
      'HiClaw result submitted for review',
      'the HiClaw result',
    );
    t.state.phase = 'submitted';
    t.state.finished_at = new Date().toISOString();
    await saveState(this.deps, t.state);
  }

  private async block(t: TrackedTask, reason: string): Promise<void> {
    await this.propose(
      t,
      () =>
        this.o.core.reportFailure(this.workerCaller(t.state.worker), {
          hiring_id: t.hiring.id,
          reason: `HiClaw worker ${t.state.worker} is blocked: ${reason}`.slice(0, 2000),
          error: 'other',
        }),
      'HiClaw worker blocked; failure proposed for review',
      'the failure report',
    );
    t.state.phase = 'blocked';
    await saveState(this.deps, t.state);
  }

  /** Picks up the hand-offs an earlier run left in the task folder. */
  async resume(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.deps.local.root);
    } catch {
      return;
    }
    for (const id of names.filter(isSafeId)) {
      const state = await this.deps.local.readState(id);
      if (!state || state.agent !== this.o.agent || state.phase === 'closed' || state.phase === 'handing_off') continue;
      let hiring: TaskHiring;
      try {
        hiring = toTaskHiring(this.o.core.getHiring(this.bridgeCaller, id).hiring);
      } catch {
        hiring = toTaskHiring(parseHiring({ id, task_description: `Hiring ${id}` }));
      }
      if (state.room_token) this.watcher.seed(state.room_id, state.room_token);
      const completedAt = state.completed_at ? Date.parse(state.completed_at) : undefined;
      this.tracked.set(id, { state, hiring, completedSummary: state.completed_summary, completedAt });
    }
    if (this.tracked.size > 0) this.o.log.info('resumed watching HiClaw tasks', { count: this.tracked.size });
  }

  /** One pass: retry failed hand-offs, read rooms and folders, follow the relay's decisions. */
  async tick(): Promise<void> {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      await this.consider(p.hiring, p.worker);
    }
    await this.watcher.tick([...this.tracked.values()]);
    for (const t of [...this.tracked.values()]) {
      try {
        await this.followCore(t);
      } catch (e) {
        this.o.log.warn(`HiClaw task ${t.hiring.id}: could not pass the relay's decision to the worker; will retry`, {
          error: safeError(e),
        });
      }
    }
  }

  /** Review feedback goes back to the worker (the task reopens); a hiring that ended closes the task. */
  private async followCore(t: TrackedTask): Promise<void> {
    let view;
    try {
      view = this.o.core.getHiring(this.bridgeCaller, t.hiring.id);
    } catch {
      return;
    }
    if (view.phase === 'done' || view.phase === 'failed') {
      if (t.state.phase !== 'submitted' && t.state.phase !== 'blocked') {
        await sendClosed(this.deps, t.state, view.phase === 'done' ? 'completed' : 'failed');
      }
      t.state.phase = 'closed';
      t.state.finished_at ??= new Date().toISOString();
      await saveState(this.deps, t.state);
      this.tracked.delete(t.hiring.id);
      return;
    }
    const reviews = view.relayMessages.filter((m) => m.from === 'review');
    const seen = t.state.revision ?? 0;
    if (
      reviews.length > seen &&
      (t.state.phase === 'submitted' || t.state.phase === 'blocked') &&
      view.phase !== 'awaiting_review'
    ) {
      t.completedSummary = undefined;
      t.completedAt = undefined;
      delete t.state.completed_summary;
      delete t.state.completed_at;
      await sendFeedback(this.deps, t.state, reviews[reviews.length - 1].content, reviews.length);
    }
  }

  /** Waits for hand-offs under way; each room's read position is already saved as reading goes on. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inflight.values()]);
    this.ownStore?.destroy();
  }
}
