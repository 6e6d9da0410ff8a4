// One MCP session with the platform, from the SSE GET to its end: initialize,
// subscribe to hiring://pending, client heartbeat. A session never repairs
// itself: any sign of death closes it and reports onLost once; the link opens a
// new one. That is the whole point of not using the SDK's self-reconnecting client.
import { CallToolResultSchema, GetPromptResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../shared/log';
import { MCP_PROTOCOL_VERSION, PENDING_URI } from '../../shared/protocol';
import { RpcError, SessionLostError } from './errors';
import { startHeartbeat } from './heartbeat';
import { RpcSession } from './rpc';
import { SseTransport } from './sse-transport';
import type { LinkTiming } from './timing';
import { RELAY_VERSION } from '../../shared/version';

export const CLIENT_INFO = { name: 'agrenting-relay', version: RELAY_VERSION };

export interface McpSessionOptions {
  agent: string;
  sseUrl: URL;
  apiKey: string;
  timing: LinkTiming;
  log: Logger;
  /** A `notifications/resources/updated` for this URI arrived (a signal, never data). */
  onResourceUpdated: (uri: string) => void;
  /** Any inbound event or keep-alive. */
  onActivity: () => void;
  /** Aborting closes a session that is still opening (the link is stopping). */
  signal?: AbortSignal;
  /** The session died after it was established. Called at most once. */
  onLost: (err: Error) => void;
}

export class McpSession {
  private stopHeartbeat?: () => void;
  private lostReason?: Error;
  private established = false;

  private constructor(
    private readonly opts: McpSessionOptions,
    private readonly transport: SseTransport,
    private readonly rpc: RpcSession,
  ) {}

  /** Opens, initializes and subscribes. Throws (with everything closed) when any step fails. */
  static async open(opts: McpSessionOptions): Promise<McpSession> {
    const transport = new SseTransport({
      url: opts.sseUrl,
      apiKey: opts.apiKey,
      agent: opts.agent,
      connectTimeoutMs: opts.timing.connectTimeoutMs,
      postTimeoutMs: opts.timing.requestTimeoutMs,
      onActivity: opts.onActivity,
    });
    // onerror must be set before RpcSession wraps it.
    transport.onerror = (err) => {
      if (!(err instanceof SessionLostError)) opts.log.warn('MCP transport', { error: err.message });
    };
    const rpc = new RpcSession(transport, opts.log);
    const session = new McpSession(opts, transport, rpc);
    const rpcOnClose = transport.onclose;
    transport.onclose = () => {
      rpcOnClose?.();
      session.markLost(transport.closeReason ?? new SessionLostError('the MCP session closed'));
    };
    rpc.onNotification = (n) => {
      if (n.method === 'notifications/resources/updated') {
        const uri = (n.params as { uri?: unknown } | undefined)?.uri;
        if (typeof uri === 'string') opts.onResourceUpdated(uri);
      }
    };
    const abort = () => void transport.close();
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (opts.signal?.aborted) throw new SessionLostError('the link is stopping');
      await transport.start();
      await session.handshake();
    } catch (e) {
      await transport.close();
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', abort);
    }
    return session;
  }

  get sessionId(): string | undefined {
    return this.transport.sessionId;
  }

  get endpoint(): URL | undefined {
    return this.transport.endpointUrl;
  }

  get alive(): boolean {
    return this.established && !this.lostReason;
  }

  /** Server pings this session answered. */
  get pingsAnswered(): number {
    return this.rpc.pingsAnswered;
  }

  private async handshake(): Promise<void> {
    const t = this.opts.timing.requestTimeoutMs;
    const init = await this.rpc.request(
      'initialize',
      { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
      t,
    );
    if (init.protocolVersion !== MCP_PROTOCOL_VERSION) {
      this.opts.log.warn('the platform answered another MCP protocol version', {
        version: String(init.protocolVersion),
      });
    }
    await this.rpc.notify('notifications/initialized');
    await this.rpc.request('resources/subscribe', { uri: PENDING_URI }, t);
    // The stream may have ended in the same breath as the last answer ('end' runs
    // before the await resumes): such a session never counts as established.
    if (this.lostReason) throw this.lostReason;
    this.established = true;
    this.stopHeartbeat = startHeartbeat({
      intervalMs: this.opts.timing.pingIntervalMs,
      ping: async () => {
        try {
          await this.rpc.request('ping', undefined, this.opts.timing.pingTimeoutMs);
        } catch (e) {
          // Any JSON-RPC answer, even an error, proves the session is alive.
          if (!(e instanceof RpcError)) throw e;
        }
      },
      onDead: (err) => {
        void this.close(new SessionLostError(`the platform did not answer a ping: ${err.message}`));
      },
    });
  }

  async readText(uri: string): Promise<string> {
    const raw = await this.rpc.request('resources/read', { uri }, this.opts.timing.requestTimeoutMs);
    // By shape, not with the SDK's schema: this answer carries the whole pending list, read on every notification.
    const contents = (raw as { contents?: unknown }).contents;
    if (!Array.isArray(contents)) throw new Error(`resources/read ${uri}: the answer is not a resource`);
    for (const c of contents as unknown[]) {
      const text = c !== null && typeof c === 'object' ? (c as { text?: unknown }).text : undefined;
      if (typeof text === 'string') return text;
    }
    throw new Error(`resources/read ${uri}: no text content`);
  }

  /** The idempotency key rides in `_meta` (MCP's slot for out-of-band data); a server that ignores it loses nothing. */
  async callTool(name: string, args: Record<string, unknown>, idempotencyKey?: string): Promise<CallToolResult> {
    const params = { name, arguments: args, ...(idempotencyKey ? { _meta: { idempotency_key: idempotencyKey } } : {}) };
    const raw = await this.rpc.request('tools/call', params, this.opts.timing.requestTimeoutMs);
    const r = CallToolResultSchema.safeParse(raw);
    if (!r.success) throw new Error(`tools/call ${name}: the answer is not a tool result`);
    return r.data;
  }

  async prompt(name: string): Promise<string> {
    const raw = await this.rpc.request('prompts/get', { name }, this.opts.timing.requestTimeoutMs);
    const r = GetPromptResultSchema.safeParse(raw);
    if (!r.success) throw new Error(`prompts/get ${name}: the answer is not a prompt`);
    return r.data.messages.flatMap((m) => (m.content.type === 'text' ? [m.content.text] : [])).join('\n\n');
  }

  /** Closes the session; reports onLost with the reason if it was established. */
  async close(reason: Error = new SessionLostError('closed by the relay')): Promise<void> {
    this.markLost(reason);
    await this.transport.close();
  }

  private markLost(err: Error): void {
    this.stopHeartbeat?.();
    if (this.lostReason) return;
    this.lostReason = err;
    if (this.established) this.opts.onLost(err);
  }
}
