// A minimal Agrenting look-alike that does one thing: ping its agent at a steady
// rate and time each answer. The sandbox records whether a ping was answered,
// not how fast, so the ping benchmark points one of the relay's agents here.
// It runs in its own process (spawned by ping-probe.ts) so the timings are not
// skewed by the sandbox's own work in the benchmark process.
//
// Speaks just enough of protocol §1: GET /mcp/sse → endpoint event; POST
// /mcp/messages/<id> → 202, answers on the stream (initialize, subscribe, read of
// an empty hiring://pending, ping); GET /api/v1/hirings/pending → no hirings.
// IPC: sends {ready, url} and {subscribed}; on {cmd:'record'} starts keeping
// samples, on {cmd:'report'} sends {samples, unanswered} and keeps running.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Rpc {
  jsonrpc?: string;
  id?: string | number;
  method?: string;
  params?: { uri?: string };
  result?: unknown;
  error?: unknown;
}

const intervalMs = Number(process.env.PING_INTERVAL_MS ?? '20');
const streams = new Map<string, http.ServerResponse>();
let subscribed: string | undefined;
let recording = false;
let samples: number[] = [];
let unanswered = 0;
let seq = 0;
const inFlight = new Map<string, { at: number; recorded: boolean }>();

const send = (msg: Record<string, unknown>) => process.send?.(msg);

function write(session: string, body: unknown): void {
  streams.get(session)?.write(`event: message\ndata: ${JSON.stringify(body)}\n\n`);
}

function answer(session: string, req: Rpc): void {
  const reply = (result: unknown) => write(session, { jsonrpc: '2.0', id: req.id, result });
  switch (req.method) {
    case 'initialize':
      return reply({
        protocolVersion: '2024-11-05',
        capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} },
        serverInfo: { name: 'bench-ping-upstream', version: '1.0.0' },
      });
    case 'resources/subscribe':
      subscribed = session;
      send({ subscribed: true });
      return reply({});
    case 'resources/read':
      return reply({
        contents: [{ uri: req.params?.uri ?? 'hiring://pending', mimeType: 'application/json', text: '[]' }],
      });
    case 'ping':
      return reply({});
    case 'tools/list':
      return reply({ tools: [] });
    default:
      return write(session, {
        jsonrpc: '2.0',
        id: req.id,
        error: { code: -32601, message: `unknown method ${String(req.method)}` },
      });
  }
}

function onMessage(session: string, msg: Rpc): void {
  if (msg.method === undefined && msg.id !== undefined) {
    // The answer to one of our pings.
    const p = inFlight.get(String(msg.id));
    if (!p) return;
    inFlight.delete(String(msg.id));
    if (p.recorded) samples.push(performance.now() - p.at);
    return;
  }
  if (msg.id !== undefined && msg.method) answer(session, msg);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'GET' && url.pathname === '/mcp/sse') {
    const id = randomUUID();
    streams.set(id, res);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`event: endpoint\ndata: /mcp/messages/${id}\n\n`);
    res.on('close', () => {
      streams.delete(id);
      if (subscribed === id) subscribed = undefined;
    });
    return;
  }
  const m = /^\/mcp\/messages\/([\w-]+)$/.exec(url.pathname);
  if (req.method === 'POST' && m) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!streams.has(m[1])) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(202).end();
      try {
        onMessage(m[1], JSON.parse(Buffer.concat(chunks).toString('utf8')) as Rpc);
      } catch {
        // Not JSON: nothing to answer.
      }
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/hirings/pending') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    return;
  }
  res
    .writeHead(404, { 'content-type': 'application/json' })
    .end('{"data":null,"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
});

setInterval(() => {
  const now = performance.now();
  for (const [id, p] of inFlight) {
    // Past the protocol's 3 s budget: the platform would have declared the agent unavailable.
    if (now - p.at > 3000) {
      inFlight.delete(id);
      if (p.recorded) unanswered += 1;
    }
  }
  if (!subscribed) return;
  const id = `bench-ping-${++seq}`;
  inFlight.set(id, { at: performance.now(), recorded: recording });
  write(subscribed, { jsonrpc: '2.0', id, method: 'ping' });
}, intervalMs);

process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'record') {
    samples = [];
    unanswered = 0;
    recording = true;
  } else if (msg.cmd === 'report') {
    recording = false;
    send({ samples, unanswered });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () =>
  send({ ready: true, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
);
