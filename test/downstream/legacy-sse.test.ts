// Legacy HTTP+SSE at /mcp/sse + /mcp/messages/<id>, as Agrenting serves it: the
// SDK's SSE client and a tutorial-style client that reads answers from POST bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RawSseClient,
  TOKENS,
  initializeBody,
  jsonOf,
  key,
  rawRequest,
  resourceJson,
  sseClient,
  startTestRelay,
  type TestRelay,
} from './helpers';
import { waitFor } from '../support/wait';

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay({ keepAliveMs: 20 });
  t.core.addHiring('alpha', { id: 'h1', task_description: 'Add a README' });
});

afterAll(async () => {
  await t.server.close();
});

describe('legacy SSE with the SDK SSEClientTransport', () => {
  it('works end to end and is not confused by responses in the POST bodies', async () => {
    const c = await sseClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const pending = resourceJson<{ id: string }[]>(await c.client.readResource({ uri: 'hiring://pending' }));
      expect(pending.map((h) => h.id)).toEqual(['h1']);
      const claimed = jsonOf<{ claimedBy: string; phase: string }>(
        await c.client.callTool({ name: 'claim_hiring', arguments: { hiring_id: 'h1' } }),
      );
      expect(claimed).toMatchObject({ claimedBy: 'alpha', phase: 'claimed' });
      // several requests in flight at once each resolve with their own answer
      const [tools, prompt, status] = await Promise.all([
        c.client.listTools(),
        c.client.getPrompt({ name: 'system-prompt' }),
        c.client.readResource({ uri: 'relay://status' }),
      ]);
      expect(tools.tools.map((x) => x.name)).toContain('claim_hiring');
      expect(prompt.messages).toHaveLength(1);
      expect(resourceJson<{ links: { agent: string }[] }>(status).links.map((l) => l.agent)).toEqual(['alpha']);
      expect(c.errors).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('drops the session when the client goes away', async () => {
    await waitFor('earlier sessions to end', () => t.server.sessionCount() === 0);
    const before = 0;
    const c = await sseClient(t.server.url, key(TOKENS.operator));
    expect(t.server.sessionCount()).toBe(before + 1);
    await c.close();
    await waitFor('the session to be dropped', () => t.server.sessionCount() === before);
  });
});

describe('legacy SSE with a tutorial-style raw client', () => {
  it('announces /mcp/messages/<id> and answers each POST with 200 and the response in the body and on the stream', async () => {
    const raw = new RawSseClient(t.server.url, { 'X-API-Key': TOKENS.workers.alpha });
    await raw.open();
    try {
      expect(raw.endpoint).toMatch(/^\/mcp\/messages\/[0-9a-f-]{36}$/);
      const init = await raw.call('initialize', initializeBody().params as Record<string, unknown>);
      expect(init.result).toMatchObject({
        protocolVersion: '2024-11-05',
        capabilities: { resources: { subscribe: true }, tools: {}, prompts: {} },
      });
      // the tutorial's spelling and the spec's are both accepted
      expect(await raw.notify('initialized')).toBe(202);
      expect(await raw.notify('notifications/initialized')).toBe(202);

      const sub = await raw.call('resources/subscribe', { uri: 'hiring://pending' });
      expect(sub.result).toEqual({});
      const read = await raw.call('resources/read', { uri: 'hiring://pending' });
      const contents = (read.result as { contents: { text: string }[] }).contents;
      expect(JSON.parse(contents[0]!.text)).toEqual([
        expect.objectContaining({ id: 'h1', relay: expect.objectContaining({ agent: 'alpha' }) }),
      ]);

      const call = await raw.call('tools/call', {
        name: 'add_hiring_message',
        arguments: { hiring_id: 'h1', content: 'On it.' },
      });
      expect(call.result).toMatchObject({ content: [{ type: 'text' }] });
      expect(JSON.parse((call.result as { content: { text: string }[] }).content[0]!.text)).toMatchObject({
        tool: 'add_hiring_message',
        hiringId: 'h1',
      });

      // the same responses travelled on the stream too
      await waitFor('the tools/call response on the stream', () => raw.messages().some((m) => m.id === call.id));
      const streamed = raw.messages().find((m) => m.id === call.id);
      expect(streamed).toEqual(call);
      expect(raw.messages().filter((m) => m.id === init.id)).toHaveLength(1);
    } finally {
      raw.close();
    }
  });

  it('answers an unknown method with a JSON-RPC error in the body', async () => {
    const raw = new RawSseClient(t.server.url, { Authorization: `ApiKey ${TOKENS.operator}` });
    await raw.open();
    try {
      await raw.call('initialize', initializeBody().params as Record<string, unknown>);
      const answer = await raw.call('no/such/method');
      expect(answer.error?.code).toBe(-32601);
    } finally {
      raw.close();
    }
  });

  it('sends keep-alive comments on the stream', async () => {
    const raw = new RawSseClient(t.server.url, key(TOKENS.operator));
    await raw.open();
    try {
      await waitFor('two keep-alive comments', () => raw.comments.length >= 2);
      expect(raw.comments[0]?.trim()).toBe('keepalive');
    } finally {
      raw.close();
    }
  });

  it('answers a POST to an unknown session with 404 and a JSON error', async () => {
    const res = await rawRequest(`${t.server.url}/mcp/messages/00000000-0000-0000-0000-000000000000`, {
      method: 'POST',
      headers: { ...key(TOKENS.operator), 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({
      data: null,
      errors: [{ code: 'NOT_FOUND', message: expect.stringMatching(/GET \/mcp\/sse/) }],
    });
  });

  it('answers a malformed body with a JSON-RPC parse error and keeps the session working', async () => {
    const raw = new RawSseClient(t.server.url, key(TOKENS.operator));
    await raw.open();
    try {
      const bad = await raw.post('{"jsonrpc":"2.0","id":1,');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
      const notRpc = await raw.post({ hello: 'world' });
      expect(notRpc.status).toBe(400);
      expect(notRpc.body).toMatchObject({ error: { code: -32600 } });
      const empty = await raw.post([]);
      expect(empty.status).toBe(400);
      const init = await raw.call('initialize', initializeBody().params as Record<string, unknown>);
      expect(init.result).toMatchObject({ protocolVersion: '2024-11-05' });
    } finally {
      raw.close();
    }
  });

  it('answers a batch with an array of responses', async () => {
    const raw = new RawSseClient(t.server.url, key(TOKENS.operator));
    await raw.open();
    try {
      await raw.call('initialize', initializeBody().params as Record<string, unknown>);
      const batch = await raw.post([
        { jsonrpc: '2.0', id: 'a', method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
      ]);
      expect(batch.status).toBe(200);
      const answers = batch.body as { id: string }[];
      expect(answers.map((a) => a.id)).toEqual(['a', 'b']);
    } finally {
      raw.close();
    }
  });

  it('answers the POST of a request the client cancelled instead of leaving it hanging', async () => {
    let release: () => void = () => undefined;
    t.core.addHiring('alpha', { id: 'h-slow', delivery_mode: 'push' });
    t.core.workspaceGate = new Promise<void>((r) => (release = r));
    const raw = new RawSseClient(t.server.url, key(TOKENS.workers.alpha));
    await raw.open();
    try {
      await raw.call('initialize', initializeBody().params as Record<string, unknown>);
      const pending = raw.post({
        jsonrpc: '2.0',
        id: 77,
        method: 'tools/call',
        params: { name: 'prepare_workspace', arguments: { hiring_id: 'h-slow' } },
      });
      await waitFor('prepare_workspace to start', () => t.core.calls.some((c) => c.method === 'prepareWorkspace'));
      await raw.post({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 77, reason: 'user gave up' },
      });
      const answer = await pending;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: 77, error: { message: expect.stringMatching(/cancelled/) } });
    } finally {
      release();
      t.core.workspaceGate = undefined;
      raw.close();
    }
  });
});
