// The bridge for one agent: webhook inbox → relay store → HiClaw hand-off (task files in MinIO,
// @mention in the worker's Matrix room) → worker report → submission in the review queue.
// Plus the REST heartbeat that catches hirings whose webhook got lost.
import { createLogger, type Logger } from '../../shared/log';
import { isActiveStatus } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import type { RelayCore } from '../types';
import { readSecret, type BridgeConfig, type Env } from './config';
import { fetchPendingHirings } from './heartbeat';
import { createHiClaw, type HiClawHandoffs } from './hiclaw';
import type { MatrixClient } from './matrix-client';
import { payloadToHiring, type WebhookPayload } from './payload';
import type { TaskStore } from './s3-store';
import type { BridgeState } from './task-files';
import { toTaskHiring } from './task-hiring';
import { startWebhookServer, type WebhookServer } from './webhook-server';

export interface BridgeOptions {
  core: RelayCore;
  /** Local agent name, as the relay's store knows it. */
  agent: string;
  /** The relay config's bridge section, parsed once (parseBridgeConfig). */
  config: BridgeConfig;
  log?: Logger;
  /** Where …Env settings are read (default process.env). */
  env?: Env;
  /** The agent's platform URL and key, when the relay already has them (heartbeat, default webhook key). */
  platform?: { baseUrl: string; apiKey: string; agentId?: string };
  /** Injected storage / Matrix client (tests, embedding); otherwise built from config. */
  store?: TaskStore;
  matrix?: MatrixClient;
  fetch?: typeof fetch;
  /** The relay's state directory (task folders go under it unless the config names tasksDir). */
  stateDir?: string;
}

export interface Bridge {
  /** The inbox URL to register as callback_url (known after start()). */
  readonly webhookUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One HiClaw pass now (also runs every pollIntervalMs). */
  poll(): Promise<void>;
  /** The hand-offs this bridge tracks. */
  tasks(): BridgeState[];
}

export function createBridge(opts: BridgeOptions): Bridge {
  const cfg = opts.config;
  const { core, agent } = opts;
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger(`bridge[${agent}]`);
  const platformUrl = opts.platform?.baseUrl ?? cfg.platformUrl;
  const apiKey = opts.platform?.apiKey ?? readSecret(env, { env: cfg.apiKeyEnv, file: cfg.apiKeyFile }, 'agent key');

  let server: WebhookServer | undefined;
  let hiclaw: HiClawHandoffs | undefined;
  let unsubscribe: (() => void) | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;
  const timers = new Map<string, NodeJS.Timeout>();

  async function onDelivery(payload: WebhookPayload): Promise<void> {
    const hiring = payloadToHiring(payload);
    await core.ingest(agent, [hiring], 'webhook');
    await hiclaw?.consider(toTaskHiring(hiring), payload.worker_matrix_id);
  }

  async function heartbeat(): Promise<void> {
    if (!platformUrl || !apiKey) return;
    try {
      const hirings = await fetchPendingHirings(platformUrl, apiKey, opts.fetch);
      if (hirings.length === 0) return;
      await core.ingest(agent, hirings, 'rest');
      for (const raw of hirings) {
        const h = toTaskHiring(raw);
        if (isActiveStatus(h.status)) await hiclaw?.consider(h);
      }
    } catch (e) {
      log.warn('heartbeat GET /hirings/pending failed', { error: safeError(e) });
    }
  }

  function poll(): Promise<void> {
    const h = hiclaw;
    if (!h) return Promise.resolve();
    ticking ??= h.tick().finally(() => (ticking = undefined));
    return ticking;
  }

  /** Runs fn every ms, never overlapping itself, until stop(). */
  function every(name: string, ms: number, fn: () => Promise<void>): void {
    const loop = () => {
      if (stopped) return;
      const t = setTimeout(() => void fn().finally(loop), ms);
      t.unref();
      timers.set(name, t);
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
        throw new Error(
          'The bridge needs a webhook key: set bridge.webhookKeyEnv (or webhookKeyFile), or give it the agent key.',
        );
      }
      const secret = readSecret(env, { env: cfg.webhookSecretEnv, file: cfg.webhookSecretFile }, 'webhook secret');
      hiclaw = createHiClaw({
        core,
        agent,
        cfg,
        env,
        log,
        store: opts.store,
        matrix: opts.matrix,
        fetch: opts.fetch,
        stateDir: opts.stateDir,
      });
      await hiclaw?.resume();
      server = await startWebhookServer({
        host: cfg.listen.host,
        port: cfg.listen.port,
        key,
        secret,
        maxBodyBytes: cfg.maxBodyBytes,
        agentId: opts.platform?.agentId,
        requireWorker: () => hiclaw?.needsWorkerInPayload ?? false,
        onDelivery: (p) => {
          onDelivery(p).catch((e: unknown) =>
            log.error(`webhook hiring ${p.hiring_id} could not be stored`, { error: safeError(e) }),
          );
        },
        log,
      });
      unsubscribe = core.subscribe((ev) => {
        if (ev.type === 'hiring' && ev.agent === agent) hiclaw?.considerFromStore(ev.hiringId);
      });
      if (hiclaw) every('poll', cfg.pollIntervalMs, poll);
      if (platformUrl && apiKey) {
        void heartbeat();
        every('heartbeat', cfg.heartbeatIntervalMs, heartbeat);
      }
      log.info('bridge started', { hiclaw: hiclaw ? 'on' : 'off', heartbeat: platformUrl && apiKey ? 'on' : 'off' });
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      unsubscribe?.();
      await ticking;
      await hiclaw?.stop();
      await server?.close();
    },
    poll,
    tasks: () => hiclaw?.tasks() ?? [],
  };
}
