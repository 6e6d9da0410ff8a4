import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/shared/log';
import { AuthError, RpcError, SessionLostError } from '../../src/relay/upstream/errors';
import { RpcSession } from '../../src/relay/upstream/rpc';
import { SseTransport } from '../../src/relay/upstream/sse-transport';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import { quietSandbox } from './helpers';
import { waitFor } from '../support/wait';

let fake: FakePlatform;
const open: SseTransport[] = [];

beforeAll(async () => {
  fake = await startFakePlatform();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  fake.settings.endpoint = 'relative';
  fake.settings.postAnswer = 'accepted';
  fake.handlers.delete('slow');
});

function transport(key = fake.apiKey, connectTimeoutMs = 2000): SseTransport {
  const t = new SseTransport({
    url: new URL('/mcp/sse', fake.url),
    apiKey: key,
    agent: 'a1',
    connectTimeoutMs,
    postTimeoutMs: 2000,
  });
  open.push(t);
  return t;
}

function session(t: SseTransport) {
  const log = memoryLogger('rpc');
  const errors: Error[] = [];
  t.onerror = (e) => errors.push(e);
  return { rpc: new RpcSession(t, log), log, errors };
}

describe('SseTransport', () => {
  it.each(['relative', 'absolute'] as const)('resolves a %s endpoint against the SSE URL', async (form) => {
    fake.settings.endpoint = form;
    const t = transport();
    await t.start();
    expect(t.endpointUrl?.href).toMatch(new RegExp(`^${fake.url}/mcp/messages/s\\d+$`));
    expect(t.sessionId).toMatch(/^s\d+$/);
  });

  it('refuses an endpoint on another origin, so the key never leaves', async () => {
    fake.settings.endpoint = 'foreign';
    await expect(transport().start()).rejects.toThrow(/refusing to send the agent key/);
  });

  it('gives up when the endpoint event never arrives', async () => {
    fake.settings.endpoint = 'none';
    await expect(transport(fake.apiKey, 200).start()).rejects.toBeInstanceOf(SessionLostError);
  });

  it('reports a wrong key as an actionable AuthError', async () => {
    const err = await transport('wrong-key-000000')
      .start()
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain(
      "Agrenting rejected the agent key for agent a1 (401). Set it with 'Agrenting: Set Agent Key' or AGRENTING_API_KEY.",
    );
    expect((err as Error).message).not.toContain('wrong-key-000000');
  });

  it('reads events split across chunks and ignores comments', async () => {
    const t = transport();
    const got: unknown[] = [];
    t.onmessage = (m) => got.push(m);
    await t.start();
    const s = fake.sessions.at(-1)!;
    s.res.write(': keep-alive\n\n');
    s.res.write('event: message\nda');
    s.res.write('ta: {"jsonrpc":"2.0","method":"notifications/resources/updated",');
    s.res.write('"params":{"uri":"hiring://pending"}}\n\n');
    s.res.write('event: message\ndata: not json\n\n');
    await waitFor('one message', () => got.length === 1);
    expect(got[0]).toMatchObject({ method: 'notifications/resources/updated', params: { uri: 'hiring://pending' } });
  });

  it('hands on a burst of messages in order, a few milliseconds per turn, past a handler that throws', async () => {
    const t = transport();
    const got: number[] = [];
    const errors: Error[] = [];
    t.onerror = (e) => errors.push(e);
    t.onmessage = (m) => {
      const n = (m as { params?: { n?: number } }).params?.n ?? -1;
      if (n === 3) throw new Error('handler failed on 3');
      got.push(n);
    };
    await t.start();
    const s = fake.sessions.at(-1)!;
    // One chunk holding 2 000 messages, as a platform probing a burst of hirings would send them.
    let chunk = '';
    for (let n = 0; n < 2000; n++) {
      chunk += `event: message\ndata: {"jsonrpc":"2.0","method":"x","params":{"n":${n}}}\n\n`;
    }
    s.res.write(chunk);
    await waitFor('every message but the one whose handler threw', () => got.length === 1999);
    expect(got.slice(0, 5)).toEqual([0, 1, 2, 4, 5]);
    expect(got.every((n, i) => i === 0 || n > got[i - 1])).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['handler failed on 3']);
  });

  it('reports the end of the stream once, with a reason', async () => {
    const t = transport();
    let closes = 0;
    t.onclose = () => closes++;
    await t.start();
    fake.drop(fake.sessions.at(-1)!);
    await waitFor('close', () => closes === 1);
    expect(t.closeReason).toBeInstanceOf(SessionLostError);
    expect(t.isOpen).toBe(false);
    await t.close();
    expect(closes).toBe(1);
  });

  it.each([404, 410])('treats POST %i as a lost session', async (status) => {
    const t = transport();
    let closed = false;
    t.onclose = () => (closed = true);
    await t.start();
    fake.settings.expired.set(t.sessionId!, status);
    await expect(t.send({ jsonrpc: '2.0', method: 'notifications/initialized' })).rejects.toBeInstanceOf(
      SessionLostError,
    );
    expect(closed).toBe(true);
  });
});

describe('RpcSession over the transport', () => {
  it('processes a response that comes in the POST body and on the stream exactly once', async () => {
    fake.settings.postAnswer = 'body';
    const t = transport();
    const { rpc, log } = session(t);
    await t.start();
    const results = await Promise.all([1, 2, 3].map(() => rpc.request('ping', undefined, 2000)));
    expect(results).toEqual([{}, {}, {}]);
    await waitFor(
      'three duplicates dropped',
      () => log.lines.filter((l) => l.includes('dropped a response')).length === 3,
    );
  });

  it.each(['accepted', 'body'] as const)(
    'answers a server ping at once while a slow request is in flight (POST answer %s)',
    async (mode) => {
      fake.settings.postAnswer = mode;
      let release!: () => void;
      fake.handlers.set('slow', () => new Promise((r) => (release = () => r({ done: true }))));
      const t = transport();
      const { rpc } = session(t);
      await t.start();
      const slow = rpc.request('slow', undefined, 5000);
      await waitFor('slow request reached the server', () => release);
      const s = fake.sessions.find((x) => x.id === t.sessionId)!;
      fake.send(s, { jsonrpc: '2.0', id: 'srv-1', method: 'ping' });
      const answer = await waitFor('ping answer', () => fake.received.find((r) => r.msg.id === 'srv-1'));
      expect(answer.msg).toEqual({ jsonrpc: '2.0', id: 'srv-1', result: {} });
      release();
      await expect(slow).resolves.toEqual({ done: true });
      await waitFor('ping answer acknowledged', () => rpc.pingsAnswered === 1);
    },
  );

  it('answers other server requests with method not found', async () => {
    const t = transport();
    session(t);
    await t.start();
    fake.send(
      fake.sessions.find((x) => x.id === t.sessionId)!,
      { jsonrpc: '2.0', id: 77, method: 'sampling/createMessage', params: {} },
    );
    const answer = await waitFor('error answer', () => fake.received.find((r) => r.msg.id === 77));
    expect(answer.msg.error).toMatchObject({ code: -32601 });
  });

  it('times out a request with its own budget and surfaces JSON-RPC errors', async () => {
    fake.handlers.set('slow', () => new Promise(() => undefined));
    const t = transport();
    const { rpc } = session(t);
    await t.start();
    await expect(rpc.request('slow', undefined, 100)).rejects.toThrow(/no answer within 100 ms/);
    await expect(rpc.request('nope', undefined, 2000)).rejects.toBeInstanceOf(RpcError);
  });

  it('fails pending requests at once when the stream dies', async () => {
    fake.handlers.set('slow', () => new Promise(() => undefined));
    const t = transport();
    const { rpc } = session(t);
    await t.start();
    const pending = rpc.request('slow', undefined, 10_000);
    await waitFor('request sent', () =>
      fake.received.some((r) => r.session === t.sessionId && r.msg.method === 'slow'),
    );
    fake.drop(fake.sessions.find((x) => x.id === t.sessionId)!);
    await expect(pending).rejects.toBeInstanceOf(SessionLostError);
    await expect(rpc.request('ping', undefined, 1000)).rejects.toBeInstanceOf(SessionLostError);
  });
});

describe('RpcSession against the sandbox with its default knobs', () => {
  it('gets every answer in the POST body and on the stream, and settles each request once', async () => {
    const sb = await quietSandbox();
    try {
      const agent = sb.registerAgent({ name: 'dedup' });
      const t = new SseTransport({
        url: new URL('/mcp/sse', sb.url),
        apiKey: agent.apiKey,
        agent: 'a1',
        connectTimeoutMs: 2000,
        postTimeoutMs: 2000,
      });
      open.push(t);
      const { rpc, log, errors } = session(t);
      await t.start();
      const init = await rpc.request(
        'initialize',
        { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'relay', version: '1' } },
        2000,
      );
      expect(init).toMatchObject({ protocolVersion: '2024-11-05' });
      const results = await Promise.all([1, 2, 3].map(() => rpc.request('ping', undefined, 2000)));
      expect(results).toEqual([{}, {}, {}]);
      // Four requests, four answers in the body, four more on the stream: the second copy of each is dropped.
      await waitFor(
        'four duplicates dropped',
        () => log.lines.filter((l) => l.includes('dropped a response')).length === 4,
      );
      expect(errors).toEqual([]);
    } finally {
      await sb.close();
    }
  });
});
