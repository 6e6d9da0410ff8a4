// Test helpers: a server around the fake core, SDK clients on both transports,
// and a raw "tutorial-style" SSE client that reads answers from POST bodies.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { memoryLogger } from '../../src/shared/log';
import { startDownstreamServer, type DownstreamServer, type DownstreamServerOptions } from '../../src/relay/downstream';
import { FakeRelayCore } from './fake-core';
import { waitFor } from '../support/wait';

export const TOKENS = {
  operator: 'op-token-1234567890',
  workers: { alpha: 'alpha-token-1234567890', beta: 'beta-token-1234567890' },
};

export interface TestRelay {
  core: FakeRelayCore;
  server: DownstreamServer;
  log: ReturnType<typeof memoryLogger>;
}

export async function startTestRelay(extra: Partial<DownstreamServerOptions> = {}): Promise<TestRelay> {
  const core = new FakeRelayCore();
  const log = memoryLogger('downstream');
  const server = await startDownstreamServer({ core, port: 0, tokens: TOKENS, log, keepAliveMs: 0, ...extra });
  return { core, server, log };
}

export interface TestClient {
  client: Client;
  updates: string[];
  errors: Error[];
  close(): Promise<void>;
}

async function wire(
  client: Client,
  transport: StreamableHTTPClientTransport | SSEClientTransport,
): Promise<TestClient> {
  const updates: string[] = [];
  const errors: Error[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  const close = async () => {
    // A Streamable HTTP session lives until DELETE; end it as a well-behaved client does.
    if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined);
    await client.close();
  };
  return { client, updates, errors, close };
}

export function streamableClient(url: string, headers: Record<string, string>): Promise<TestClient> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  return wire(new Client({ name: 'test-streamable', version: '1.0.0' }), transport);
}

export function sseClient(url: string, headers: Record<string, string>): Promise<TestClient> {
  const transport = new SSEClientTransport(new URL(`${url}/mcp/sse`), { requestInit: { headers } });
  return wire(new Client({ name: 'test-sse', version: '1.0.0' }), transport);
}

export const key = (token: string) => ({ 'X-API-Key': token });

/** A hand-written client in the style of the Agrenting tutorial: raw GET /mcp/sse, raw POSTs. */
export class RawSseClient {
  readonly events: EventSourceMessage[] = [];
  readonly comments: string[] = [];
  endpoint?: string;
  status?: number;
  private req?: ClientRequest;
  private res?: IncomingMessage;
  private nextId = 1;

  constructor(
    private readonly base: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Opens the stream and waits for the endpoint event. */
  async open(): Promise<void> {
    const parser = createParser({
      onEvent: (e) => {
        this.events.push(e);
        if (e.event === 'endpoint') this.endpoint = e.data;
      },
      onComment: (c) => this.comments.push(c),
    });
    await new Promise<void>((resolve, reject) => {
      this.req = request(
        `${this.base}/mcp/sse`,
        { headers: { Accept: 'text/event-stream', ...this.headers } },
        (res) => {
          this.res = res;
          this.status = res.statusCode;
          res.setEncoding('utf8');
          res.on('data', (d: string) => parser.feed(d));
          res.on('error', () => undefined);
          resolve();
        },
      );
      this.req.on('error', reject);
      this.req.end();
    });
    if (this.status === 200) await waitFor('the endpoint event', () => this.endpoint);
  }

  /** Stops reading the stream (a stalled client): the socket stays open, nothing is consumed. */
  stall(): void {
    this.res?.pause();
    this.res?.socket.pause();
  }

  /** Drops the connection abruptly. */
  kill(): void {
    this.req?.destroy();
    this.res?.destroy();
  }

  messages(): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as Record<string, unknown>);
  }

  async post(
    body: unknown,
    headers: Record<string, string> = this.headers,
  ): Promise<{ status: number; body: unknown; text: string }> {
    if (!this.endpoint) throw new Error('not connected');
    const res = await fetch(new URL(this.endpoint, this.base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text };
  }

  /** Sends a request and returns the JSON-RPC response read from the POST body, as the tutorial does. */
  async call(
    method: string,
    params?: Record<string, unknown>,
  ): Promise<{ id: number; result?: Record<string, unknown>; error?: { code: number; message: string } }> {
    const id = this.nextId++;
    const answer = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    if (answer.status !== 200) throw new Error(`POST ${method} answered ${answer.status}: ${answer.text}`);
    return answer.body as { id: number; result?: Record<string, unknown>; error?: { code: number; message: string } };
  }

  async notify(method: string): Promise<number> {
    return (await this.post({ jsonrpc: '2.0', method })).status;
  }

  close(): void {
    this.kill();
  }
}

/** Plain HTTP request with full control over headers (Host, Origin). */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const isStream = String(res.headers['content-type'] ?? '').includes('text/event-stream');
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
        if (isStream) {
          // an SSE stream never ends by itself: the first bytes are enough for these checks
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', () => undefined);
    });
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function initializeBody(protocolVersion = '2024-11-05', id = 1): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'tutorial-client', version: '0.0.1' } },
  };
}

export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

export function jsonOf<T = unknown>(result: unknown): T {
  return JSON.parse(textOf(result)) as T;
}

export function resourceJson<T = unknown>(result: { contents: object[] }): T {
  const first = result.contents[0] as { text?: unknown } | undefined;
  return JSON.parse(String(first?.text)) as T;
}
