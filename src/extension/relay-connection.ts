// The extension's MCP session with the relay (operator role): Streamable HTTP at
// <url>/mcp with X-API-Key, subscriptions to relay://hirings, review://queue and
// relay://status, a ping to notice a dead relay, and reconnects with backoff
// (re-reading relay.json each time: a restarted relay may have a new port).
// No vscode import: the extension wires its events to the UI.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Backoff } from '../shared/backoff';
import { RELAY_URI as URI } from '../shared/constants';
import { Emitter } from '../shared/emitter';
import type { Logger } from '../shared/log';
import { redact, registerSecret, safeError } from '../shared/redact';
import type { RelayToolInput, RelayToolName } from '../shared/tools';
import type { HiringView, RelayStatus, Submission } from '../relay/types';
import { loadMcpSdk } from './mcp-sdk';
import type { RelayFile } from './relay-info';
import { parseHiringViews, parseRelayStatus, parseSubmissions } from './view-models/parse';
import type { ConnectionState } from './view-models/status-bar';

export interface ConnectionOptions {
  /** Finds the live relay (relay.json + liveness), or undefined. */
  locate: () => Promise<RelayFile | undefined>;
  log: Logger;
  version: string;
  pingIntervalMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  toolTimeoutMs?: number;
}

export interface RelaySnapshot {
  hirings: HiringView[];
  reviews: Submission[];
  status?: RelayStatus;
}

/** A tool answered isError: its text is a sentence a person can act on. */
export class RelayToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayToolError';
  }
}

export class RelayNotConnectedError extends Error {
  constructor(detail?: string) {
    super(
      `The Agrenting relay is not connected${detail ? ` (${detail})` : ''}. Run 'Agrenting: Start Relay', or see 'Agrenting: Show Relay Log'.`,
    );
    this.name = 'RelayNotConnectedError';
  }
}

type Listener = () => void;

export class RelayConnection {
  state: ConnectionState = 'connecting';
  lastError: string | undefined;
  info: RelayFile | undefined;
  data: RelaySnapshot = { hirings: [], reviews: [] };

  private client: Client | undefined;
  private disposed = false;
  private running = false;
  private wakeUp: (() => void) | undefined;
  private lost: (() => void) | undefined;
  private readonly stateEvents = new Emitter<void>((e) => this.listenerFailed('state', e));
  private readonly dataEvents = new Emitter<void>((e) => this.listenerFailed('data', e));
  private readonly pendingReads = new Map<string, NodeJS.Timeout>();
  /** Text resources someone follows (a run's log in the detail view): uri → listeners. */
  private readonly watchers = new Map<string, Set<(text: string) => void>>();

  constructor(private readonly opts: ConnectionOptions) {}

  onState(l: Listener): () => void {
    return this.stateEvents.on(l);
  }

  onData(l: Listener): () => void {
    return this.dataEvents.on(l);
  }

  /** Starts the connect loop (idempotent). */
  start(): void {
    if (this.running || this.disposed) return;
    this.running = true;
    void this.loop();
  }

  /** Retries now instead of waiting for the backoff (e.g. after starting a relay). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Drops the session and reconnects (e.g. after a relay restart). */
  reconnect(): void {
    this.lost?.();
    this.wake();
  }

  dispose(): void {
    this.disposed = true;
    this.lost?.();
    this.wake();
    for (const t of this.pendingReads.values()) clearTimeout(t);
    void this.client?.close().catch(() => undefined);
  }

  private setState(state: ConnectionState, error?: string): void {
    const changed = state !== this.state || error !== this.lastError;
    this.state = state;
    if (error !== undefined || state === 'connected') this.lastError = error;
    if (changed) this.stateEvents.emit();
  }

  private async loop(): Promise<void> {
    // No jitter: one extension reconnects to one local relay, there is no crowd to spread.
    const backoff = new Backoff({
      baseMs: this.opts.minBackoffMs ?? 500,
      capMs: this.opts.maxBackoffMs ?? 10_000,
      jitter: 0,
    });
    while (!this.disposed) {
      try {
        await this.connectOnce();
        backoff.reset();
        await this.untilLost();
      } catch (e) {
        const msg = safeError(e).message;
        this.opts.log.warn('relay connection failed', { error: msg });
        this.setState(this.info ? 'reconnecting' : 'offline', msg);
      }
      await this.closeClient();
      if (this.disposed) break;
      if (this.state === 'connected') this.setState('reconnecting', this.lastError);
      await this.sleep(backoff.next());
    }
    this.running = false;
  }

  private async connectOnce(): Promise<void> {
    const info = await this.opts.locate();
    if (!info) {
      this.info = undefined;
      throw new Error('no relay is running (relay.json is missing or its process is gone)');
    }
    this.info = info;
    registerSecret(info.operatorToken);
    if (this.state !== 'reconnecting') this.setState('connecting');
    const { Client, StreamableHTTPClientTransport, StreamableHTTPError, ResourceUpdatedNotificationSchema } =
      await loadMcpSdk();
    const transport = new StreamableHTTPClientTransport(new URL(`${info.url.replace(/\/+$/, '')}/mcp`), {
      requestInit: { headers: { 'X-API-Key': info.operatorToken } },
      reconnectionOptions: {
        initialReconnectionDelay: 500,
        maxReconnectionDelay: 5000,
        reconnectionDelayGrowFactor: 2,
        maxRetries: 3,
      },
    });
    const client = new Client({ name: 'agrenting-vscode', version: this.opts.version }, { capabilities: {} });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => this.scheduleRead(n.params.uri));
    client.onclose = () => this.lost?.();
    client.onerror = (e) => this.opts.log.debug('relay transport error', { error: e });
    try {
      await client.connect(transport);
    } catch (e) {
      if (e instanceof StreamableHTTPError && (e.code === 401 || e.code === 403)) {
        throw new Error(
          `the relay refused the operator token from relay.json (${e.code}); another relay may own the port. Run 'Agrenting: Restart Relay'.`,
        );
      }
      throw e;
    }
    this.client = client;
    for (const uri of Object.values(URI)) await client.subscribeResource({ uri });
    for (const uri of this.watchers.keys()) await this.followText(uri);
    await this.readAll();
    this.opts.log.info('connected to the relay', { url: info.url, pid: info.pid, version: info.version });
    this.setState('connected');
  }

  /** Resolves when the session is lost: closed, or a ping went unanswered. */
  private untilLost(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        const c = this.client;
        if (!c) return done();
        c.ping({ timeout: 5000 }).catch((e: unknown) => {
          this.lastError = safeError(e, 'the relay stopped answering').message;
          done();
        });
      }, this.opts.pingIntervalMs ?? 10_000);
      const done = () => {
        clearInterval(timer);
        this.lost = undefined;
        resolve();
      };
      this.lost = done;
    });
  }

  private async closeClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.onclose = undefined;
      await c.close().catch(() => undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /**
   * Follows a text resource (e.g. `run://<id>/log`): subscribes, reads it now and on every
   * change, and calls `listener` with its text. Survives reconnects; returns the way to stop.
   */
  watchText(uri: string, listener: (text: string) => void): () => void {
    let set = this.watchers.get(uri);
    const first = !set;
    if (!set) {
      set = new Set();
      this.watchers.set(uri, set);
    }
    set.add(listener);
    if (first) void this.followText(uri);
    else void this.readText(uri);
    return () => {
      const current = this.watchers.get(uri);
      if (!current?.delete(listener) || current.size > 0) return;
      this.watchers.delete(uri);
      void this.client?.unsubscribeResource({ uri }).catch(() => undefined);
    };
  }

  private async followText(uri: string): Promise<void> {
    const c = this.client;
    if (!c) return; // subscribed on the next connect
    try {
      await c.subscribeResource({ uri });
    } catch (e) {
      this.opts.log.debug('could not follow a relay resource', { uri, error: e });
    }
    await this.readText(uri);
  }

  private async readText(uri: string): Promise<void> {
    const c = this.client;
    const set = this.watchers.get(uri);
    if (!c || !set) return;
    try {
      const res = await c.readResource({ uri });
      const first = res.contents[0];
      const text = first && 'text' in first && typeof first.text === 'string' ? first.text : '';
      for (const l of this.watchers.get(uri) ?? []) l(text);
    } catch (e) {
      this.opts.log.debug('reading a followed relay resource failed', { uri, error: e });
    }
  }

  /** Coalesces bursts of resources/updated into one read per URI. */
  private scheduleRead(uri: string): void {
    if (this.pendingReads.has(uri)) return;
    this.pendingReads.set(
      uri,
      setTimeout(() => {
        this.pendingReads.delete(uri);
        if (this.watchers.has(uri)) {
          void this.readText(uri);
          return;
        }
        this.readOne(uri).catch((e: unknown) =>
          this.opts.log.warn('reading a relay resource failed', { uri, error: e }),
        );
      }, 50),
    );
  }

  private async readJson(uri: string): Promise<unknown> {
    const c = this.client;
    if (!c) throw new RelayNotConnectedError();
    const res = await c.readResource({ uri });
    const first = res.contents[0];
    if (!first || !('text' in first) || typeof first.text !== 'string') throw new Error(`${uri} returned no text`);
    return JSON.parse(first.text) as unknown;
  }

  private readonly readSeq = new Map<string, number>();

  private async readOne(uri: string): Promise<void> {
    if (uri !== URI.hirings && uri !== URI.reviewQueue && uri !== URI.status) {
      // hiring://{id} or hiring://pending: the full list carries the change.
      return this.readOne(URI.hirings);
    }
    // Two reads of one URI may overlap; only the newest request may write its answer.
    const seq = (this.readSeq.get(uri) ?? 0) + 1;
    this.readSeq.set(uri, seq);
    const raw = await this.readJson(uri);
    if (this.readSeq.get(uri) !== seq) return;
    if (uri === URI.hirings) {
      const r = parseHiringViews(raw);
      if (r.errors.length) {
        this.opts.log.warn('some hirings from the relay were unreadable', { errors: r.errors.join('; ') });
      }
      this.data = { ...this.data, hirings: r.items };
    } else if (uri === URI.reviewQueue) {
      const r = parseSubmissions(raw);
      if (r.errors.length) {
        this.opts.log.warn('some submissions from the relay were unreadable', { errors: r.errors.join('; ') });
      }
      this.data = { ...this.data, reviews: r.items };
    } else {
      const status = parseRelayStatus(raw);
      this.data = { ...this.data, status };
    }
    this.dataEvents.emit();
  }

  private listenerFailed(what: string, e: unknown): void {
    const where = e instanceof Error ? `${e.message} ${e.stack?.split('\n')[1]?.trim() ?? ''}` : String(e);
    this.opts.log.error(`a ${what} listener failed`, { error: where });
  }

  /** Re-reads every resource (on connect and on Refresh). */
  async readAll(): Promise<void> {
    for (const uri of Object.values(URI)) await this.readOne(uri);
  }

  /**
   * Calls a relay tool and returns its JSON result. Throws RelayToolError with the
   * relay's sentence when the tool fails, RelayNotConnectedError when offline.
   */
  async callTool<N extends RelayToolName>(
    name: N,
    args: RelayToolInput[N],
    onProgress?: (message: string) => void,
  ): Promise<unknown> {
    const c = this.client;
    if (!c || this.state !== 'connected') throw new RelayNotConnectedError(this.lastError);
    const { CallToolResultSchema } = await loadMcpSdk();
    const raw = await c.callTool({ name, arguments: args }, CallToolResultSchema, {
      timeout: this.opts.toolTimeoutMs ?? 120_000,
      resetTimeoutOnProgress: true,
      ...(onProgress
        ? {
            onprogress: (p: { message?: string; progress: number; total?: number }) =>
              onProgress(p.message ?? (p.total ? `${Math.round((100 * p.progress) / p.total)}%` : '')),
          }
        : {}),
    });
    const res = CallToolResultSchema.parse(raw);
    const text = res.content.map((c2) => (c2.type === 'text' ? c2.text : '')).join('\n');
    if (res.isError) throw new RelayToolError(redact(text || `The relay could not run ${name}.`));
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
}
