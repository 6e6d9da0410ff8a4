// RelayConnection against a small scripted MCP server: overlapping reads of the
// relay's resources must never leave the UI with an older snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ReadResourceRequestSchema, SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { RelayConnection } from '../../src/extension/relay-connection';
import { memoryLogger } from '../../src/shared/log';
import { waitFor } from '../support/wait';

/** What the scripted relay serves now, and how long each read of a URI takes. */
const state = {
  hirings: [{ hiring: { id: 'h1' }, agent: 'default', phase: 'new' }] as unknown[],
  delays: new Map<string, number[]>(),
  token: 'rop_scripted_operator',
};
const servers: Server[] = [];
let http: HttpServer;
let url: string;

function mcpServer(): Server {
  const s = new Server({ name: 'scripted-relay', version: '0' }, { capabilities: { resources: { subscribe: true } } });
  s.setRequestHandler(SubscribeRequestSchema, async () => ({}));
  s.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const uri = req.params.uri;
    // Snapshot at the start of the read, answer after the scripted delay: a slow read answers old data.
    const body =
      uri === 'relay://hirings'
        ? state.hirings
        : uri === 'review://queue'
          ? []
          : { version: '0', links: [], counts: {} };
    const text = JSON.stringify(body);
    const delay = state.delays.get(uri)?.shift() ?? 0;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    return { contents: [{ uri, mimeType: 'application/json', text }] };
  });
  servers.push(s);
  return s;
}

const transports = new Map<string, StreamableHTTPServerTransport>();

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
}

beforeAll(async () => {
  http = createServer((req, res) => {
    void (async () => {
      if (req.headers['x-api-key'] !== state.token) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"data":null,"errors":[{"code":"UNAUTHORIZED","message":"bad token"}]}');
        return;
      }
      const parsed = req.method === 'POST' ? await body(req) : undefined;
      const sid = req.headers['mcp-session-id'];
      let t = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (!t) {
        t = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (id) => {
            transports.set(id, t as StreamableHTTPServerTransport);
          },
        });
        await mcpServer().connect(t);
      }
      await t.handleRequest(req, res, parsed);
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

const info = () => ({
  url,
  pid: process.pid,
  version: '0',
  startedAt: '',
  operatorToken: state.token,
  workerTokens: {},
});
const notifyAll = (uri: string) =>
  Promise.all(servers.map((s) => s.sendResourceUpdated({ uri }).catch(() => undefined)));

describe('relay connection snapshots', () => {
  it('keeps the newest hirings when a slow status read and a slow older read overlap newer ones', async () => {
    const conn = new RelayConnection({
      locate: async () => info(),
      log: memoryLogger('t'),
      version: 't',
      pingIntervalMs: 60_000,
    });
    let events = 0;
    conn.onData(() => events++);
    conn.start();
    await waitFor('connected', () => conn.state === 'connected');
    expect(conn.data.hirings.map((h) => h.hiring.id)).toEqual(['h1']);

    // A slow status read starts while hirings change twice; the first hirings read is slow too.
    state.delays.set('relay://status', [400]);
    state.delays.set('relay://hirings', [300, 0]);
    await notifyAll('relay://status');
    state.hirings = [...state.hirings, { hiring: { id: 'h2' }, agent: 'default', phase: 'new' }];
    await notifyAll('relay://hirings');
    await waitFor('the first hirings read to start', () => (state.delays.get('relay://hirings')?.length ?? 0) === 1);
    state.hirings = [...state.hirings, { hiring: { id: 'h3' }, agent: 'default', phase: 'claimed' }];
    await notifyAll('relay://hirings');

    const before = events;
    await waitFor(
      'the status read to land',
      () =>
        events >= before + 2 &&
        conn.data.status !== undefined &&
        (state.delays.get('relay://status')?.length ?? 0) === 0,
    );
    await new Promise((r) => setTimeout(r, 500)); // let the slow reads finish; they must change nothing
    expect(conn.data.hirings.map((h) => h.hiring.id)).toEqual(['h1', 'h2', 'h3']);
    conn.dispose();
  });

  it('never connects with a wrong token and says why, without the token', async () => {
    const conn = new RelayConnection({
      locate: async () => ({ ...info(), operatorToken: 'rop_wrong_one_123' }),
      log: memoryLogger('t'),
      version: 't',
      minBackoffMs: 20,
      maxBackoffMs: 50,
    });
    conn.start();
    await waitFor('an error', () => conn.lastError !== undefined);
    expect(conn.state).not.toBe('connected');
    expect(conn.lastError).toMatch(/401/);
    expect(conn.lastError).not.toContain('rop_wrong_one_123');
    conn.dispose();
  });
});
