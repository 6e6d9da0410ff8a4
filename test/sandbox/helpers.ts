// Test helpers for the sandbox: a quiet sandbox with short budgets, the
// official MCP SDK client over SSE, a raw HTTP+SSE client (to see exactly what
// goes over the wire), a webhook receiver, and waiting on conditions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createParser } from 'eventsource-parser';
import { memoryLogger } from '../../src/shared/log';
import { startSandbox, type Knobs, type Sandbox } from '../../src/sandbox/index';
import { waitFor } from '../support/wait';

/** Short budgets and no rate limit unless a test asks for them. */
export const FAST_KNOBS: Partial<Knobs> = {
  probeBudgetMs: 1500,
  headProbeBudgetMs: 1000,
  rateLimitPerMinute: 0,
  webhookBackoffMs: 20,
  webhookRetries: 4,
  webhookTimeoutMs: 2000,
};

export async function testSandbox(knobs: Partial<Knobs> = {}): Promise<Sandbox & { logLines: string[] }> {
  const log = memoryLogger('sandbox');
  const sandbox = await startSandbox({ knobs: { ...FAST_KNOBS, ...knobs }, log });
  return Object.assign(sandbox, { logLines: log.lines });
}

export type HeaderForm = 'x-api-key' | 'api-key' | 'bearer' | 'apikey';

export function authHeaders(key: string, form: HeaderForm = 'x-api-key'): Record<string, string> {
  switch (form) {
    case 'x-api-key':
      return { 'X-API-Key': key };
    case 'api-key':
      return { 'Api-Key': key };
    case 'bearer':
      return { Authorization: `Bearer ${key}` };
    case 'apikey':
      return { Authorization: `ApiKey ${key}` };
  }
}

export interface SdkAgent {
  client: Client;
  updates: string[];
  close(): Promise<void>;
}

/** The official SDK client, the key passed in requestInit headers and in the EventSource fetch. */
export async function sdkAgent(sandbox: Sandbox, key: string, form: HeaderForm = 'x-api-key'): Promise<SdkAgent> {
  const headers = authHeaders(key, form);
  const transport = new SSEClientTransport(new URL(`${sandbox.url}/mcp/sse`), {
    requestInit: { headers },
    eventSourceInit: {
      fetch: (url, init) =>
        fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
    },
  });
  const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
  const updates: string[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  await client.connect(transport);
  return { client, updates, close: () => client.close() };
}

export interface SseEvent {
  event: string;
  data: string;
}

/** A raw HTTP+SSE MCP client: records every event and comment, posts by hand. */
export class RawSession {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  raw = '';
  ended = false;
  endpoint = '';
  private nextId = 1;
  private readonly abort = new AbortController();

  private constructor(
    readonly baseUrl: string,
    readonly headers: Record<string, string>,
  ) {}

  static async open(baseUrl: string, headers: Record<string, string>): Promise<RawSession> {
    const s = new RawSession(baseUrl, headers);
    const res = await fetch(`${baseUrl}/mcp/sse`, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: s.abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`SSE open failed: ${res.status} ${await res.text()}`);
    const parser = createParser({
      onEvent: (e) => s.events.push({ event: e.event ?? 'message', data: e.data }),
      onComment: (c) => s.comments.push(c.trim()),
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const text = decoder.decode(value, { stream: true });
          s.raw += text;
          parser.feed(text);
        }
      } catch {
        // aborted or destroyed: both end the stream
      }
      s.ended = true;
    })();
    const ep = await waitFor('endpoint event', () => s.events.find((e) => e.event === 'endpoint'));
    s.endpoint = ep.data;
    return s;
  }

  get postUrl(): string {
    return new URL(this.endpoint, `${this.baseUrl}/mcp/sse`).toString();
  }

  get sessionId(): string {
    return this.postUrl.split('/').pop() ?? '';
  }

  messages(): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as Record<string, unknown>);
  }

  post(body: unknown, headers: Record<string, string> = this.headers): Promise<Response> {
    return fetch(this.postUrl, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** Sends a request; returns the HTTP answer and the response that came over the stream. */
  async request(
    method: string,
    params?: Record<string, unknown>,
  ): Promise<{ http: Response; body: string; result: Record<string, unknown> }> {
    const id = this.nextId++;
    const http = await this.post({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    const body = await http.text();
    const result = await waitFor(`response ${id} to ${method}`, () =>
      this.messages().find((m) => m.id === id && !('method' in m)),
    );
    return { http, body, result };
  }

  async handshake(
    initialized: 'notifications/initialized' | 'initialized' = 'notifications/initialized',
  ): Promise<Record<string, unknown>> {
    const init = await this.request('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    });
    const note = await this.post({ jsonrpc: '2.0', method: initialized });
    if (note.status !== 202) throw new Error(`initialized answered ${note.status}`);
    return init.result;
  }

  close(): void {
    this.abort.abort();
  }
}

export interface Receiver {
  url: string;
  requests: { method: string; headers: IncomingMessage['headers']; body: string }[];
  /** Status to answer the n-th POST (1-based); default 200. */
  statusFor: (n: number) => number;
  close(): Promise<void>;
}

/** A local webhook receiver that also answers the HEAD probe. */
export async function receiver(statusFor: (n: number) => number = () => 200, headStatus = 200): Promise<Receiver> {
  const r: Receiver = { url: '', requests: [], statusFor, close: async () => undefined };
  let posts = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      r.requests.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      if (req.method === 'HEAD') return void res.writeHead(headStatus).end();
      posts += 1;
      res.writeHead(r.statusFor(posts), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return r;
}

export async function rest(
  sandbox: Sandbox,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'X-API-Key': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

export function toolText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join('');
}

/** The JSON text of the first item of a resources/read result. */
export function resourceJson<T = unknown>(result: { contents: ({ text: string } | { blob: string })[] }): T {
  const first = result.contents[0];
  if (!first || !('text' in first)) throw new Error('resource has no text item');
  return JSON.parse(first.text) as T;
}
