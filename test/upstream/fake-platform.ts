// A minimal, fully scriptable stand-in for the platform's MCP HTTP+SSE surface,
// for transport-level cases the real sandbox cannot be made to produce on demand
// (no endpoint event, a foreign endpoint origin, a read that stalls while a ping
// arrives, the same response in the POST body and on the stream).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcMessage {
  jsonrpc: '2.0';
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface FakeSession {
  id: string;
  res: http.ServerResponse;
  open: boolean;
}

export type Handler = (params: Record<string, unknown> | undefined, session: FakeSession) => unknown | Promise<unknown>;

export interface FakePlatform {
  url: string;
  apiKey: string;
  settings: {
    endpoint: 'relative' | 'absolute' | 'none' | 'foreign';
    /** 'body': 200 with the response in the body AND on the stream. */
    postAnswer: 'accepted' | 'body';
    /** Answer every POST of these sessions with this status (404/410 = expired). */
    expired: Map<string, number>;
  };
  handlers: Map<string, Handler>;
  /** Every JSON-RPC message the client POSTed, in order. */
  received: { session: string; msg: RpcMessage; at: number }[];
  sessions: FakeSession[];
  rest: (
    req: http.IncomingMessage,
    body: string,
  ) => { status: number; body: unknown; headers?: Record<string, string> } | undefined;
  send(session: FakeSession, msg: RpcMessage): void;
  drop(session: FakeSession): void;
  close(): Promise<void>;
}

export class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakePlatform(apiKey = 'fake-agent-key-123456'): Promise<FakePlatform> {
  let counter = 0;
  const fake: FakePlatform = {
    url: '',
    apiKey,
    settings: { endpoint: 'relative', postAnswer: 'accepted', expired: new Map() },
    handlers: new Map<string, Handler>([
      [
        'initialize',
        () => ({
          protocolVersion: '2024-11-05',
          capabilities: { resources: { subscribe: true }, tools: {}, prompts: {} },
          serverInfo: { name: 'fake', version: '1' },
        }),
      ],
      ['resources/subscribe', () => ({})],
      ['ping', () => ({})],
      ['resources/read', () => ({ contents: [{ uri: 'hiring://pending', mimeType: 'application/json', text: '[]' }] })],
    ]),
    received: [],
    sessions: [],
    rest: () => undefined,
    send(session, msg) {
      if (session.open) session.res.write(`event: message\ndata: ${JSON.stringify(msg)}\n\n`);
    },
    drop(session) {
      session.open = false;
      session.res.destroy();
    },
    close: async () => {
      for (const s of fake.sessions) fake.drop(s);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    if (req.headers['x-api-key'] !== apiKey) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: null, errors: [{ code: 'UNAUTHORIZED', message: 'bad key' }] }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/mcp/sse') {
      const session: FakeSession = { id: `s${++counter}`, res, open: true };
      fake.sessions.push(session);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      const path = `/mcp/messages/${session.id}`;
      const data = {
        relative: path,
        absolute: `${fake.url}${path}`,
        foreign: `http://192.0.2.1:9${path}`,
        none: undefined,
      }[fake.settings.endpoint];
      if (data !== undefined) res.write(`event: endpoint\ndata: ${data}\n\n`);
      res.on('close', () => (session.open = false));
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const m = /^\/mcp\/messages\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'POST' && m) {
        void answerPost(m[1], body, res);
        return;
      }
      const r = fake.rest(req, body);
      if (!r) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: null, errors: [{ code: 'NOT_FOUND', message: 'no route' }] }));
        return;
      }
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.body));
    });
  });

  async function answerPost(id: string, body: string, res: http.ServerResponse): Promise<void> {
    const session = fake.sessions.find((s) => s.id === id);
    const expired = fake.settings.expired.get(id);
    if (!session || expired) {
      res.writeHead(expired ?? 404).end();
      return;
    }
    const msg = JSON.parse(body) as RpcMessage;
    fake.received.push({ session: id, msg, at: Date.now() });
    if (msg.method === undefined || msg.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    if (fake.settings.postAnswer === 'accepted') res.writeHead(202).end();
    let answer: RpcMessage;
    const handler = fake.handlers.get(msg.method);
    try {
      if (!handler) throw new RpcFault(-32601, `Method not found: ${msg.method}`);
      answer = { jsonrpc: '2.0', id: msg.id, result: await handler(msg.params, session) };
    } catch (e) {
      answer = {
        jsonrpc: '2.0',
        id: msg.id,
        error: { code: e instanceof RpcFault ? e.code : -32603, message: (e as Error).message },
      };
    }
    fake.send(session, answer);
    if (fake.settings.postAnswer === 'body') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    }
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
