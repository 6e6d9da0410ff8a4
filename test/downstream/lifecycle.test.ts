// Starting and stopping the server with clients still connected.
import { describe, expect, it } from 'vitest';
import { startDownstreamServer } from '../../src/relay/downstream';
import { memoryLogger } from '../../src/shared/log';
import { FakeRelayCore } from './fake-core';
import { RawSseClient, TOKENS, initializeBody, key, rawRequest, startTestRelay, streamableClient } from './helpers';
import { waitFor } from '../support/wait';

describe('server lifecycle', () => {
  it('closes with open streams and a request in flight, and stops listening to the core', async () => {
    const t = await startTestRelay();
    t.core.addHiring('alpha', { id: 'hl', delivery_mode: 'push' });
    t.core.workspaceGate = new Promise<void>(() => undefined);
    expect(t.core.listenerCount()).toBe(1);

    const streamable = await streamableClient(t.server.url, key(TOKENS.operator));
    const raw = new RawSseClient(t.server.url, key(TOKENS.workers.alpha));
    await raw.open();
    await raw.call('initialize', initializeBody().params as Record<string, unknown>);
    const inFlight = raw.post({
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'prepare_workspace', arguments: { hiring_id: 'hl' } },
    });
    await waitFor('the request to reach the core', () => t.core.calls.some((c) => c.method === 'prepareWorkspace'));
    expect(t.server.sessionCount()).toBe(2);

    await t.server.close();
    expect(t.server.sessionCount()).toBe(0);
    expect(t.core.listenerCount()).toBe(0);
    const answered = await inFlight.catch((e: unknown) => ({ status: 0, body: String(e) }));
    // either the POST got the "session closed" answer or its connection was cut; it never hangs
    if (answered.status !== 0) {
      expect(answered.body).toMatchObject({ id: 9, error: { message: expect.stringMatching(/session closed/) } });
    }
    await expect(rawRequest(`${t.server.url}/mcp/sse`, { headers: key(TOKENS.operator) })).rejects.toThrow();
    await t.server.close(); // a second close is harmless
    raw.close();
    await streamable.client.close();
  });

  it('answers 404 with the envelope outside the MCP paths, and 405 for wrong methods', async () => {
    const t = await startTestRelay();
    try {
      const other = await rawRequest(`${t.server.url}/api/v1/hirings`, { headers: key(TOKENS.operator) });
      expect(other.status).toBe(404);
      expect(JSON.parse(other.body)).toMatchObject({ data: null, errors: [{ code: 'NOT_FOUND' }] });
      const postSse = await rawRequest(`${t.server.url}/mcp/sse`, {
        method: 'POST',
        headers: key(TOKENS.operator),
        body: '{}',
      });
      expect(postSse.status).toBe(405);
      const getMessages = await rawRequest(`${t.server.url}/mcp/messages/abc`, { headers: key(TOKENS.operator) });
      expect(getMessages.status).toBe(405);
      const put = await rawRequest(`${t.server.url}/mcp`, { method: 'PUT', headers: key(TOKENS.operator), body: '{}' });
      expect(put.status).toBe(405);
    } finally {
      await t.server.close();
    }
  });

  it('refuses a body over the size limit with 413', async () => {
    const t = await startTestRelay({ maxBodyBytes: 1024 });
    const raw = new RawSseClient(t.server.url, key(TOKENS.operator));
    await raw.open();
    try {
      const big = await raw
        .post({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(4096) } })
        .catch(() => ({ status: 413 }));
      expect(big.status).toBe(413);
      expect((await raw.call('ping')).result).toEqual({});
    } finally {
      raw.close();
      await t.server.close();
    }
  });

  it('binds 127.0.0.1 by default and reports its URL and port', async () => {
    const core = new FakeRelayCore();
    const server = await startDownstreamServer({ core, port: 0, tokens: TOKENS, keepAliveMs: 0, log: memoryLogger() });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.port).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
