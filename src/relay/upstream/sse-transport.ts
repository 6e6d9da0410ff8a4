// MCP 2024-11-05 HTTP+SSE client transport, written for a session that must never
// die silently. Unlike the SDK's SSEClientTransport it never reconnects by itself
// (a reconnect without re-initializing loses the subscription), it has no body
// timeout (undici ends idle streams after 300 s), and every end or error of the
// stream is reported through onerror + onclose, exactly once.
// It implements the SDK Transport interface so any SDK-shaped consumer can sit on it.
//
// Why not the `eventsource` package (a WHATWG EventSource over fetch): it keeps fewer of the
// guarantees the fault suite and the upstream tests check. Its parser drops comments, so
// keep-alives would stop counting as activity for the link's watchdog; its fetch runs under
// undici's 300 s body timeout and without TCP keep-alive on the socket; a refused stream
// reaches it as a bare status, so the 401-vs-5xx split, the body in the error and the
// platform's Retry-After would each need a fetch wrapper re-reading the response; and its own
// reconnect would have to be cancelled from inside its error callback on every failure.
// eventsource-parser, which it wraps, does the one hard part and is used directly below.
import type http from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcMessage } from './jsonrpc';
import { AuthError, HttpError, SessionLostError, TimeoutError, describeBody, isUnreachable } from './errors';
import { httpModule, retryAfterMs, sendHttp } from './http';

/** How long messages from the stream are handled before other work gets a turn of the event loop (see `enqueue`). */
const TURN_BUDGET_MS = 4;
export interface SseTransportOptions {
  /** The SSE URL, e.g. `<base>/mcp/sse`. */
  url: URL;
  apiKey: string;
  /** Local agent name, for error messages. */
  agent: string;
  /** Budget for the stream to open and announce its endpoint. */
  connectTimeoutMs: number;
  /** Budget of each POST. */
  postTimeoutMs: number;
  /** Any inbound byte of life: an event or a keep-alive comment. */
  onActivity?: () => void;
}

export class SseTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  sessionId?: string;

  /** Why the transport closed; set before onclose runs. */
  closeReason?: Error;
  private endpoint?: URL;
  private request?: http.ClientRequest;
  private closed = false;
  private readonly posts = new Set<AbortController>();

  constructor(private readonly opts: SseTransportOptions) {}

  get endpointUrl(): URL | undefined {
    return this.endpoint;
  }

  get isOpen(): boolean {
    return !this.closed && this.endpoint !== undefined;
  }

  /** Opens the stream and resolves once the `endpoint` event arrived. */
  start(): Promise<void> {
    if (this.request) throw new Error('SseTransport already started');
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const fail = (err: Error) => {
        if (!started) {
          started = true;
          clearTimeout(timer);
          reject(err);
        }
        this.shutdown(err);
      };
      const timer = setTimeout(
        () =>
          fail(new SessionLostError(`the MCP stream sent no endpoint event within ${this.opts.connectTimeoutMs} ms`)),
        this.opts.connectTimeoutMs,
      );
      const onEvent = (ev: EventSourceMessage) => {
        this.opts.onActivity?.();
        if (ev.event === 'endpoint') {
          if (this.endpoint) return; // a second endpoint event changes nothing
          try {
            this.endpoint = this.resolveEndpoint(ev.data);
          } catch (e) {
            fail(e as Error);
            return;
          }
          // `/mcp/messages/<id>` (Agrenting) or `/messages?sessionId=<id>` (the SDK's servers).
          this.sessionId = this.endpoint.searchParams.get('sessionId') ?? this.endpoint.pathname.split('/').pop();
          started = true;
          clearTimeout(timer);
          resolve();
          return;
        }
        if (ev.event === undefined || ev.event === 'message') this.enqueue(ev.data);
      };
      const parser = createParser({
        onEvent,
        onComment: () => this.opts.onActivity?.(),
        onError: (e) => this.onerror?.(new Error(`malformed SSE line: ${e.message}`)),
      });
      const req = httpModule(this.opts.url).request(this.opts.url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'cache-control': 'no-cache', 'x-api-key': this.opts.apiKey },
      });
      this.request = req;
      req.on('socket', (s) => s.setKeepAlive(true, 15_000));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            fail(
              status === 401
                ? new AuthError(this.opts.agent)
                : new HttpError(status, body, retryAfterMs(res.headers), 'GET /mcp/sse'),
            );
          });
          res.on('error', (e) => fail(e));
          return;
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!type.includes('text/event-stream')) {
          fail(new SessionLostError(`GET /mcp/sse answered ${type || 'no content type'} instead of text/event-stream`));
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('end', () => fail(new SessionLostError('the MCP stream ended')));
        res.on('aborted', () => fail(new SessionLostError('the MCP stream was cut')));
        res.on('error', (e) => fail(new SessionLostError(`the MCP stream failed: ${e.message}`)));
        res.on('close', () => fail(new SessionLostError('the MCP stream closed')));
      });
      req.on('error', (e) =>
        fail(new SessionLostError(`cannot open the MCP stream: ${e.message}`, { unreachable: isUnreachable(e) })),
      );
      req.end();
    });
  }

  /**
   * POSTs one message to the session endpoint. A 200 answer with a JSON-RPC body is
   * handed to onmessage too (the same response may also come on the stream: the
   * consumer dedupes by id). 404/410 mean the session is gone: the transport closes.
   */
  async send(message: JSONRPCMessage): Promise<void> {
    const endpoint = this.endpoint;
    if (this.closed || !endpoint) throw new SessionLostError('the MCP session is closed');
    const ctl = new AbortController();
    this.posts.add(ctl);
    try {
      const answer = await sendHttp({
        method: 'POST',
        url: endpoint,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'x-api-key': this.opts.apiKey,
        },
        body: JSON.stringify(message),
        timeoutMs: this.opts.postTimeoutMs,
        signal: ctl.signal,
        what: `POST ${endpoint.pathname}`,
      });
      if (answer.status === 404 || answer.status === 410) {
        const err = new SessionLostError(
          `the platform no longer knows this MCP session (${answer.status}${describeBody(answer.body)})`,
        );
        this.shutdown(err);
        throw err;
      }
      if (answer.status === 401) throw new AuthError(this.opts.agent);
      if (answer.status < 200 || answer.status >= 300) {
        throw new HttpError(answer.status, answer.body, retryAfterMs(answer.headers), `POST ${endpoint.pathname}`);
      }
      if (answer.body.trim() && String(answer.headers['content-type'] ?? '').includes('json')) {
        this.receive(answer.body);
      }
    } catch (e) {
      if (this.closed && !(e instanceof SessionLostError) && !(e instanceof TimeoutError)) {
        throw new SessionLostError('the MCP session closed during the request');
      }
      throw e;
    } finally {
      this.posts.delete(ctl);
    }
  }

  async close(): Promise<void> {
    this.shutdown(new SessionLostError('closed by the relay'));
  }

  private resolveEndpoint(data: string): URL {
    const url = new URL(data.trim(), this.opts.url);
    // The key travels with every POST: never send it to another origin.
    if (url.origin !== this.opts.url.origin) {
      throw new SessionLostError(
        `the MCP endpoint ${url.origin} is not on ${this.opts.url.origin}; refusing to send the agent key there`,
      );
    }
    return url;
  }

  /**
   * Messages off the stream wait here and are handed on for at most TURN_BUDGET_MS per turn of
   * the event loop. A burst (the platform probes 1 000 new hirings with 1 000 pings in one
   * chunk) would otherwise hold the loop for the whole batch, and every other agent's ping,
   * and every client, would wait behind it.
   */
  private inbox: string[] = [];
  private inboxHead = 0;
  private draining = false;

  private enqueue(data: string): void {
    this.inbox.push(data);
    if (this.draining) return;
    // After the rest of this chunk is parsed (a microtask: no I/O waits in between).
    this.draining = true;
    queueMicrotask(() => this.drainInbox());
  }

  private drainInbox(): void {
    this.draining = true;
    const until = performance.now() + TURN_BUDGET_MS;
    while (this.inboxHead < this.inbox.length && !this.closed) {
      if (performance.now() > until) {
        setImmediate(() => this.drainInbox());
        return;
      }
      const data = this.inbox[this.inboxHead++];
      try {
        this.receive(data);
      } catch (e) {
        // A handler that throws must not stop the drain: every later message would wait here for ever.
        this.reportError(e);
      }
    }
    this.inbox = [];
    this.inboxHead = 0;
    this.draining = false;
  }

  private reportError(e: unknown): void {
    try {
      this.onerror?.(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // the error handler itself failed: nothing more to tell
    }
  }

  /** Parses one JSON-RPC message (or a batch) and hands it on. */
  private receive(data: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.onerror?.(new Error(`the platform sent a message that is not JSON: ${data.slice(0, 80)}`));
      return;
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (isJsonRpcMessage(item)) this.onmessage?.(item);
      else this.onerror?.(new Error(`the platform sent a message that is not JSON-RPC: ${data.slice(0, 80)}`));
    }
  }

  /** Ends everything once: the stream, in-flight POSTs; then onerror + onclose. */
  private shutdown(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.request?.destroy();
    for (const ctl of this.posts) ctl.abort();
    this.posts.clear();
    this.onerror?.(reason);
    this.onclose?.();
  }
}
