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
};

export type FaultKind = 'drop' | 'stall' | 'truncate' | 'delay' | 'fail' | 'reset-before' | 'reset-after';

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

export async function startChaosProxy(target: string, opts: { seed: number; rates?: Partial<ChaosRates>; enabled?: boolean }): Promise<ChaosProxy> {
  const rates: ChaosRates = { ...DEFAULT_CHAOS, ...opts.rates };
  const rand: Random = prng(opts.seed);
  const t = new URL(target);
  let enabled = opts.enabled ?? true;
  const faults: FaultRecord[] = [];
  const counts: ChaosStats = {
    streams: 0,
    requests: 0,
    frames: 0,
    faults: { drop: 0, stall: 0, truncate: 0, delay: 0, fail: 0, 'reset-before': 0, 'reset-after': 0 },
  };
  const streams = new Set<Stream>();
  const sockets = new Set<Socket>();
  const roll = (rate: number) => enabled && rate > 0 && rand() < rate;
  const record = (kind: FaultKind, path: string, session: string | undefined, until = Date.now()): FaultRecord => {
    const r: FaultRecord = { kind, path, ...(session ? { session } : {}), at: Date.now(), until };
    faults.push(r);
    counts.faults[kind] += 1;
    return r;
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, onResponse: (up: http.IncomingMessage) => void) => {
    const up = http.request({ host: t.hostname, port: Number(t.port), method: req.method, path: req.url, headers: req.headers, agent: false }, onResponse);
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
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
        (f) => f.path.startsWith('/mcp') && (session === undefined || f.session === undefined || f.session === session) && f.at <= to && Math.min(f.until, now) >= from,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
