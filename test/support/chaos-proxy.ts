// An HTTP proxy that plays a bad network between the relay and the platform
// (the sandbox). SSE streams are forwarded frame by frame and may be dropped
// (both sides cut between frames), stalled (nothing forwarded for a while, then
// everything at once) or truncated (half a frame, then cut). Other requests may
// be delayed, answered 502/503 without reaching the platform, reset before they
// reach it, or reset after the platform handled them (the answer is lost — the
// case that tests idempotency). Every choice comes from one seeded PRNG; every
// fault is recorded with its MCP session, so a missed ping can be traced to it.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { between, prng, type Random } from './seed';

export interface ChaosRates {
  /** Per SSE frame: cut both sides before forwarding it. */
  streamDrop: number;
  /** Per SSE frame: hold it (and what follows) for stallMs. */
  streamStall: number;
  /** Per SSE frame: forward half of it, then cut. */
  streamTruncate: number;
  stallMs: [number, number];
  /** Per request (every non-SSE request): forward it late. */
  requestDelay: number;
  delayMs: [number, number];
  /** Per request: answer 502 or 503 without forwarding. */
  requestFail: number;
  /** Per request: reset the connection without forwarding. */
  requestResetBefore: number;
  /** Per request: forward it, let the platform act, then reset instead of answering. */
  requestResetAfter: number;
  /**
   * Per tool call (MCP tools/call, REST POST on a hiring): forward it, let the platform act, and hold its answer
   * (the POST's and, for MCP, the matching frame on the stream) for slowMs, past the relay's request timeout.
   */
  requestSlowAnswer: number;
  slowMs: [number, number];
}

export const DEFAULT_CHAOS: ChaosRates = {
  streamDrop: 0.02,
  streamStall: 0.02,
  streamTruncate: 0.02,
  stallMs: [300, 4000],
  requestDelay: 0.08,
  delayMs: [50, 1500],
  requestFail: 0.04,
  requestResetBefore: 0.02,
  requestResetAfter: 0.03,
  requestSlowAnswer: 0.04,
  slowMs: [4500, 6000],
};

export type FaultKind = 'drop' | 'stall' | 'truncate' | 'delay' | 'fail' | 'reset-before' | 'reset-after' | 'slow';

export interface FaultRecord {
  kind: FaultKind;
  /** The platform's MCP session the fault hit (from the endpoint event or the POST path), when known. */
  session?: string;
  path: string;
  at: number;
  /** End of a stall or delay (same as `at` for instant faults; Infinity while a stall lasts). */
  until: number;
}

export interface ChaosStats {
  streams: number;
  requests: number;
  frames: number;
  faults: Record<FaultKind, number>;
}

export interface ChaosProxy {
  readonly url: string;
  readonly seed: number;
  readonly rates: ChaosRates;
  readonly faults: FaultRecord[];
  stats(): ChaosStats;
  /** Turns fault injection on or off; off also releases every stalled stream at once. */
  setChaos(on: boolean): void;
  /** Whether the proxy injected a fault touching `session` (any session when undefined) within [from, to]. */
  interfered(session: string | undefined, from: number, to: number): boolean;
  close(): Promise<void>;
}

const MESSAGES = /^\/mcp\/messages\/([^/?]+)/;
/** REST writes on a hiring: result, failure, messages. */
const REST_WRITE = /^\/api\/v1\/hirings\/[^/]+\/(result|failure|messages)$/;

function rpcCall(body: Buffer): { id?: string; method?: string } | undefined {
  try {
    const m = JSON.parse(body.toString('utf8')) as { id?: unknown; method?: unknown };
    return {
      id: m.id === undefined ? undefined : String(m.id),
      method: typeof m.method === 'string' ? m.method : undefined,
    };
  } catch {
    return undefined;
  }
}

/** When the frame is the answer to a withheld call: until when to hold it. */
function heldUntil(ids: Map<string, number> | undefined, frame: string): number | undefined {
  if (!ids || ids.size === 0) return undefined;
  const data = /^data: ?(.*)$/m.exec(frame)?.[1];
  const answer = data ? rpcCall(Buffer.from(data)) : undefined;
  if (answer?.id === undefined || answer.method !== undefined) return undefined;
  const until = ids.get(answer.id);
  if (until !== undefined) ids.delete(answer.id);
  return until;
}

interface Stream {
  session?: string;
  stalled: boolean;
  queue: string[];
  /** No more frames are forwarded. */
  dead: boolean;
  /** Both sides are cut. */
  closed: boolean;
  stallRecord?: FaultRecord;
  release?: () => void;
}

export async function startChaosProxy(
  target: string,
  opts: { seed: number; rates?: Partial<ChaosRates>; enabled?: boolean },
): Promise<ChaosProxy> {
  const rates: ChaosRates = { ...DEFAULT_CHAOS, ...opts.rates };
  const rand: Random = prng(opts.seed);
  const t = new URL(target);
  let enabled = opts.enabled ?? true;
  const faults: FaultRecord[] = [];
  const counts: ChaosStats = {
    streams: 0,
    requests: 0,
    frames: 0,
    faults: { drop: 0, stall: 0, truncate: 0, delay: 0, fail: 0, 'reset-before': 0, 'reset-after': 0, slow: 0 },
  };
  /** Per platform session: JSON-RPC ids whose answer frame is held, and until when. */
  const withheld = new Map<string, Map<string, number>>();
  const streams = new Set<Stream>();
  const sockets = new Set<Socket>();
  const roll = (rate: number) => enabled && rate > 0 && rand() < rate;
  const record = (kind: FaultKind, path: string, session: string | undefined, until = Date.now()): FaultRecord => {
    const r: FaultRecord = { kind, path, ...(session ? { session } : {}), at: Date.now(), until };
    faults.push(r);
    counts.faults[kind] += 1;
    return r;
  };

  /** The same request to the platform. */
  const upstream = (req: http.IncomingMessage, onResponse: (up: http.IncomingMessage) => void) =>
    http.request(
      { host: t.hostname, port: Number(t.port), method: req.method, path: req.url, headers: req.headers, agent: false },
      onResponse,
    );

  /** Forwards the request (its body as it streams in, or one already read) and drops it if the client goes. */
  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    onResponse: (up: http.IncomingMessage) => void,
    body?: Buffer,
  ) => {
    const up = upstream(req, onResponse);
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    if (body) up.end(body);
    else req.pipe(up);
    return up;
  };

  const handleStream = (req: http.IncomingMessage, res: http.ServerResponse) => {
    counts.streams += 1;
    const s: Stream = { stalled: false, queue: [], dead: false, closed: false };
    streams.add(s);
    let upRes: http.IncomingMessage | undefined;
    const kill = () => {
      if (s.closed) return;
      s.closed = true;
      s.dead = true;
      if (s.stallRecord && s.stallRecord.until === Infinity) s.stallRecord.until = Date.now();
      streams.delete(s);
      res.destroy();
      upRes?.destroy();
    };
    const write = (frame: string) => {
      if (!s.dead) res.write(frame);
    };
    s.release = () => {
      if (!s.stalled || s.dead) return;
      s.stalled = false;
      if (s.stallRecord) s.stallRecord.until = Date.now();
      for (const f of s.queue.splice(0)) write(f);
    };
    const onFrame = (frame: string) => {
      counts.frames += 1;
      const held = s.session ? heldUntil(withheld.get(s.session), frame) : undefined;
      if (held !== undefined) {
        setTimeout(() => write(frame), Math.max(0, held - Date.now())).unref();
        return;
      }
      if (!s.session) {
        const m = /data: *(\S+)/.exec(frame);
        const id = m ? MESSAGES.exec(new URL(m[1], 'http://x').pathname)?.[1] : undefined;
        if (id) s.session = id;
      }
      if (s.stalled) {
        s.queue.push(frame);
        return;
      }
      if (roll(rates.streamDrop)) {
        record('drop', '/mcp/sse', s.session);
        return kill();
      }
      if (roll(rates.streamTruncate)) {
        record('truncate', '/mcp/sse', s.session);
        res.write(frame.slice(0, Math.max(1, Math.floor(frame.length / 2))), () => kill());
        s.dead = true;
        return;
      }
      if (roll(rates.streamStall)) {
        const ms = between(rand, rates.stallMs[0], rates.stallMs[1]);
        s.stalled = true;
        s.stallRecord = record('stall', '/mcp/sse', s.session, Infinity);
        s.queue.push(frame);
        setTimeout(() => s.release?.(), ms).unref();
        return;
      }
      write(frame);
    };
    forward(req, res, (up) => {
      upRes = up;
      const type = String(up.headers['content-type'] ?? '');
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (!type.includes('text/event-stream')) {
        up.pipe(res);
        return;
      }
      res.flushHeaders();
      let buf = '';
      up.setEncoding('utf8');
      up.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          onFrame(buf.slice(0, i + 2));
          buf = buf.slice(i + 2);
        }
      });
      up.on('end', () => {
        if (!s.dead) res.end(buf);
        streams.delete(s);
      });
      up.on('error', kill);
    });
    res.on('close', kill);
  };

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    counts.requests += 1;
    const session = MESSAGES.exec(path)?.[1];
    if (roll(rates.requestFail)) {
      record('fail', path, session);
      req.resume();
      const status = rand() < 0.5 ? 502 : 503;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`chaos proxy: injected ${status}`);
      return;
    }
    if (roll(rates.requestResetBefore)) {
      record('reset-before', path, session);
      req.socket.destroy();
      return;
    }
    if (req.method === 'POST' && (session || REST_WRITE.test(path)) && roll(rates.requestSlowAnswer)) {
      return slowAnswer(req, res, path, session);
    }
    const resetAfter = roll(rates.requestResetAfter);
    const delay = roll(rates.requestDelay) ? between(rand, rates.delayMs[0], rates.delayMs[1]) : 0;
    if (delay > 0) record('delay', path, session, Date.now() + delay);
    const go = () => {
      forward(req, res, (up) => {
        if (resetAfter) {
          // The platform acted; its answer never reaches the relay.
          record('reset-after', path, session);
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
    };
    if (delay > 0) setTimeout(go, delay).unref();
    else go();
  };

  /** Forwards a tool call whole, so the platform acts at once, and holds every answer to it for slowMs. */
  const slowAnswer = (req: http.IncomingMessage, res: http.ServerResponse, path: string, session?: string) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const rpc = session ? rpcCall(body) : undefined;
      // Only tool calls: a slow answer to a ping or initialize is another fault (the stall covers it).
      if (session && rpc?.method !== 'tools/call') {
        forward(req, res, (answer) => answer.pipe(res.writeHead(answer.statusCode ?? 502, answer.headers)), body);
        return;
      }
      const until = Date.now() + between(rand, rates.slowMs[0], rates.slowMs[1]);
      record('slow', path, session, until);
      if (session && rpc?.id !== undefined) {
        const ids = withheld.get(session) ?? new Map<string, number>();
        ids.set(rpc.id, until);
        withheld.set(session, ids);
      }
      // Not dropped when the relay gives up waiting: the platform still acts, which is the point of this fault.
      const up = upstream(req, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          setTimeout(
            () => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
            },
            Math.max(0, until - Date.now()),
          ).unref();
        });
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    if (req.method === 'GET' && path === '/mcp/sse') handleStream(req, res);
    else handleRequest(req, res, path);
  });
  server.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    seed: opts.seed,
    rates,
    faults,
    stats: () => ({ ...counts, faults: { ...counts.faults } }),
    setChaos(on) {
      enabled = on;
      if (!on) for (const s of [...streams]) s.release?.();
    },
    interfered(session, from, to) {
      const now = Date.now();
      // Only MCP traffic carries pings and their answers; REST faults cannot delay one.
      return faults.some(
        (f) =>
          f.path.startsWith('/mcp') &&
          (session === undefined || f.session === undefined || f.session === session) &&
          f.at <= to &&
          Math.min(f.until, now) >= from,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
