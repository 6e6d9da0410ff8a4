// An attached agent, as simple as a real one: an MCP SDK client on the relay's
// /mcp with a worker token, subscribed to hiring://pending, that claims and
// finishes every hiring it sees there. It is deliberately naive about crashes:
// when the relay vanishes it finds it again through relay.json and simply works
// whatever the relay says is still open — the relay must make that safe.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { PENDING_URI, TOOL } from '../../src/shared/protocol';
import { resourceJson, textOf } from '../downstream/helpers';

export interface PendingHiring {
  id: string;
  delivery_mode?: string;
  relay?: { phase?: string; claimedBy?: string; submissions?: string[] };
}

export type WorkDecision = { kind: 'result'; output: Record<string, unknown> } | { kind: 'failure'; reason: string };

export interface WorkerOptions {
  /** Where the relay is now (re-read after every lost connection); undefined while none runs. */
  locate: () => { url: string; token: string } | undefined;
  decide?: (h: PendingHiring) => WorkDecision;
  /** Safety-net re-read of hiring://pending. */
  pollMs?: number;
  concurrency?: number;
  /** Budget of each MCP request. */
  requestTimeoutMs?: number;
  /** Before deciding, send one message and one progress chunk per hiring (once, whatever the answer). */
  chatter?: boolean;
}

/** The message and chunk text the worker sends for a hiring when it chatters. */
export const chatterOf = (id: string) => ({ message: `Starting on ${id}`, chunk: `working on ${id}` });

export interface WorkerStats {
  /** Hirings that reached the worker through hiring://pending. */
  seen: Set<string>;
  /** Hirings the relay accepted a submission for (tool call without isError). */
  submitted: Map<string, number>;
  /** Tool errors other than "already done / already submitted" (each with the hiring). */
  unexpected: string[];
  connections: number;
  lostConnections: number;
  /** Hirings whose message / chunk the relay acknowledged (the tool call answered without isError). */
  acknowledged: { messages: Set<string>; chunks: Set<string> };
}

export interface Worker {
  readonly stats: WorkerStats;
  /** Wakes the loop now (a test that knows something changed). */
  poke(): void;
  stop(): Promise<void>;
}

export const defaultDecision = (h: PendingHiring): WorkDecision =>
  h.delivery_mode === 'push'
    ? { kind: 'failure', reason: `worker cannot push for ${h.id}` }
    : { kind: 'result', output: { summary: `done ${h.id}`, hiring: h.id } };

/** The relay's own words for "this is already taken care of": not an error for a worker retrying after a crash. */
const SETTLED = /already (completed|failed|has submission)|is already (done|completed|failed)/i;
const OPEN_PHASES = new Set(['new', 'claimed']);

export function startWorker(opts: WorkerOptions): Worker {
  const decide = opts.decide ?? defaultDecision;
  const pollMs = opts.pollMs ?? 500;
  const concurrency = opts.concurrency ?? 8;
  const timeout = opts.requestTimeoutMs ?? 10_000;
  const stats: WorkerStats = {
    seen: new Set(),
    submitted: new Map(),
    unexpected: [],
    connections: 0,
    lostConnections: 0,
    acknowledged: { messages: new Set(), chunks: new Set() },
  };
  const chattered = new Set<string>();
  let stopped = false;
  let client: Client | undefined;
  let transport: StreamableHTTPClientTransport | undefined;
  let wake: (() => void) | undefined;
  const inFlight = new Set<string>();

  let dirty = false;
  const poke = () => {
    if (wake) wake();
    else dirty = true;
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (dirty) {
        dirty = false;
        resolve();
        return;
      }
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const disconnect = async () => {
    const c = client;
    client = undefined;
    transport = undefined;
    await c?.close().catch(() => undefined);
  };

  const connect = async (): Promise<Client | undefined> => {
    const where = opts.locate();
    if (!where) return undefined;
    const c = new Client({ name: 'fault-suite-worker', version: '1.0.0' });
    const tr = new StreamableHTTPClientTransport(new URL(`${where.url}/mcp`), {
      requestInit: { headers: { 'X-API-Key': where.token } },
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 100,
        maxReconnectionDelay: 100,
        reconnectionDelayGrowFactor: 1,
      },
    });
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, () => poke());
    c.onerror = () => undefined;
    try {
      await c.connect(tr, { timeout });
      await c.subscribeResource({ uri: PENDING_URI }, { timeout });
    } catch (e) {
      await c.close().catch(() => undefined);
      throw e;
    }
    client = c;
    transport = tr;
    stats.connections += 1;
    return c;
  };

  const call = async (c: Client, name: string, args: Record<string, unknown>) => {
    const r = await c.callTool({ name, arguments: args }, undefined, { timeout });
    return { isError: r.isError === true, text: textOf(r) };
  };

  const work = async (c: Client, h: PendingHiring) => {
    const claimed = await call(c, 'claim_hiring', { hiring_id: h.id });
    if (claimed.isError) {
      if (!SETTLED.test(claimed.text)) stats.unexpected.push(`${h.id} claim: ${claimed.text}`);
      return;
    }
    if (opts.chatter && !chattered.has(h.id)) {
      chattered.add(h.id);
      const say = chatterOf(h.id);
      const m = await call(c, TOOL.addMessage, { hiring_id: h.id, content: say.message });
      if (!m.isError) stats.acknowledged.messages.add(h.id);
      const k = await call(c, TOOL.emitChunk, { hiring_id: h.id, content: say.chunk, kind: 'status' });
      if (!k.isError) stats.acknowledged.chunks.add(h.id);
    }
    const d = decide(h);
    const r =
      d.kind === 'result'
        ? await call(c, TOOL.submitResult, { hiring_id: h.id, output: d.output })
        : await call(c, TOOL.reportFailure, { hiring_id: h.id, reason: d.reason, error: 'capability_mismatch' });
    if (!r.isError) stats.submitted.set(h.id, (stats.submitted.get(h.id) ?? 0) + 1);
    else if (!SETTLED.test(r.text)) stats.unexpected.push(`${h.id} ${d.kind}: ${r.text}`);
  };

  const round = async (c: Client) => {
    const pending = resourceJson<PendingHiring[]>(await c.readResource({ uri: PENDING_URI }, { timeout }));
    const open: PendingHiring[] = [];
    for (const h of pending) {
      stats.seen.add(h.id);
      if (OPEN_PHASES.has(h.relay?.phase ?? 'new') && !inFlight.has(h.id)) open.push(h);
    }
    // A small pool: several tool calls at once, like a few agents sharing one token.
    let next = 0;
    const lane = async () => {
      while (next < open.length && !stopped) {
        const h = open[next++];
        inFlight.add(h.id);
        try {
          await work(c, h);
        } finally {
          inFlight.delete(h.id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, open.length) }, lane));
  };

  const loop = async () => {
    while (!stopped) {
      try {
        const c = client ?? (await connect());
        if (!c) {
          await pause(100);
          continue;
        }
        await round(c);
        await pause(pollMs);
      } catch {
        if (stopped) break;
        if (client) stats.lostConnections += 1;
        await disconnect();
        await pause(100);
      }
    }
  };
  const running = loop();

  return {
    stats,
    poke,
    async stop() {
      stopped = true;
      poke();
      await running;
      await transport?.terminateSession().catch(() => undefined);
      await disconnect();
    },
  };
}
