// The legacy HTTP+SSE transport (MCP 2024-11-05) with Agrenting's path shapes:
// `GET /mcp/sse` opens the stream, whose first event names `/mcp/messages/<id>`;
// each POST there is answered 200 with the JSON-RPC response in the body AND the
// same response on the stream. The SDK's SSEServerTransport answers 202, which
// the Agrenting tutorial's client (it reads the POST body) cannot use; the SDK's
// own SSE client ignores POST bodies, so sending both serves every client.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  JSONRPCMessageSchema,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export interface LegacySseOptions {
  /** Interval of `: keepalive` comments on the stream; 0 turns them off. */
  keepAliveMs: number;
  /** A client that lets this much pile up unread is treated as gone. */
  maxBufferedBytes: number;
  /** The path the endpoint event announces, given the session id. */
  endpointFor: (sessionId: string) => string;
  /** Told when the client let maxBufferedBytes pile up; the session closes right after. */
  onStalled: (bytesWaiting: number) => void;
}

/** What to answer to one POST. */
export interface PostAnswer {
  status: number;
  body?: unknown;
}

type Waiter = (response: JSONRPCMessage) => void;

const keyOf = (id: RequestId) => `${typeof id}:${String(id)}`;

function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  // id null is how JSON-RPC answers a request whose id could not be read
  return { jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage;
}

export class LegacySseTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private closed = false;
  private keepAlive?: ReturnType<typeof setInterval>;
  /** POSTs waiting for the response to the request they carried, by request id. */
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: LegacySseOptions,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.on('close', () => void this.close());
    this.res.on('error', (err) => this.onerror?.(err));
    this.write(`event: endpoint\ndata: ${this.opts.endpointFor(this.sessionId)}\n\n`);
    if (this.opts.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.write(': keepalive\n\n'), this.opts.keepAliveMs);
      this.keepAlive.unref();
    }
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error('Not connected: the SSE stream of this session is closed');
    let answeredPost = false;
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) answeredPost = this.answer(message.id, message);
    }
    const onStream = this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    if (!onStream && !answeredPost) throw new Error('Not connected: the SSE stream of this session is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    for (const [key, waiters] of this.waiting) {
      const id = key.startsWith('number:') ? Number(key.slice(7)) : key.slice(7);
      for (const w of waiters) {
        w(
          errorResponse(
            id,
            ErrorCode.ConnectionClosed,
            'The session closed before the request was answered; reconnect to /mcp/sse.',
          ),
        );
      }
    }
    this.waiting.clear();
    if (!this.res.writableEnded) this.res.end();
    this.onclose?.();
  }

  /**
   * Takes one POSTed body (already JSON-parsed): hands its messages to the server and resolves with
   * what the POST answers — 200 with the response(s) when it carried requests, 202 otherwise.
   */
  async handlePost(body: unknown, extra?: MessageExtraInfo): Promise<PostAnswer> {
    if (this.closed) {
      return {
        status: 404,
        body: errorResponse(
          null,
          ErrorCode.ConnectionClosed,
          'This session is closed; open a new one with GET /mcp/sse.',
        ),
      };
    }
    const batch = Array.isArray(body);
    const items: unknown[] = batch ? body : [body];
    if (items.length === 0) {
      return { status: 400, body: errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request: empty batch') };
    }
    const messages: JSONRPCMessage[] = [];
    for (const item of items) {
      const parsed = JSONRPCMessageSchema.safeParse(item);
      if (!parsed.success) {
        const id = typeof item === 'object' && item !== null && 'id' in item ? (item as { id: unknown }).id : null;
        const safeId = typeof id === 'string' || typeof id === 'number' ? id : null;
        return {
          status: 400,
          body: errorResponse(
            safeId,
            ErrorCode.InvalidRequest,
            'Invalid Request: not a JSON-RPC 2.0 message (it needs "jsonrpc": "2.0" and a "method", or a "result"/"error" with an "id").',
          ),
        };
      }
      messages.push(parsed.data);
    }
    const answers: Promise<JSONRPCMessage>[] = [];
    for (const m of messages) {
      if (isJSONRPCRequest(m)) answers.push(this.waitFor(m.id));
    }
    for (const m of messages) {
      if (isJSONRPCNotification(m) && m.method === 'notifications/cancelled') this.cancelWaiter(m.params);
      this.onmessage?.(m, extra);
    }
    if (answers.length === 0) return { status: 202 };
    const responses = await Promise.all(answers);
    return { status: 200, body: batch ? responses : responses[0] };
  }

  private waitFor(id: RequestId): Promise<JSONRPCMessage> {
    return new Promise((resolve) => {
      const key = keyOf(id);
      const list = this.waiting.get(key) ?? [];
      list.push(resolve);
      this.waiting.set(key, list);
    });
  }

  /** Resolves the oldest POST waiting for this id; false when none was waiting. */
  private answer(id: RequestId, message: JSONRPCMessage): boolean {
    const key = keyOf(id);
    const list = this.waiting.get(key);
    const w = list?.shift();
    if (list && list.length === 0) this.waiting.delete(key);
    w?.(message);
    return w !== undefined;
  }

  /** A cancelled request gets no response from the server, so its POST is answered here. */
  private cancelWaiter(params: unknown): void {
    const id = (params as { requestId?: unknown } | undefined)?.requestId;
    if (typeof id !== 'string' && typeof id !== 'number') return;
    this.answer(id, errorResponse(id, ErrorCode.RequestTimeout, 'Request cancelled by the client.'));
  }

  /** Writes one SSE frame; false when the client is gone or has stopped reading (then the session ends). */
  private write(frame: string): boolean {
    if (this.closed) return false;
    if (this.res.writableEnded || this.res.destroyed) {
      void this.close();
      return false;
    }
    if (this.res.writableLength > this.opts.maxBufferedBytes) {
      this.opts.onStalled(this.res.writableLength);
      // Destroyed, not ended: an end would keep every unread byte until the client read it.
      this.res.destroy();
      void this.close();
      return false;
    }
    this.res.write(frame);
    return true;
  }
}
