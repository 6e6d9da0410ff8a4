// The relay: owns the hiring store, review queue and outbox (in the state dir),
// one upstream link per agent, the downstream MCP server and the webhook bridge,
// and is the core (./core) with them wired in. `startRelay()` opens everything and
// writes relay.json; `stop()` closes everything in order and removes it.
import { mkdirSync } from 'node:fs';
import type { Hiring } from '../shared/hiring';
import { createLogger, idSample, type Logger } from '../shared/log';
import { registerSecret, safeError } from '../shared/redact';
import { createBridge, type Bridge, type BridgeConfig } from './bridge';
import { RunnerConfigSchema, type RunnerConfigInput } from './runners/config';
import { RunnerManager } from './runners/manager';
import { Core, type CoreOptions } from './core/core';
import { startReconciler, type Reconciler } from './core/reconcile';
import { pushDelivery } from './core/push-adapter';
import { startDownstreamServer, type DownstreamServer } from './downstream';
import { Outbox } from './inbox/outbox';
import type { BackoffOptions } from '../shared/backoff';
import { ReviewQueue } from './inbox/review';
import { HiringStore } from './inbox/store';
import { removeRelayFile, resolveTokens, writeRelayFile, type RelayTokens } from './relay-file';
import {
  RelayError,
  type Caller,
  type HiringView,
  type PendingChanges,
  type RelayStatus,
  type RunInfo,
  type HiringSource,
  type LinkStatus,
  type DeliveryAttempt,
  type DeliveryOutcome,
  type OutboxEntry,
  type RelayCore,
  type UpstreamLink,
  type UpstreamListener,
} from './types';
import { createAgentLink, type LinkTiming } from './upstream';
import { RELAY_VERSION } from '../shared/version';
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
  /** Webhook bridge settings (the config file's `bridge` section, parsed). */
  bridge?: BridgeConfig;
  /** Write relay.json on start (default true). */
  writeRelayFile?: boolean;
  /** Builds a link (tests inject fakes). */
  createLink?: (agent: RelayAgent, listener: UpstreamListener) => UpstreamLink;
  /** Downstream SSE keep-alive interval. */
  keepAliveMs?: number;
  /** Unread bytes a downstream client may let pile up on its stream before its session is closed (default 8 MiB). */
  maxBufferedBytes?: number;
  /** How often idle active hirings are re-read from the platform (default 5 minutes). */
  reconcileMs?: number;
  /** Coding-agent CLIs started per hiring (src/relay/runners). */
  runners?: RunnerConfigInput[];
  /** Runner timings (tests shrink them). */
  runnerTiming?: { graceMs?: number; chunkIntervalMs?: number; logEventMs?: number };
}

export interface Relay extends RelayCore {
  /** Base URL of the downstream server. */
  readonly url: string;
  readonly tokens: RelayTokens;
  readonly stateDir: string;
  pendingSince(caller: Caller, cursor: string): PendingChanges;
  stop(): Promise<void>;
  links(): UpstreamLink[];
  /** Resolves when deliveries being prepared (push) have reached the outbox. */
  idle(): Promise<void>;
  /** The webhook bridge's inbox URLs (register one as callback_url), when a bridge is configured. */
  webhookUrls(): string[];
  /** Re-reads active hirings untouched for `reconcileMs` now (normally periodic). */
  reconcile(): Promise<void>;
}

/**
 * Opens the journals, builds the core on them, connects the links and starts serving. The core
 * exists from the first moment a caller can reach the relay, so nothing stands in for it.
 */
export async function startRelay(opts: RelayOptions): Promise<Relay> {
  const log = opts.logger ?? createLogger('relay');
  for (const a of opts.agents) registerSecret(a.apiKey);
  const { stateDir, durable } = opts;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const workspaceRoot = opts.workspaceRoot ?? `${stateDir}/workspaces`;
  mkdirSync(workspaceRoot, { recursive: true, mode: 0o700 });
  const linkMap = new Map<string, UpstreamLink>();
  const opened: { close(): Promise<void> }[] = [];
  let relay: RelayImpl;
  try {
    const store = await HiringStore.open(stateDir, { durable, logger: log });
    opened.push(store);
    const queue = await ReviewQueue.open(stateDir, { durable, logger: log });
    opened.push(queue);
    const outbox = await Outbox.open(stateDir, {
      ...opts.outboxBackoff,
      durable,
      logger: log,
      autoStart: false,
      send: (e, attempt) => send(linkMap, e, attempt),
      isHiringFinished: (id) => {
        const p = store.get(id)?.phase;
        return p === 'done' || p === 'failed';
      },
    });
    opened.push(outbox);
    relay = new RelayImpl(opts, linkMap, {
      store,
      queue,
      outbox,
      links: { get: (a) => linkMap.get(a), all: () => [...linkMap.values()] },
      push: pushDelivery(opts.githubApiBase, log.child('delivery')),
      review: opts.review ?? 'required',
      workspaceRoot,
      version: RELAY_VERSION,
      logger: log,
    });
  } catch (e) {
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    throw e;
  }
  try {
    await relay.serve();
  } catch (e) {
    await relay.stop();
    throw e;
  }
  return relay;
}

function send(links: Map<string, UpstreamLink>, e: OutboxEntry, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
  const link = links.get(e.agent);
  if (!link) {
    return Promise.resolve({ kind: 'rejected', message: `agent ${e.agent} is no longer configured in this relay` });
  }
  return link.deliver(e.tool, e.args, e.key, attempt);
}

class RelayImpl extends Core implements Relay {
  readonly stateDir: string;
  private server?: DownstreamServer;
  private bridges: Bridge[] = [];
  private reconciler?: Reconciler;
  private runs?: RunnerManager;
  private resolvedTokens?: RelayTokens;
  private stopping?: Promise<void>;

  constructor(
    private readonly opts: RelayOptions,
    private readonly linkMap: Map<string, UpstreamLink>,
    private readonly parts: CoreOptions,
  ) {
    super(parts);
    this.stateDir = opts.stateDir;
  }

  get url(): string {
    if (!this.server) throw new RelayError('The relay is not serving yet.', 'unavailable');
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

  idle(): Promise<void> {
    return this.submissions.idle();
  }

  /** Creates the links, then serves downstream, resumes deliveries and starts the bridges. */
  async serve(): Promise<void> {
    const { log, parts } = this;
    const listener: UpstreamListener = {
      onHirings: (agent: string, hirings: Hiring[], source: HiringSource) => {
        this.ingest(agent, hirings, source).catch((e: unknown) =>
          log.error('could not record hirings', { agent, error: safeError(e).message }),
        );
      },
      onVanished: (agent: string, ids: string[]) => {
        log.debug('hirings left the pending list; re-reading them', { agent, ...idSample(ids) });
        void this.reconciler?.recheck(ids);
      },
      onStatus: (st: LinkStatus) => this.onLinkStatus(st),
    };
    for (const a of this.opts.agents) {
      const link = this.opts.createLink
        ? this.opts.createLink(a, listener)
        : createAgentLink({
            agent: a.name,
            baseUrl: a.baseUrl,
            apiKey: a.apiKey,
            agentId: a.agentId,
            listener,
            log: log.child(`link[${a.name}]`),
            timing: this.opts.linkTiming,
          });
      this.linkMap.set(a.name, link);
    }

    this.server = await startDownstreamServer({
      core: this,
      host: this.opts.host ?? '127.0.0.1',
      port: this.opts.port ?? DEFAULT_RELAY_PORT,
      tokens: {
        operator: this.tokens.operatorToken,
        workers: this.tokens.workerTokens,
        lookup: (t) => this.runs?.callerForToken(t),
      },
      log: log.child('downstream'),
      keepAliveMs: this.opts.keepAliveMs,
      maxBufferedBytes: this.opts.maxBufferedBytes,
    });
    if (this.opts.writeRelayFile ?? true) {
      writeRelayFile(this.stateDir, {
        url: this.server.url,
        pid: process.pid,
        version: RELAY_VERSION,
        startedAt: this.startedAt,
        operatorToken: this.tokens.operatorToken,
        workerTokens: this.tokens.workerTokens,
      });
    }

    for (const link of this.linkMap.values()) link.start();
    parts.outbox.start();
    this.submissions.resume();
    this.reconciler = startReconciler({
      store: parts.store,
      links: parts.links,
      logger: log,
      intervalMs: this.opts.reconcileMs,
    });
    await this.startBridges();
    this.startRunners();
    log.info('relay started', {
      url: this.server.url,
      agents: this.opts.agents.map((a) => a.name).join(','),
      review: parts.review,
      stateDir: this.stateDir,
    });
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    const { store, queue, outbox } = this.parts;
    this.log.info('relay stopping');
    this.reconciler?.stop();
    // No new work first; then let sends in flight finish while the links are still up.
    await this.runs
      ?.stop()
      .catch((e: unknown) => this.log.error('stopping runs failed', { error: safeError(e).message }));
    await Promise.allSettled(this.bridges.map((b) => b.stop()));
    await this.server?.close().catch(() => undefined);
    await this.idle();
    await outbox.close();
    // Answers that arrived while the outbox closed are recorded before the journals close (links still up to re-read the hiring).
    await this.idle();
    await Promise.allSettled(this.links().map((l) => l.stop()));
    await queue.close();
    await store.close();
    if (this.server && (this.opts.writeRelayFile ?? true)) removeRelayFile(this.stateDir, process.pid);
    this.log.info('relay stopped');
  }

  private async startBridges(): Promise<void> {
    const cfg = this.opts.bridge;
    if (!cfg) return;
    const name = cfg.agent ?? this.opts.agents[0]?.name;
    const agent = this.opts.agents.find((a) => a.name === name);
    if (!agent) throw new RelayError(`The bridge names agent "${name}", which is not configured.`, 'invalid');
    const bridge = createBridge({
      core: this,
      agent: agent.name,
      config: cfg,
      env: this.opts.env,
      log: this.log.child(`bridge[${agent.name}]`),
      platform: { baseUrl: agent.baseUrl, apiKey: agent.apiKey },
      stateDir: this.stateDir,
    });
    await bridge.start();
    this.bridges.push(bridge);
    this.log.info('webhook bridge listening', { agent: agent.name, url: bridge.webhookUrl });
  }

  /** Agents whose hirings the HiClaw bridge takes by itself: runners leave those alone. */
  private bridgeAgents(): Set<string> {
    const out = new Set<string>();
    const cfg = this.opts.bridge;
    const agent = cfg?.agent ?? this.opts.agents[0]?.name;
    if (cfg && agent && cfg.matrix && cfg.handoffAll && cfg.workers[agent]) out.add(agent);
    return out;
  }

  private startRunners(): void {
    const runners = (this.opts.runners ?? []).map((r) => RunnerConfigSchema.parse(r));
    if (runners.length === 0) return;
    this.runs = new RunnerManager({
      core: this,
      runners,
      stateDir: this.stateDir,
      mcpUrl: () => `${this.url}/mcp`,
      bridgeAgents: this.bridgeAgents(),
      env: this.opts.env ?? process.env,
      emit: (e) => this.emit(e),
      log: this.log.child('runners'),
      ...this.opts.runnerTiming,
    });
    this.runs.start();
    this.log.info('runners ready', {
      runners: runners.map((r) => `${r.name}${r.autoDispatch ? ' (auto)' : ''}`).join(','),
    });
  }

  // ───────────── runners: the views carry the run, the status lists runs ─────────────

  private withRun(view: HiringView): HiringView {
    const run = this.runs?.runInfo(view.hiring.id);
    return run ? { ...view, run } : view;
  }

  override listActive(caller: Caller): HiringView[] {
    return super.listActive(caller).map((v) => this.withRun(v));
  }
  override listAll(caller: Caller): HiringView[] {
    return super.listAll(caller).map((v) => this.withRun(v));
  }
  override pendingSince(caller: Caller, cursor: string): PendingChanges {
    const changes = super.pendingSince(caller, cursor);
    // A reset came through listActive above, runs included.
    return changes.reset ? changes : { ...changes, hirings: changes.hirings.map((v) => this.withRun(v)) };
  }
  override getHiring(caller: Caller, id: string): HiringView {
    return this.withRun(super.getHiring(caller, id));
  }
  override status(): RelayStatus {
    return { ...super.status(), runs: this.runs?.runs() ?? [], runners: this.runs?.runners() ?? [] };
  }
  startRun(caller: Caller, hiringId: string, runner?: string): Promise<RunInfo> {
    if (!this.runs) {
      return Promise.reject(
        new RelayError('No runner is configured (add "runners" to the relay config).', 'unavailable'),
      );
    }
    return this.runs.startRun(caller, hiringId, runner);
  }
  stopRun(caller: Caller, hiringId: string): Promise<RunInfo> {
    if (!this.runs) {
      return Promise.reject(new RelayError(`No run for hiring ${hiringId}: no runner is configured.`, 'not_found'));
    }
    return this.runs.stopRun(caller, hiringId);
  }
  runLog(caller: Caller, hiringId: string): string {
    if (!this.runs) throw new RelayError(`No run for hiring ${hiringId}.`, 'not_found');
    return this.runs.runLog(caller, hiringId);
  }

  private onLinkStatus(st: LinkStatus): void {
    this.log.debug('link status', { agent: st.agent, state: st.state });
    // A link that comes back retries waiting deliveries at once instead of after the backoff.
    if (st.state === 'connected') this.parts.outbox.kick(st.agent);
    this.emit({ type: 'status' });
  }
}
