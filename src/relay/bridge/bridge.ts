// The HiClaw bridge for one agent: webhook inbox → relay store → HiClaw hand-off (task files in
// MinIO, @mention in the worker's Matrix room) → worker report → submission in the review queue.
// Plus the REST heartbeat that catches hirings whose webhook got lost.
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseHiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import { isActiveStatus } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import { RelayError, type Caller, type RelayCore } from '../types';
import { parseBridgeConfig, readSecret, type BridgeConfig, type BridgeConfigInput, type Env } from './config';
import { resolveWorkerRoom, saveState, sendClosed, sendFeedback, sendMention, workerRef, writeTaskFiles, type HandoffDeps } from './handoff';
import { fetchPendingHirings } from './heartbeat';
import { MatrixClient } from './matrix-client';
import { isSafeId, payloadToHiring, type WebhookPayload } from './payload';
import { S3TaskStore, type TaskStore } from './s3-store';
import { LocalTaskFolder, type BridgeState } from './task-files';
import { toTaskHiring, type TaskHiring } from './task-hiring';
import { Watcher, type TrackedTask } from './watcher';
import { startWebhookServer, type WebhookServer } from './webhook-server';

export interface BridgeOptions {
  core: RelayCore;
  /** Local agent name, as the relay's store knows it. */
  agent: string;
  config: BridgeConfig | BridgeConfigInput;
  log?: Logger;
  /** Where …Env settings are read (default process.env). */
  env?: Env;
  /** The agent's platform URL and key, when the relay already has them (heartbeat, default webhook key). */
  platform?: { baseUrl: string; apiKey: string };
  /** Injected storage / Matrix client (tests, embedding); otherwise built from config. */
  store?: TaskStore;
  matrix?: MatrixClient;
  fetch?: typeof fetch;
}

export interface Bridge {
  /** The inbox URL to register as callback_url (known after start()). */
  readonly webhookUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One watcher pass now (also runs every pollIntervalMs). */
  poll(): Promise<void>;
  /** The hand-offs this bridge tracks. */
  tasks(): BridgeState[];
}

interface HiClaw {
  deps: HandoffDeps;
  watcher: Watcher;
}

export function createBridge(opts: BridgeOptions): Bridge {
  const cfg = parseBridgeConfig(opts.config);
  const { core, agent } = opts;
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger(`bridge[${agent}]`);
  const bridgeCaller: Caller = { role: 'worker', agent, name: 'hiclaw-bridge' };
  const workerCaller = (worker: string): Caller => ({ role: 'worker', agent, name: `hiclaw:${worker}` });

  const tracked = new Map<string, TrackedTask>();
  const inflight = new Map<string, Promise<void>>();
  const pending = new Map<string, { hiring: TaskHiring; worker: string; lastError?: string }>();
  let server: WebhookServer | undefined;
  let hiclaw: HiClaw | undefined;
  let timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;

  const platformUrl = opts.platform?.baseUrl ?? cfg.platformUrl;
  const apiKey = opts.platform?.apiKey ?? readSecret(env, { env: cfg.apiKeyEnv, file: cfg.apiKeyFile }, 'agent key');

  function setUpHiClaw(): HiClaw | undefined {
    if (!cfg.matrix || (!cfg.s3 && !opts.store)) return undefined;
    const m = cfg.matrix;
    const store =
      opts.store ??
      new S3TaskStore({
        endpoint: cfg.s3?.endpoint,
        bucket: cfg.s3?.bucket,
        region: cfg.s3?.region,
        accessKeyId: readSecret(env, { env: cfg.s3?.accessKeyEnv }, 'S3 access key', true),
        secretAccessKey: readSecret(env, { env: cfg.s3?.secretKeyEnv }, 'S3 secret key', true),
      });
    const matrix =
      opts.matrix ??
      new MatrixClient({
        homeserver: m.homeserver,
        accessToken: readSecret(env, { env: m.accessTokenEnv, file: m.accessTokenFile }, 'Matrix access token', true),
        fetch: opts.fetch,
      });
    const stateDir = env.AGRENTING_STATE_DIR || join(homedir(), '.agrenting-relay');
    const deps: HandoffDeps = {
      agent,
      matrix,
      store,
      local: new LocalTaskFolder(cfg.tasksDir ?? join(stateDir, 'hiclaw-tasks')),
      domain: m.domain,
      userId: m.userId,
      workerRooms: m.workerRooms,
      projectId: cfg.projectId,
      log,
    };
    const watcher = new Watcher({
      matrix,
      store,
      userId: m.userId,
      allowedSenders: m.allowedSenders,
      ackTimeoutMs: cfg.ackTimeoutMs,
      maxHandoffs: cfg.maxHandoffs,
      log,
      hooks: {
        save: (t) => saveState(deps, t.state),
        resend: (t) => sendMention(deps, t.state, t.hiring),
        completed: (t, summary, resultMarkdown) => submit(t, summary, resultMarkdown),
        blocked: (t, reason) => block(t, reason),
      },
    });
    return { deps, watcher };
  }

  /** Hands one hiring to its worker, at most once per hiring id (duplicates join the first). */
  function consider(hiring: TaskHiring, worker?: string): Promise<void> {
    const h = hiclaw;
    if (!h || stopped || tracked.has(hiring.id) || pending.has(hiring.id)) return Promise.resolve();
    const existing = inflight.get(hiring.id);
    if (existing) return existing;
    const who = worker ?? hiring.worker_matrix_id ?? cfg.workers[agent];
    if (!who) return Promise.resolve();
    if (!isSafeId(hiring.id)) {
      log.warn('hiring id is not safe as a task folder name; not handing it to HiClaw', { hiring: hiring.id });
      return Promise.resolve();
    }
    const p = handOff(h, hiring, who)
      .catch((e: unknown) => {
        const err = safeError(e, `HiClaw hand-off of hiring ${hiring.id} failed`);
        log.warn(`${err.message}; will retry`);
        pending.set(hiring.id, { hiring, worker: who, lastError: err.message });
      })
      .finally(() => inflight.delete(hiring.id));
    inflight.set(hiring.id, p);
    return p;
  }

  async function handOff(h: HiClaw, hiring: TaskHiring, who: string): Promise<void> {
    const previous = await h.deps.local.readState(hiring.id);
    if (previous && previous.phase !== 'handing_off') {
      tracked.set(hiring.id, { state: previous, hiring });
      return;
    }
    const worker = workerRef(who, h.deps.domain);
    try {
      core.claim(workerCaller(worker.name), hiring.id);
    } catch (e) {
      // Someone else (a person in VS Code, another worker) has it: leave it to them.
      if (e instanceof RelayError && e.code === 'conflict') {
        log.info('hiring already claimed; not handing it to HiClaw', { hiring: hiring.id });
        return;
      }
      log.debug('claim before hand-off did not succeed', { hiring: hiring.id, error: e });
    }
    const roomId = await resolveWorkerRoom(h.deps, worker);
    const state = await writeTaskFiles(h.deps, hiring, worker, roomId);
    await h.watcher.ensureRoom(roomId);
    await sendMention(h.deps, state, hiring);
    tracked.set(hiring.id, { state, hiring });
  }

  async function submit(t: TrackedTask, summary: string, resultMarkdown: string): Promise<void> {
    try {
      const sub = await core.submitResult(workerCaller(t.state.worker), {
        hiring_id: t.hiring.id,
        output: { summary, result_markdown: resultMarkdown },
      });
      t.state.submission_id = sub.id;
      log.info('HiClaw result submitted for review', { hiring: t.hiring.id, submission: sub.id });
    } catch (e) {
      if (e instanceof RelayError && e.code === 'unavailable') throw e;
      log.error(`The relay refused the HiClaw result for hiring ${t.hiring.id}`, { error: e });
    }
    t.state.phase = 'submitted';
    t.state.finished_at = new Date().toISOString();
    await saveState(hiclaw!.deps, t.state);
  }

  async function block(t: TrackedTask, reason: string): Promise<void> {
    try {
      const sub = await core.reportFailure(workerCaller(t.state.worker), {
        hiring_id: t.hiring.id,
        reason: `HiClaw worker ${t.state.worker} is blocked: ${reason}`.slice(0, 2000),
        error: 'other',
      });
      t.state.submission_id = sub.id;
      log.info('HiClaw worker blocked; failure proposed for review', { hiring: t.hiring.id, submission: sub.id });
    } catch (e) {
      if (e instanceof RelayError && e.code === 'unavailable') throw e;
      log.error(`The relay refused the failure report for hiring ${t.hiring.id}`, { error: e });
    }
    t.state.phase = 'blocked';
    await saveState(hiclaw!.deps, t.state);
  }

  async function onDelivery(payload: WebhookPayload): Promise<void> {
    const hiring = payloadToHiring(payload);
    await core.ingest(agent, [hiring], 'webhook');
    await consider(toTaskHiring(hiring), payload.worker_matrix_id);
  }

  async function heartbeat(): Promise<void> {
    if (!platformUrl || !apiKey) return;
    try {
      const hirings = await fetchPendingHirings(platformUrl, apiKey, opts.fetch);
      if (hirings.length === 0) return;
      await core.ingest(agent, hirings, 'rest');
      for (const raw of hirings) {
        const h = toTaskHiring(raw);
        if (isActiveStatus(h.status)) await consider(h);
      }
    } catch (e) {
      log.warn('heartbeat GET /hirings/pending failed', { error: safeError(e) });
    }
  }

  /** Hirings that reached the store by MCP or REST also go to HiClaw unless a person took them. */
  function onStoreEvent(hiringId: string): void {
    if (!cfg.handoffAll) return;
    try {
      const view = core.getHiring(bridgeCaller, hiringId);
      const hiring = toTaskHiring(view.hiring);
      if (!isActiveStatus(hiring.status) || view.phase !== 'new') return;
      void consider(hiring);
    } catch {
      // Not ours or gone: nothing to hand off.
    }
  }

  async function resume(h: HiClaw): Promise<void> {
    let names: string[];
    try {
      names = await readdir(h.deps.local.root);
    } catch {
      return;
    }
    for (const id of names.filter(isSafeId)) {
      const state = await h.deps.local.readState(id);
      if (!state || state.agent !== agent || state.phase === 'closed' || state.phase === 'handing_off') continue;
      let hiring: TaskHiring;
      try {
        hiring = toTaskHiring(core.getHiring(bridgeCaller, id).hiring);
      } catch {
        hiring = toTaskHiring(parseHiring({ id, task_description: `Hiring ${id}` }));
      }
      if (state.room_token) h.watcher.seed(state.room_id, state.room_token);
      tracked.set(id, { state, hiring });
    }
    if (tracked.size > 0) log.info('resumed watching HiClaw tasks', { count: tracked.size });
  }

  async function runTick(): Promise<void> {
    const h = hiclaw;
    if (!h) return;
    for (const [id, p] of [...pending]) {
      pending.delete(id);
      await consider(p.hiring, p.worker);
    }
    await h.watcher.tick([...tracked.values()]);
    for (const t of [...tracked.values()]) {
      try {
        await followCore(h, t);
      } catch (e) {
        log.warn(`HiClaw task ${t.hiring.id}: could not pass the relay's decision to the worker; will retry`, { error: safeError(e) });
      }
    }
  }

  /**
   * Follows what happens to a handed-off hiring in the relay: review feedback goes back to the
   * worker (the task reopens), and a hiring that ended closes the task.
   */
  async function followCore(h: HiClaw, t: TrackedTask): Promise<void> {
    let view;
    try {
      view = core.getHiring(bridgeCaller, t.hiring.id);
    } catch {
      return;
    }
    if (view.phase === 'done' || view.phase === 'failed') {
      if (t.state.phase !== 'submitted' && t.state.phase !== 'blocked') await sendClosed(h.deps, t.state, view.phase === 'done' ? 'completed' : 'failed');
      t.state.phase = 'closed';
      t.state.finished_at ??= new Date().toISOString();
      await saveState(h.deps, t.state);
      tracked.delete(t.hiring.id);
      return;
    }
    const reviews = view.relayMessages.filter((m) => m.from === 'review');
    const seen = t.state.revision ?? 0;
    if (reviews.length > seen && (t.state.phase === 'submitted' || t.state.phase === 'blocked') && view.phase !== 'awaiting_review') {
      t.completedSummary = undefined;
      await sendFeedback(h.deps, t.state, reviews[reviews.length - 1].content, reviews.length);
    }
  }

  /** So a restarted bridge reads the worker's messages sent while it was down. */
  async function rememberRoomTokens(): Promise<void> {
    const h = hiclaw;
    if (!h) return;
    for (const t of tracked.values()) {
      const token = h.watcher.token(t.state.room_id);
      if (!token || token === t.state.room_token) continue;
      t.state.room_token = token;
      await saveState(h.deps, t.state).catch((e: unknown) => log.warn('could not save the room position', { hiring: t.hiring.id, error: safeError(e) }));
    }
  }

  function poll(): Promise<void> {
    ticking ??= runTick().finally(() => (ticking = undefined));
    return ticking;
  }

  function every(ms: number, fn: () => Promise<void>): void {
    const loop = () => {
      if (stopped) return;
      const t = setTimeout(() => void fn().finally(loop), ms);
      t.unref();
      timers.push(t);
      if (timers.length > 8) timers = timers.slice(-2);
    };
    loop();
  }

  return {
    get webhookUrl(): string {
      if (cfg.publicUrl) return cfg.publicUrl;
      if (!server) throw new Error('The bridge has not started: its webhook URL is not known yet.');
      return server.url;
    },
    async start() {
      const key = readSecret(env, { env: cfg.webhookKeyEnv, file: cfg.webhookKeyFile }, 'webhook key') ?? apiKey;
      if (!key) {
        throw new Error('The bridge needs a webhook key: set bridge.webhookKeyEnv (or webhookKeyFile), or give it the agent key.');
      }
      const secret = readSecret(env, { env: cfg.webhookSecretEnv, file: cfg.webhookSecretFile }, 'webhook secret');
      hiclaw = setUpHiClaw();
      if (hiclaw) await resume(hiclaw);
      server = await startWebhookServer({
        host: cfg.listen.host,
        port: cfg.listen.port,
        key,
        secret,
        maxBodyBytes: cfg.maxBodyBytes,
        requireWorker: () => hiclaw !== undefined && !cfg.workers[agent],
        onDelivery: (p) => {
          onDelivery(p).catch((e: unknown) => log.error(`webhook hiring ${p.hiring_id} could not be stored`, { error: safeError(e) }));
        },
        log,
      });
      unsubscribe = core.subscribe((ev) => {
        if (ev.type === 'hiring' && ev.agent === agent) onStoreEvent(ev.hiringId);
      });
      if (hiclaw) every(cfg.pollIntervalMs, poll);
      if (platformUrl && apiKey) {
        void heartbeat();
        every(cfg.heartbeatIntervalMs, heartbeat);
      }
      log.info('bridge started', { hiclaw: hiclaw ? 'on' : 'off', heartbeat: platformUrl && apiKey ? 'on' : 'off' });
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers = [];
      unsubscribe?.();
      await Promise.allSettled([...inflight.values()]);
      await ticking;
      await rememberRoomTokens();
      await server?.close();
      if (hiclaw?.deps.store instanceof S3TaskStore && !opts.store) hiclaw.deps.store.destroy();
    },
    poll,
    tasks: () => [...tracked.values()].map((t) => ({ ...t.state })),
  };
}
