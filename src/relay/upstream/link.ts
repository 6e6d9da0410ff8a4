// One agent's link to Agrenting: keeps an MCP session alive (new session on any
// sign of death, single-flight backoff), turns notifications into coalesced
// reads of hiring://pending, polls REST as a safety net, and delivers results
// over MCP with REST as the fallback.
import { parseHiring, type Hiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import { SYSTEM_PROMPT_NAME, hiringUri, type PlatformToolName } from '../../shared/protocol';
import { redact, registerSecret } from '../../shared/redact';
import {
  RelayError,
  type DeliveryAttempt,
  type DeliveryOutcome,
  type LinkStatus,
  type UpstreamLink,
  type UpstreamListener,
} from '../types';
import { Backoff } from '../../shared/backoff';
import { deliverOnce, type DeliveryRoute } from './delivery';
import { AuthError, HttpError, SessionLostError } from './errors';
import { HiringIntake } from './intake';
import { AgrentingRest } from './rest';
import { McpSession } from './session';
import { linkTiming, type LinkTiming } from './timing';

export interface AgentLinkOptions {
  /** Local agent name (config), used in logs and errors. */
  agent: string;
  /** Platform base URL, e.g. https://agrenting.com or the sandbox's URL. */
  baseUrl: string;
  apiKey: string;
  listener: UpstreamListener;
  log?: Logger;
  timing?: Partial<LinkTiming>;
  /** The platform's agent id, when the config knows it (otherwise learnt from hirings). */
  agentId?: string;
}

export class AgentLink implements UpstreamLink {
  readonly agent: string;
  private readonly timing: LinkTiming;
  private readonly log: Logger;
  private readonly rest: AgrentingRest;
  private readonly sseUrl: URL;
  private readonly backoff: Backoff;
  private st: LinkStatus;
  private session?: McpSession;
  private connectedAt = 0;
  private everConnected = false;
  private started = false;
  private stopped = false;
  private connecting?: Promise<void>;
  private connectAbort?: AbortController;
  private retryTimer?: NodeJS.Timeout;
  private safetyTimer?: NodeJS.Timeout;
  private connectedWaiters: (() => void)[] = [];
  private readonly intake: HiringIntake;
  private readonly route: DeliveryRoute;

  constructor(private readonly opts: AgentLinkOptions) {
    registerSecret(opts.apiKey);
    this.agent = opts.agent;
    this.timing = linkTiming(opts.timing);
    this.log = opts.log ?? createLogger(`link[${opts.agent}]`);
    this.rest = new AgrentingRest({
      baseUrl: opts.baseUrl,
      apiKey: opts.apiKey,
      agent: opts.agent,
      timeoutMs: this.timing.requestTimeoutMs,
    });
    this.sseUrl = new URL('mcp/sse', opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.backoff = new Backoff({
      baseMs: this.timing.backoffBaseMs,
      capMs: this.timing.backoffCapMs,
      stableResetMs: this.timing.stableResetMs,
    });
    this.st = { agent: opts.agent, agentId: opts.agentId, state: 'offline', reconnects: 0 };
    const session = () => this.session;
    this.intake = new HiringIntake({
      agent: opts.agent,
      listener: opts.listener,
      log: this.log,
      rest: this.rest,
      session,
      onAgentId: (agentId) => {
        if (!this.st.agentId) this.update({ agentId });
      },
    });
    this.route = { agent: opts.agent, log: this.log, rest: this.rest, session };
  }

  status(): LinkStatus {
    return { ...this.st };
  }

  /** The live session's id (tests and diagnostics). */
  get sessionId(): string | undefined {
    return this.session?.alive ? this.session.sessionId : undefined;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.update({ state: 'connecting' });
    this.connectNow();
    // 0 disables the safety net (an interval of 0 would spin).
    if (this.timing.safetyNetMs > 0) {
      this.safetyTimer = setInterval(() => {
        if (this.st.state !== 'offline') void this.intake.pollRestSoon();
      }, this.timing.safetyNetMs);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.safetyTimer);
    this.connectAbort?.abort();
    const s = this.session;
    this.session = undefined;
    await Promise.allSettled([s?.close(), this.connecting]);
    for (const w of this.connectedWaiters.splice(0)) w();
    this.update({ state: 'stopped', connectedSince: undefined });
  }

  async refresh(): Promise<void> {
    // Asked for explicitly: hand on the whole list, not only what changed.
    this.intake.resync();
    await Promise.allSettled([
      this.session?.alive ? this.intake.readPendingSoon() : undefined,
      this.intake.pollRestSoon(),
    ]);
  }

  async getHiring(id: string): Promise<Hiring> {
    const s = this.session;
    if (s?.alive) {
      try {
        return this.intake.seen(parseHiring(JSON.parse(await s.readText(hiringUri(id)))));
      } catch (e) {
        // REST has the final word on "unknown" (and covers a session that just died).
        this.log.debug('MCP read of one hiring failed; asking REST', { hiring: id, error: (e as Error).message });
      }
    }
    try {
      return this.intake.seen(await this.rest.getHiring(id));
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) {
        throw new RelayError(`Agrenting does not know hiring ${id} for agent ${this.agent}.`, 'not_found');
      }
      throw new RelayError(
        `Could not read hiring ${id} from Agrenting: ${redact((e as Error).message)}`,
        'unavailable',
      );
    }
  }

  async systemPrompt(): Promise<string> {
    const s = this.session?.alive ? this.session : await this.whenConnected(this.timing.requestTimeoutMs);
    if (!s) {
      throw new RelayError(
        `Agrenting is not connected for agent ${this.agent}; the system prompt needs the MCP session. ${this.st.lastError ?? ''}`.trim(),
        'unavailable',
      );
    }
    return s.prompt(SYSTEM_PROMPT_NAME);
  }

  deliver(
    tool: PlatformToolName,
    args: Record<string, unknown>,
    idempotencyKey: string,
    attempt?: DeliveryAttempt,
  ): Promise<DeliveryOutcome> {
    return deliverOnce(this.route, tool, args, idempotencyKey, attempt);
  }

  // ───────────── session lifecycle ─────────────

  private connectNow(): void {
    if (this.stopped || this.connecting || this.retryTimer || this.session?.alive) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  /** Single-flight: at most one timer or one attempt at a time. */
  private retryIn(ms: number): void {
    if (this.stopped || this.retryTimer) return;
    this.log.debug('next connection attempt', { inMs: ms });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connectNow();
    }, ms);
  }

  private async connect(): Promise<void> {
    const abort = new AbortController();
    this.connectAbort = abort;
    let retryMs: number | undefined;
    try {
      const session = await McpSession.open({
        agent: this.agent,
        sseUrl: this.sseUrl,
        apiKey: this.opts.apiKey,
        timing: this.timing,
        log: this.log,
        signal: abort.signal,
        onResourceUpdated: (uri) => this.intake.onResourceUpdated(uri),
        onActivity: () => {
          this.st.lastEventAt = new Date().toISOString();
        },
        onLost: (err) => this.onSessionLost(session, err),
      });
      if (this.stopped) {
        await session.close();
        return;
      }
      // Lost between the handshake and here: its onLost was not ours to act on yet.
      if (!session.alive) throw new SessionLostError('the MCP session ended right after it opened');
      this.established(session);
    } catch (e) {
      if (this.stopped) return;
      const err = e as Error;
      if (e instanceof AuthError) {
        this.update({ state: 'offline', lastError: err.message });
        retryMs = this.timing.authRetryMs;
      } else {
        this.update({
          state: this.everConnected ? 'reconnecting' : 'connecting',
          lastError: redact(`could not open the MCP session: ${err.message}`),
        });
        // Nothing listening (e.g. the platform restarting): retry on a short cap so the link is back
        // soon after it is; a platform that answers badly (5xx, 429) gets the full backoff.
        const cap = e instanceof SessionLostError && e.unreachable ? this.timing.unreachableCapMs : undefined;
        retryMs = Math.max(this.backoff.next(cap), e instanceof HttpError ? (e.retryAfterMs ?? 0) : 0);
      }
      this.log.warn('MCP session failed to open', { error: err.message, retryInMs: retryMs });
    } finally {
      if (this.connectAbort === abort) this.connectAbort = undefined;
    }
    if (retryMs !== undefined) this.retryIn(retryMs);
  }

  private established(session: McpSession): void {
    this.session = session;
    this.connectedAt = Date.now();
    if (this.everConnected) this.st.reconnects += 1;
    this.everConnected = true;
    this.update({ state: 'connected', lastError: undefined, connectedSince: new Date(this.connectedAt).toISOString() });
    this.log.info('connected', { session: session.sessionId });
    for (const w of this.connectedWaiters.splice(0)) w();
    // Catch up on anything missed while no session was listening: the whole list, not a diff.
    this.intake.resync();
    void this.intake.readPendingSoon();
    void this.intake.pollRestSoon();
  }

  private onSessionLost(session: McpSession, err: Error): void {
    if (this.session !== session || this.stopped) return;
    this.session = undefined;
    this.backoff.sessionEnded(Date.now() - this.connectedAt);
    this.update({ state: 'reconnecting', lastError: redact(err.message), connectedSince: undefined });
    this.log.warn('MCP session lost', { error: err.message });
    this.retryIn(this.backoff.next());
  }

  private whenConnected(timeoutMs: number): Promise<McpSession | undefined> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(this.session?.alive ? this.session : undefined);
      };
      const timer = setTimeout(() => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      this.connectedWaiters.push(done);
    });
  }

  // ───────────── status ─────────────

  private update(patch: Partial<Omit<LinkStatus, 'agent'>>): void {
    if (this.stopped && patch.state !== 'stopped' && this.st.state === 'stopped') return;
    const before = JSON.stringify(this.st);
    this.st = { ...this.st, ...patch };
    for (const k of Object.keys(this.st) as (keyof LinkStatus)[]) if (this.st[k] === undefined) delete this.st[k];
    if (JSON.stringify(this.st) === before) return;
    try {
      this.opts.listener.onStatus(this.status());
    } catch (e) {
      this.log.error('the status listener failed', { error: (e as Error).message });
    }
  }
}

export function createAgentLink(opts: AgentLinkOptions): AgentLink {
  return new AgentLink(opts);
}
