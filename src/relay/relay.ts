// The relay: owns the hiring store, review queue and outbox (in the state dir),
// one upstream link per agent, the downstream MCP server and the webhook bridge,
// and wires them through the core (./core). `start()` opens everything and
// writes relay.json; `stop()` closes everything in order and removes it.
import { mkdirSync } from 'node:fs';
import type { Hiring } from '../shared/hiring';
import { createLogger, type Logger } from '../shared/log';
import { registerSecret, safeError } from '../shared/redact';
import { createBridge, type Bridge } from './bridge';
import { Core } from './core/core';
import { startReconciler } from './core/reconcile';
import { DelegatingCore } from './core/delegate';
import type { LinkDirectory } from './core/ports';
import { pushDelivery } from './core/push-adapter';
import { startDownstreamServer, type DownstreamServer } from './downstream';
import { Outbox } from './inbox/outbox';
import type { BackoffOptions } from '../shared/backoff';
import { ReviewQueue } from './inbox/review';
import { HiringStore } from './inbox/store';
import { removeRelayFile, resolveTokens, writeRelayFile, type RelayTokens } from './relay-file';
import {
  RelayError,
  type HiringSource,
  type LinkStatus,
  type OutboxEntry,
  type RelayCore,
  type UpstreamLink,
  type UpstreamListener,
} from './types';
import { createAgentLink, type LinkTiming } from './upstream';
import { RELAY_VERSION } from './version';
import { DEFAULT_RELAY_PORT, type ReviewMode } from '../shared/constants';

export interface RelayAgent {
  name: string;
  baseUrl: string;
  apiKey: string;
  /** The platform's agent id, when known. */
  agentId?: string;
}

export interface RelayOptions {
  agents: RelayAgent[];
  stateDir: string;
  /** Default `<stateDir>/workspaces`. */
  workspaceRoot?: string;
  host?: string;
  /** Default 7391; 0 picks a free port. */
  port?: number;
  review?: ReviewMode;
  /** Client tokens; default from the environment / previous run / generated (see relay-file.ts). */
  tokens?: RelayTokens;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  linkTiming?: Partial<LinkTiming>;
  /** Outbox retry backoff (tests shrink it). */
  outboxBackoff?: Partial<BackoffOptions>;
  /** fsync journals (default true). */
  durable?: boolean;
  /** GitHub-style API base override for pull requests. */
  githubApiBase?: string;
  /** Webhook bridge settings (the config file's `bridge` section). */
  bridge?: Record<string, unknown>;
  /** Write relay.json on start (default true). */
  writeRelayFile?: boolean;
  /** Builds a link (tests inject fakes). */
  createLink?: (agent: RelayAgent, listener: UpstreamListener) => UpstreamLink;
  /** Downstream SSE keep-alive interval. */
  keepAliveMs?: number;
  /** How often idle active hirings are re-read from the platform (default 5 minutes). */
  reconcileMs?: number;
}

export interface Relay extends RelayCore {
  /** Base URL of the downstream server (after start()). */
  readonly url: string;
  readonly tokens: RelayTokens;
  readonly stateDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  links(): UpstreamLink[];
  /** Resolves when deliveries being prepared (push) have reached the outbox. */
  idle(): Promise<void>;
  /** The webhook bridge's inbox URLs (register one as callback_url), when a bridge is configured. */
  webhookUrls(): string[];
  /** Re-reads active hirings untouched for `reconcileMs` now (normally periodic). */
  reconcile(): Promise<void>;
}

export function createRelay(opts: RelayOptions): Relay {
  return new RelayImpl(opts);
}

class RelayImpl extends DelegatingCore implements Relay {
  readonly stateDir: string;
  private readonly log: Logger;
  private readonly linkMap = new Map<string, UpstreamLink>();
  private store?: HiringStore;
  private queue?: ReviewQueue;
  private outbox?: Outbox;
  private server?: DownstreamServer;
  private bridges: Bridge[] = [];
  private reconciler?: { stop(): void; sweep(): Promise<void> };
  private resolvedTokens?: RelayTokens;
  private started = false;
  private stopping?: Promise<void>;

  constructor(private readonly opts: RelayOptions) {
    super();
    this.stateDir = opts.stateDir;
    this.log = opts.logger ?? createLogger('relay');
    for (const a of opts.agents) registerSecret(a.apiKey);
  }

  get url(): string {
    if (!this.server) throw new RelayError('The relay is not started.', 'unavailable');
    return this.server.url;
  }

  get tokens(): RelayTokens {
    this.resolvedTokens ??=
      this.opts.tokens ??
      resolveTokens(
        this.stateDir,
        this.opts.agents.map((a) => a.name),
        this.opts.env,
      );
    return this.resolvedTokens;
  }

  links(): UpstreamLink[] {
    return [...this.linkMap.values()];
  }

  /** Re-reads idle active hirings now (normally periodic). */
  reconcile(): Promise<void> {
    return this.reconciler?.sweep() ?? Promise.resolve();
  }

  webhookUrls(): string[] {
    return this.bridges.map((b) => b.webhookUrl);
  }

  async idle(): Promise<void> {
    await this.core?.submissions.idle();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { stateDir, log } = this;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const workspaceRoot = this.opts.workspaceRoot ?? `${stateDir}/workspaces`;
    mkdirSync(workspaceRoot, { recursive: true, mode: 0o700 });
    const durable = this.opts.durable;
    const store = (this.store = await HiringStore.open(stateDir, { durable, logger: log }));
    this.queue = await ReviewQueue.open(stateDir, { durable, logger: log });
    this.outbox = await Outbox.open(stateDir, {
      ...this.opts.outboxBackoff,
      durable,
      logger: log,
      autoStart: false,
      send: (e) => this.send(e),
      isHiringFinished: (id) => {
        const p = store.get(id)?.phase;
        return p === 'done' || p === 'failed';
      },
    });

    const directory: LinkDirectory = { get: (a) => this.linkMap.get(a), all: () => this.links() };
    const core = (this.core = new Core({
      store,
      queue: this.queue,
      outbox: this.outbox,
      links: directory,
      push: pushDelivery(this.opts.githubApiBase, log.child('delivery')),
      review: this.opts.review ?? 'required',
      workspaceRoot,
      version: RELAY_VERSION,
      logger: log,
    }));

    const listener: UpstreamListener = {
      onHirings: (agent: string, hirings: Hiring[], source: HiringSource) => {
        core.ingest(agent, hirings, source).catch((e: unknown) => log.error('could not record hirings', { agent, error: safeError(e).message }));
      },
      onStatus: (st: LinkStatus) => this.onLinkStatus(st),
    };
    for (const a of this.opts.agents) {
      const link = this.opts.createLink
        ? this.opts.createLink(a, listener)
        : createAgentLink({ agent: a.name, baseUrl: a.baseUrl, apiKey: a.apiKey, agentId: a.agentId, listener, log: log.child(`link[${a.name}]`), timing: this.opts.linkTiming });
      this.linkMap.set(a.name, link);
    }

    this.server = await startDownstreamServer({
      core: this,
      host: this.opts.host ?? '127.0.0.1',
      port: this.opts.port ?? DEFAULT_RELAY_PORT,
      tokens: { operator: this.tokens.operatorToken, workers: this.tokens.workerTokens },
      log: log.child('downstream'),
      keepAliveMs: this.opts.keepAliveMs,
    });
    if (this.opts.writeRelayFile ?? true) {
      writeRelayFile(stateDir, {
        url: this.server.url,
        pid: process.pid,
        version: RELAY_VERSION,
        startedAt: core.startedAt,
        operatorToken: this.tokens.operatorToken,
        workerTokens: this.tokens.workerTokens,
      });
    }

    for (const link of this.linkMap.values()) link.start();
    this.outbox.start();
    core.submissions.resume();
    this.reconciler = startReconciler({ store, links: directory, logger: log, intervalMs: this.opts.reconcileMs });
    await this.startBridges();
    log.info('relay started', { url: this.server.url, agents: this.opts.agents.map((a) => a.name).join(','), review: this.opts.review ?? 'required', stateDir });
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    if (!this.started) return;
    this.log.info('relay stopping');
    this.reconciler?.stop();
    // No new work first; then let sends in flight finish while the links are still up.
    await Promise.allSettled(this.bridges.map((b) => b.stop()));
    await this.server?.close().catch(() => undefined);
    await this.core?.submissions.idle();
    await this.outbox?.close();
    // Answers that arrived while the outbox closed are recorded before the journals close (links still up to re-read the hiring).
    await this.core?.submissions.idle();
    await Promise.allSettled(this.links().map((l) => l.stop()));
    await this.queue?.close();
    await this.store?.close();
    if (this.opts.writeRelayFile ?? true) removeRelayFile(this.stateDir, process.pid);
    this.log.info('relay stopped');
  }

  private async startBridges(): Promise<void> {
    const cfg = this.opts.bridge;
    if (!cfg) return;
    const name = typeof cfg.agent === 'string' ? cfg.agent : this.opts.agents[0]?.name;
    const agent = this.opts.agents.find((a) => a.name === name);
    if (!agent) throw new RelayError(`The bridge names agent "${String(name)}", which is not configured.`, 'invalid');
    const bridge = createBridge({
      core: this,
      agent: agent.name,
      config: cfg,
      env: this.opts.env,
      log: this.log.child(`bridge[${agent.name}]`),
      platform: { baseUrl: agent.baseUrl, apiKey: agent.apiKey },
    });
    await bridge.start();
    this.bridges.push(bridge);
    this.log.info('webhook bridge listening', { agent: agent.name, url: bridge.webhookUrl });
  }

  private async send(e: OutboxEntry) {
    const link = this.linkMap.get(e.agent);
    if (!link) return { kind: 'rejected' as const, message: `agent ${e.agent} is no longer configured in this relay` };
    return link.deliver(e.tool, e.args, e.key);
  }

  private onLinkStatus(st: LinkStatus): void {
    this.log.debug('link status', { agent: st.agent, state: st.state });
    // A link that comes back retries waiting deliveries at once instead of after the backoff.
    if (st.state === 'connected') this.outbox?.kick(st.agent);
    this.emitStatus();
  }

  private emitStatus(): void {
    // Before the core exists there is nobody to tell.
    if (this.core) for (const l of this.statusListeners) l({ type: 'status' });
  }

}
