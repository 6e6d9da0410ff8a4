// One agent's MCP session over HTTP+SSE: the open event stream, its
// subscriptions, and the server-initiated requests (ping) waiting for the
// answer the client POSTs back. Faults (a frame cut in half, duplicated
// notifications) are injected here, where a real network would do them.
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Knobs } from './knobs';
import type { FaultDice } from './limits';

type RequestId = string | number;

interface Waiter {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class SessionClosedError extends Error {}

export interface SessionDeps {
  knobs: Knobs;
  dropDice: FaultDice;
  duplicateDice: FaultDice;
  onClosed: (session: McpSession, reason: string) => void;
}

export class McpSession {
  readonly openedAt = new Date();
  lastSeenAt = new Date();
  initialized = false;
  readonly subscriptions = new Set<string>();
  private readonly waiting = new Map<RequestId, Waiter>();
  private nextRequestId = 1;
  private closed = false;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly id: string,
    readonly agentId: string,
    private readonly res: ServerResponse,
    private readonly deps: SessionDeps,
  ) {
    res.on('close', () => this.finish('stream closed by the client'));
  }

  get alive(): boolean {
    return !this.closed && !this.res.destroyed && !this.res.writableEnded;
  }

  /** Writes one SSE event; the drop-stream fault writes half of it and destroys the socket. */
  writeEvent(event: string, data: string): boolean {
    if (!this.alive) return false;
    const frame = `event: ${event}\ndata: ${data}\n\n`;
    if (event === 'message' && this.deps.dropDice.roll(this.deps.knobs.faultDropStreamRate)) {
      // Destroy only once the half frame has reached the socket, so the client really sees it cut.
      this.res.write(frame.slice(0, Math.max(1, Math.floor(frame.length / 2))), () => this.res.destroy());
      this.finish('fault: stream dropped mid-event');
      return false;
    }
    this.res.write(frame);
    return true;
  }

  comment(text: string): void {
    if (this.alive) this.res.write(`: ${text}\n\n`);
  }

  send(message: JSONRPCMessage): boolean {
    return this.writeEvent('message', JSON.stringify(message));
  }

  notify(method: string, params?: Record<string, unknown>): void {
    const note: JSONRPCNotification = { jsonrpc: '2.0', method, ...(params ? { params } : {}) };
    if (!this.send(note)) return;
    if (this.deps.duplicateDice.roll(this.deps.knobs.faultDuplicateNotificationRate)) this.send(note);
  }

  /** Sends a server → client request and waits for the POSTed answer. */
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    const id = `srv-${this.nextRequestId++}`;
    const message: JSONRPCRequest = { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      if (!this.send(message)) {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(new SessionClosedError(`session ${this.id} is closed`));
      }
    });
  }

  /** A response POSTed by the client. False when nobody was waiting for it. */
  answer(id: RequestId, result: unknown, error?: { code: number; message: string }): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (error) w.reject(new Error(`client answered ${error.code}: ${error.message}`));
    else w.resolve(result);
    return true;
  }

  touch(): void {
    this.lastSeenAt = new Date();
  }

  /** (Re)arms a named timer; the session owns it and clears it on close. */
  setTimer(name: string, ms: number, fn: () => void, repeat: boolean): void {
    this.clearTimer(name);
    if (this.closed) return;
    const t = repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
    t.unref();
    this.timers.set(name, t);
  }

  clearTimer(name: string): void {
    const t = this.timers.get(name);
    if (t) {
      clearTimeout(t);
      this.timers.delete(name);
    }
  }

  /** Ends the stream cleanly (session expiry "drop", dropSessions, shutdown). */
  end(reason: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.end();
    this.finish(reason);
  }

  /** Forgets the session but leaves the stream hanging silent, as a server that lost it would. */
  detach(reason: string): void {
    this.finish(reason);
  }

  /** Destroys the socket (shutdown of a detached session). */
  destroy(): void {
    this.res.destroy();
    this.finish('destroyed');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new SessionClosedError(`session closed: ${reason}`));
    }
    this.waiting.clear();
    this.deps.onClosed(this, reason);
  }
}
