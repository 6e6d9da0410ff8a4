// Request/response bookkeeping for one MCP session, on top of any SDK Transport.
//
// Why not the SDK's Client: it always sends its newest protocolVersion (the platform
// documents 2024-11-05 only), defaults requests to 60 s, and reports a response that
// arrives twice (POST body and stream, §1 step 4) as an error. This layer is small:
// a map of pending ids (a second response for an id is dropped — that is the dedupe),
// per-request timeouts, and server requests answered at once on their own path.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../shared/log';
import { AuthError, HttpError, RpcError, SessionLostError, TimeoutError } from './errors';
import { classifyMessage } from './jsonrpc';

const METHOD_NOT_FOUND = -32601;

interface Pending {
  method: string;
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RpcSession {
  private nextId = 1;
  private readonly pending = new Map<string | number, Pending>();
  private closedWith?: Error;
  /** Notifications from the server (e.g. notifications/resources/updated). */
  onNotification?: (n: JSONRPCNotification) => void;
  /** Every server ping that was answered (for status and tests). */
  pingsAnswered = 0;

  constructor(
    private readonly transport: Transport,
    private readonly log: Logger,
  ) {
    transport.onmessage = (msg) => this.dispatch(msg);
    transport.onclose = () => this.failAll(this.closedWith ?? new SessionLostError('the MCP session closed'));
    const previous = transport.onerror;
    transport.onerror = (err) => {
      if (err instanceof SessionLostError) this.closedWith = err;
      previous?.(err);
    };
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`MCP ${method}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      const msg: JSONRPCRequest = { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
      this.transport.send(msg).catch((err: Error) => this.settle(id, err));
    });
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    await this.transport.send({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
  }

  private dispatch(message: JSONRPCMessage): void {
    const c = classifyMessage(message);
    if (c?.kind === 'request') {
      this.answerServerRequest(c.msg);
    } else if (c?.kind === 'notification') {
      try {
        this.onNotification?.(c.msg);
      } catch (e) {
        this.log.warn('notification handler failed', { method: c.msg.method, error: (e as Error).message });
      }
    } else if (c?.kind === 'result') {
      this.settle(c.msg.id, undefined, c.msg.result);
    } else if (c?.kind === 'error') {
      const { id, error } = c.msg;
      if (id === undefined || id === null) {
        this.log.warn('the platform sent an error without an id', { code: error.code, message: error.message });
        return;
      }
      this.settle(id, new RpcError(error.code, error.message, error.data));
    }
  }

  /**
   * Answers a server request right away. Pings have a 3 s budget on the platform:
   * the answer is its own POST, never queued behind a slow read or tool call.
   */
  private answerServerRequest(req: JSONRPCRequest): void {
    const answer: JSONRPCMessage =
      req.method === 'ping'
        ? { jsonrpc: '2.0', id: req.id, result: {} }
        : { jsonrpc: '2.0', id: req.id, error: { code: METHOD_NOT_FOUND, message: `Method not found: ${req.method}` } };
    const acknowledged = () => {
      if (req.method === 'ping') this.pingsAnswered += 1;
    };
    this.transport.send(answer).then(acknowledged, (err: Error) => {
      // A pooled keep-alive socket the server already closed fails at once; one fresh
      // attempt still fits the 3 s budget. A dead session or an HTTP refusal is final.
      if (err instanceof SessionLostError || err instanceof HttpError || err instanceof AuthError || this.closedWith) {
        this.log.warn('could not answer a server request', { method: req.method, error: err.message });
        return;
      }
      this.transport
        .send(answer)
        .then(acknowledged, (again: Error) =>
          this.log.warn('could not answer a server request', { method: req.method, error: again.message }),
        );
    });
  }

  private settle(id: string | number, err?: Error, result?: Record<string, unknown>): void {
    const p = this.pending.get(id);
    if (!p) {
      // Already answered (the POST body and the stream both carry it), or timed out.
      this.log.debug('dropped a response for no pending request', { id });
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(result ?? {});
  }

  private failAll(err: Error): void {
    this.closedWith ??= err;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
