// The MCP transport seen over raw HTTP: endpoint forms, POST answer forms, both
// initialized spellings, server pings answered by POST, session expiry, faults,
// and malformed input — what an SDK would hide.
import { afterEach, describe, expect, it } from 'vitest';
import { PENDING_URI, TOOL, hiringUri } from '../../src/shared/protocol';
import type { PlatformHiring, Sandbox } from '../../src/sandbox/index';
import { authHeaders, RawSession, testSandbox } from './helpers';
import { waitFor } from '../support/wait';

let sandbox: Sandbox | undefined;
const raws: RawSession[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await sandbox?.close();
  sandbox = undefined;
});

async function setup(knobs: Parameters<typeof testSandbox>[0] = {}) {
  sandbox = await testSandbox(knobs);
  const agent = sandbox.registerAgent({ name: 'raw' });
  const open = async (key = agent.apiKey) => {
    const r = await RawSession.open(sandbox!.url, authHeaders(key));
    raws.push(r);
    return r;
  };
  return { sandbox, agent, open };
}

/** Answers every server ping on the stream, as a client must. */
function answerPings(raw: RawSession): () => void {
  const answered = new Set<unknown>();
  const timer = setInterval(() => {
    for (const m of raw.messages()) {
      if (m.method === 'ping' && !answered.has(m.id)) {
        answered.add(m.id);
        void raw.post({ jsonrpc: '2.0', id: m.id, result: {} });
      }
    }
  }, 5);
  return () => clearInterval(timer);
}

describe('endpoint event and POST answers', () => {
  it('by default answers POSTs 200 with the response in the body and on the stream (what the tutorial reads)', async () => {
    const { open } = await setup();
    const raw = await open();
    const init = await raw.request('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    });
    expect(init.http.status).toBe(200);
    expect(JSON.parse(init.body)).toEqual(init.result);
  });

  it('sends a relative endpoint and, with postAnswer=accepted, answers POSTs 202 with the response on the stream only', async () => {
    const { open } = await setup({ postAnswer: 'accepted' });
    const raw = await open();
    expect(raw.endpoint).toMatch(/^\/mcp\/messages\/[0-9a-f-]{36}$/);
    const init = await raw.request('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    });
    expect(init.http.status).toBe(202);
    expect(init.body).toBe('');
    expect(init.result.result).toMatchObject({
      protocolVersion: '2024-11-05',
      capabilities: { tools: {}, resources: { subscribe: true }, prompts: {} },
    });
  });

  it('sends an absolute endpoint when asked, and answers 200 with the response in the body AND on the stream', async () => {
    const { sandbox: sb, open } = await setup({ endpointEvent: 'absolute', postAnswer: 'body' });
    const raw = await open();
    expect(raw.endpoint.startsWith(`${sb.url}/mcp/messages/`)).toBe(true);
    const list = await raw.request('tools/list');
    expect(list.http.status).toBe(200);
    expect(JSON.parse(list.body)).toEqual(list.result);
    expect(raw.messages().filter((m) => m.id === list.result.id)).toHaveLength(1);
  });

  it('accepts both spellings of the initialized notification', async () => {
    const { sandbox: sb, open } = await setup();
    const a = await open();
    const b = await open();
    await a.handshake('notifications/initialized');
    await b.handshake('initialized');
    const sessions = sb.inspect().sessions;
    expect(sessions.find((s) => s.id === a.sessionId)?.initialized).toBe(true);
    expect(sessions.find((s) => s.id === b.sessionId)?.initialized).toBe(true);
  });

  it('works for a client written like the tutorial: every answer read from the POST body', async () => {
    const { sandbox: sb, agent, open } = await setup();
    const raw = await open();
    const stopPings = answerPings(raw);
    let id = 0;
    const call = async (method: string, params?: Record<string, unknown>) => {
      const res = await raw.post({ jsonrpc: '2.0', id: ++id, method, ...(params ? { params } : {}) });
      return ((await res.json()) as { result: Record<string, unknown> }).result;
    };
    expect(
      await call('initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'tutorial', version: '1' },
      }),
    ).toMatchObject({ protocolVersion: '2024-11-05' });
    expect((await raw.post({ jsonrpc: '2.0', method: 'initialized' })).status).toBe(202);
    expect(await call('resources/subscribe', { uri: PENDING_URI })).toEqual({});
    const hired = await sb.hire(agent.id, { task_description: 'tutorial task' });
    const read = (await call('resources/read', { uri: PENDING_URI })) as { contents: { text: string }[] };
    const pending = JSON.parse(read.contents[0].text) as PlatformHiring[];
    expect(pending.map((h) => h.id)).toEqual([hired.id]);
    const done = (await call('tools/call', {
      name: TOOL.submitResult,
      arguments: { hiring_id: hired.id, output: { text: 'ok' } },
    })) as { isError?: boolean };
    expect(done.isError).toBeFalsy();
    stopPings();
    expect(sb.hiring(hired.id)?.status).toBe('completed');
  });
});

describe('notifications and resources', () => {
  it('notifies subscribers of hiring://pending and of hiring://{id}, and stops after unsubscribe', async () => {
    const { sandbox: sb, agent, open } = await setup({ ping: 'never' });
    const raw = await open();
    await raw.handshake();
    await raw.request('resources/subscribe', { uri: PENDING_URI });
    const h = await sb.hire(agent.id, { task_description: 'watch me' });
    await waitFor('pending update', () => raw.messages().some((m) => m.method === 'notifications/resources/updated'));
    await raw.request('resources/subscribe', { uri: hiringUri(h.id) });
    await raw.request('resources/unsubscribe', { uri: PENDING_URI });
    const mark = raw.messages().length;
    await raw.request('tools/call', { name: TOOL.emitChunk, arguments: { hiring_id: h.id, content: 'step 1' } });
    const after = () =>
      raw
        .messages()
        .slice(mark)
        .filter((m) => m.method === 'notifications/resources/updated');
    await waitFor('hiring update', () => after().length > 0);
    expect(after().map((m) => (m.params as { uri: string }).uri)).toEqual([hiringUri(h.id)]);
    const listed = await raw.request('resources/list');
    expect(JSON.stringify(listed.result)).toContain(PENDING_URI);
  });

  it('records an idempotency key passed in tools/call _meta', async () => {
    const { sandbox: sb, agent, open } = await setup({ ping: 'never' });
    const raw = await open();
    const h = await sb.hire(agent.id, { task_description: 'keyed' });
    const call = await raw.request('tools/call', {
      name: TOOL.addMessage,
      arguments: { hiring_id: h.id, content: 'hi' },
      _meta: { idempotency_key: 'mcp-key-1' },
    });
    expect(call.result.result).not.toHaveProperty('isError');
    expect(sb.hiring(h.id)?.deliveries).toEqual([
      expect.objectContaining({ via: 'mcp', tool: TOOL.addMessage, idempotencyKey: 'mcp-key-1', outcome: 'accepted' }),
    ]);
  });

  it('duplicates notifications when the fault knob says so', async () => {
    const {
      sandbox: sb,
      agent,
      open,
    } = await setup({ ping: 'never', newHiringStatus: 'queued', faultDuplicateNotificationRate: 1 });
    const raw = await open();
    await raw.request('resources/subscribe', { uri: PENDING_URI });
    await sb.hire(agent.id, { task_description: 'twice' });
    const updates = () => raw.messages().filter((m) => m.method === 'notifications/resources/updated');
    await waitFor('two updates', () => updates().length >= 2);
    expect(updates()).toHaveLength(2);
  });

  it('answers JSON-RPC errors for unknown methods, resources and missing params', async () => {
    const { open } = await setup();
    const raw = await open();
    expect((await raw.request('no/such')).result.error).toMatchObject({ code: -32601 });
    expect((await raw.request('resources/read', { uri: 'file:///etc/passwd' })).result.error).toMatchObject({
      code: -32002,
    });
    expect((await raw.request('resources/subscribe', {})).result.error).toMatchObject({ code: -32602 });
  });
});

describe('server ping and the availability probe', () => {
  it('sends ping with an id and hands the hiring over only when the client POSTs the answer', async () => {
    const { sandbox: sb, agent, open } = await setup({ newHiringStatus: 'queued' });
    const raw = await open();
    await raw.request('resources/subscribe', { uri: PENDING_URI });
    const hiring = sb.hire(agent.id, { task_description: 'pinged' });
    const ping = await waitFor('ping', () => raw.messages().find((m) => m.method === 'ping'));
    expect(ping.id).toBeDefined();
    const during = await raw.request('resources/read', { uri: PENDING_URI });
    expect(JSON.parse((during.result.result as { contents: { text: string }[] }).contents[0].text)).toEqual([]);
    expect(raw.messages().some((m) => m.method === 'notifications/resources/updated')).toBe(false);
    await raw.post({ jsonrpc: '2.0', id: ping.id, result: {} });
    const h = await hiring;
    expect(h.status).toBe('queued');
    expect(sb.hiring(h.id)?.probe).toMatchObject({ method: 'ping', ok: true });
    await waitFor('notification', () => raw.messages().some((m) => m.method === 'notifications/resources/updated'));
    expect(sb.inspect().agents[0].last_seen_at).not.toBeNull();
  });

  it('fails the hiring and refunds the hirer when the ping is not answered in time', async () => {
    const { sandbox: sb, agent, open } = await setup({ probeBudgetMs: 100 });
    const raw = await open();
    const before = sb.inspect().balances;
    const h = await sb.hire(agent.id, { task_description: 'ignored ping', price: '40.00' });
    expect(raw.messages().some((m) => m.method === 'ping')).toBe(true);
    expect(h.status).toBe('failed');
    expect(h.failed_reason).toMatch(/agent unavailable/);
    const after = sb.inspect();
    expect(after.balances.customers[sb.customerId]).toBe(before.customers[sb.customerId]);
    expect(after.balances.escrow).toBe('0.00');
    expect(after.probes.at(-1)).toMatchObject({ hiringId: h.id, ok: false });
  });

  it('fails the hiring when the client answers the ping with an error', async () => {
    const { sandbox: sb, agent, open } = await setup();
    const raw = await open();
    const t = setInterval(() => {
      const ping = raw.messages().find((m) => m.method === 'ping');
      if (ping) {
        clearInterval(t);
        void raw.post({ jsonrpc: '2.0', id: ping.id, error: { code: -32603, message: 'busy' } });
      }
    }, 5);
    const h = await sb.hire(agent.id, { task_description: 'error ping' });
    clearInterval(t);
    expect(h.status).toBe('failed');
  });
});

describe('session loss', () => {
  for (const code of ['404', '410'] as const) {
    it(`answers POSTs of an expired session with ${code}`, async () => {
      const { sandbox: sb, agent, open } = await setup({ sessionExpiry: code, sessionTtlMs: 30 });
      const raw = await open();
      await waitFor('expiry', () => sb.sessionCount(agent.id) === 0);
      const res = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(res.status).toBe(Number(code));
      expect(((await res.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/expired/);
    });
  }

  it('drops the stream after the TTL (sessionExpiry=drop), and the session is forgotten', async () => {
    const { sandbox: sb, agent, open } = await setup({ sessionExpiry: 'drop', sessionTtlMs: 30 });
    const raw = await open();
    await waitFor('stream end', () => raw.ended);
    expect(sb.sessionCount(agent.id)).toBe(0);
    expect((await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(404);
  });

  it('applies a live expiry change to open sessions', async () => {
    const { sandbox: sb, agent, open } = await setup();
    const raw = await open();
    sb.knobs.sessionTtlMs = 0;
    sb.knobs.sessionExpiry = 'drop';
    await waitFor('stream end', () => raw.ended);
    expect(sb.sessionCount(agent.id)).toBe(0);
  });

  it('dropSessions ends the streams of one agent', async () => {
    const { sandbox: sb, agent, open } = await setup();
    const other = sb.registerAgent();
    const mine = await open();
    const theirs = await open(other.apiKey);
    expect(sb.dropSessions(agent.id)).toBe(1);
    await waitFor('stream end', () => mine.ended);
    expect(theirs.ended).toBe(false);
    expect(sb.sessionCount()).toBe(1);
  });

  it('cuts a frame in half and destroys the stream (faultDropStreamRate=1)', async () => {
    const { sandbox: sb, agent, open } = await setup({ faultDropStreamRate: 1 });
    const raw = await open();
    await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await waitFor('stream end', () => raw.ended);
    expect(raw.raw).toMatch(/event: message\ndata: [^\n]*$/);
    expect(raw.messages()).toHaveLength(0);
    expect(sb.sessionCount(agent.id)).toBe(0);
  });

  it('sends keep-alive comments when asked', async () => {
    const { open, sandbox: sb } = await setup();
    const raw = await open();
    sb.knobs.keepAliveMs = 10;
    await waitFor('keep-alive', () => raw.comments.filter((c) => c === 'keep-alive').length >= 2);
    sb.knobs.keepAliveMs = 0;
  });
});

describe('bad POSTs', () => {
  it('rejects an unknown session, another agent, bad JSON and non-JSON-RPC bodies', async () => {
    const { sandbox: sb, open } = await setup();
    const raw = await open();
    const other = sb.registerAgent();
    const unknown = await fetch(`${sb.url}/mcp/messages/00000000-0000-0000-0000-000000000000`, {
      method: 'POST',
      headers: { ...raw.headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errors: { code: string }[] }).errors[0].code).toBe('NOT_FOUND');
    const foreign = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' }, authHeaders(other.apiKey));
    expect(foreign.status).toBe(403);
    const badJson = await raw.post('{"jsonrpc":');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: -32700 } });
    const notRpc = await raw.post({ hello: 'world' });
    expect(notRpc.status).toBe(400);
    expect(await notRpc.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('still answers with added latency', async () => {
    const { open } = await setup({ latencyMs: 20 });
    const raw = await open();
    expect((await raw.request('ping')).result).toMatchObject({ result: {} });
  });
});
