// Hostile input from the platform's side: malformed SSE frames, broken JSON-RPC
// messages and malformed hirings streamed by a fake Agrenting to the real relay
// (AgentLink → store). No crash, the session answers pings afterwards, and a
// valid hiring announced after each burst of garbage still lands in the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { Caller } from '../../src/relay/types';
import { HiringParseError, parseHiring, parseHiringList } from '../../src/shared/hiring';
import { createLogger } from '../../src/shared/log';
import { tempDir } from '../inbox/helpers';
import { startFakePlatform, type FakePlatform, type FakeSession } from '../upstream/fake-platform';
import { deepJson, nastyString, nearMiss, randomJson, type Json } from '../support/fuzz';
import { between, envInt, faultSeed, fork, pick, type Random } from '../support/seed';
import { waitFor } from '../support/wait';

const ROUNDS = envInt('FUZZ_SSE_ROUNDS', 40);
const OPERATOR: Caller = { role: 'operator', name: 'fuzz' };

function validHiring(id: string): { [k: string]: Json } {
  return {
    id,
    status: 'in_progress',
    agent_id: 'agent-1',
    customer_id: 'cust-1',
    task_description: `Fuzz task ${id}`,
    price: '5.00',
    delivery_mode: 'output',
    task_input: {},
  };
}

/** One malformed piece of an SSE stream (raw text written to the socket). */
function badFrame(rand: Random): string {
  const rpc = { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'hiring://pending' } };
  switch (between(rand, 0, 13)) {
    case 0:
      return (
        Buffer.from(Array.from({ length: between(rand, 1, 300) }, () => between(rand, 0, 255))).toString('latin1') +
        '\n\n'
      );
    case 1:
      return `data: ${nastyString(rand).replace(/\n/g, ' ')}\n\n`;
    case 2:
      return `event: message\ndata: ${JSON.stringify(nearMiss(rand, rpc))}\n\n`;
    case 3:
      return `event: message\ndata: ${JSON.stringify(randomJson(rand, 4))}\n\n`;
    case 4:
      return `event: endpoint\ndata: http://203.0.113.9/mcp/messages/evil\n\n`;
    case 5:
      return `event: ${nastyString(rand).replace(/[\r\n]/g, '')}\ndata: {}\n\n`;
    case 6:
      return `retry: abc\nid: \u0000x\n: comment\nno colon here\n\n`;
    case 7:
      return `event: message\r\ndata: ${JSON.stringify(rpc)}\r\n\r\n`;
    case 8:
      return `event: message\ndata: ${'x'.repeat(between(rand, 100_000, 300_000))}\n\n`;
    case 9:
      // A server request the relay does not serve: it must answer "method not found", not hang or crash.
      return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: `srv-${between(rand, 1, 1e6)}`, method: pick(rand, ['sampling/createMessage', 'roots/list', 'elicitation/create', '']), params: randomJson(rand, 2) })}\n\n`;
    case 10:
      return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: pick(rand, [0, -1, 'unknown', 999_999]), result: randomJson(rand, 2) })}\n\n`;
    case 11:
      return `event: message\ndata: ${JSON.stringify([rpc, randomJson(rand, 2), { jsonrpc: '1.0' }])}\n\n`;
    case 12:
      return `event: message\ndata: ${deepJson(between(rand, 1000, 20_000))}\n\n`;
    default:
      return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: pick(rand, ['hiring://', 'hiring://../x', 'relay://status', 42, null] as Json[]) } })}\n\n`;
  }
}

/** A pending list with malformed entries around the valid ones. */
function hostileList(rand: Random, valid: { [k: string]: Json }[]): Json[] {
  const junk: Json[] = Array.from({ length: between(rand, 1, 6) }, () =>
    pick(rand, [
      () => randomJson(rand, 3),
      () => nearMiss(rand, validHiring(`junk-${between(rand, 1, 1e9)}`)),
      () => ({ id: randomJson(rand, 1) }),
      () => nastyString(rand),
    ])(),
  );
  return [...junk.slice(0, 3), ...valid, ...junk.slice(3)];
}

describe('fuzzing what the platform sends', () => {
  const seed = faultSeed('fuzz-upstream');
  const state = tempDir('faults-fuzz-up-');
  let fake: FakePlatform;
  let relay: Relay;
  let list: Json[] = [];

  beforeAll(async () => {
    fake = await startFakePlatform();
    fake.handlers.set('resources/read', (params) => {
      const uri = String(params?.uri);
      if (uri === 'hiring://pending') {
        return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(list) }] };
      }
      const one = list.find(
        (h) => typeof h === 'object' && h !== null && !Array.isArray(h) && `hiring://${String(h.id)}` === uri,
      );
      return { contents: [{ uri, mimeType: 'application/json', text: one ? JSON.stringify(one) : '{"oops":' }] };
    });
    // The REST safety net sees the same list: a frame corrupted by the garbage before it is still caught.
    fake.rest = (req) =>
      req.url?.startsWith('/api/v1/hirings/pending') ? { status: 200, body: { data: list } } : undefined;
    relay = await startRelay({
      agents: [{ name: 'fuzz', baseUrl: fake.url, apiKey: fake.apiKey }],
      stateDir: state.dir,
      port: 0,
      durable: false,
      logger: createLogger('relay', { level: 'error', sink: () => undefined }),
      linkTiming: {
        requestTimeoutMs: 2000,
        connectTimeoutMs: 1000,
        pingIntervalMs: 60_000,
        pingTimeoutMs: 1000,
        backoffBaseMs: 20,
        backoffCapMs: 200,
        stableResetMs: 60_000,
        authRetryMs: 200,
        safetyNetMs: 1000,
      },
    });
  });

  afterAll(async () => {
    await relay?.stop();
    await fake?.close();
    state.cleanup();
  });

  const liveSession = () =>
    waitFor(
      'a live session',
      () => [...fake.sessions].reverse().find((s) => s.open && relay.status().links[0]?.state === 'connected'),
      10_000,
    );
  const stored = (id: string) => relay.listAll(OPERATOR).some((v) => String(v.hiring.id) === id);

  it(`keeps every valid hiring through ${ROUNDS} bursts of malformed frames, messages and hirings`, async () => {
    const rand = fork(seed, 1);
    const valid: { [k: string]: Json }[] = [];
    let frames = 0;
    let sessionsSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const s: FakeSession = await liveSession();
      sessionsSeen = fake.sessions.length;
      for (let i = between(rand, 1, 5); i > 0; i--) {
        if (s.open) s.res.write(badFrame(rand));
        frames += 1;
      }
      const h = validHiring(`valid-${round}-${between(rand, 1, 1e6)}`);
      valid.push(h);
      list = hostileList(rand, valid.slice(-5));
      // The real signal, after the garbage, on whatever session is live now.
      fake.send(await liveSession(), {
        jsonrpc: '2.0',
        method: 'notifications/resources/updated',
        params: { uri: 'hiring://pending' },
      });
      await waitFor(
        `valid hiring ${String(h.id)} in the store after round ${round}`,
        () => stored(String(h.id)),
        15_000,
      );
    }

    // The session still answers the platform's ping.
    const s = await liveSession();
    fake.send(s, { jsonrpc: '2.0', id: 'final-ping', method: 'ping' });
    await waitFor(
      'the answer to a ping after the garbage',
      () => fake.received.find((r) => r.msg.id === 'final-ping' && r.msg.result !== undefined),
      10_000,
    );
    // Server requests the relay does not serve got a JSON-RPC error, not silence.
    const unknownAnswered = fake.received.filter(
      (r) => typeof r.msg.id === 'string' && r.msg.id.startsWith('srv-') && r.msg.error?.code === -32601,
    ).length;
    console.log(
      `[faults] fuzz-upstream: ${ROUNDS} rounds, ${frames} malformed frames, ${sessionsSeen} sessions, ${unknownAnswered} unknown server requests answered -32601`,
    );

    for (const h of valid) expect(stored(String(h.id)), `hiring ${String(h.id)}`).toBe(true);
    for (const v of relay.listAll(OPERATOR)) {
      expect(typeof v.hiring.id === 'string' && v.hiring.id.length > 0).toBe(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(relay.status().links[0]?.state).toBe('connected');
  });

  it('parseHiring and parseHiringList: a hiring or a HiringParseError, never anything else', () => {
    const rand = fork(seed, 2);
    let parsed = 0;
    let refused = 0;
    const inputs: unknown[] = [
      JSON.parse('{"id":"p1","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
      { id: '' },
      { id: 0 },
      { id: {} },
    ];
    for (let i = 0; i < 3000; i++) {
      inputs.push(rand() < 0.5 ? randomJson(rand, 4) : nearMiss(rand, validHiring(`h${i}`)));
    }
    for (const raw of inputs) {
      try {
        const h = parseHiring(raw);
        expect(typeof h.id).toBe('string');
        expect(h.id.length).toBeGreaterThan(0);
        expect(['output', 'push']).toContain(h.delivery_mode);
        expect(typeof h.task_input).toBe('object');
        parsed += 1;
      } catch (e) {
        expect(e).toBeInstanceOf(HiringParseError);
        expect((e as Error).message).toMatch(/not a hiring/);
        refused += 1;
      }
    }
    const lists = [inputs.slice(0, 500), inputs.slice(500), ...inputs.slice(0, 50)];
    for (const raw of lists) {
      const r = parseHiringList(raw);
      if (Array.isArray(raw)) expect(r.hirings.length + r.errors.length).toBe(raw.length);
      else expect(r.errors).toEqual(['expected a JSON array of hirings']);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.log(`[faults] fuzz-upstream: parseHiring ${parsed} parsed, ${refused} refused with HiringParseError`);
    expect(parsed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
