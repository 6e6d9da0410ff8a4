// Roles by token, re-authentication of every request, and the Host/Origin checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostOriginProblem } from '../../src/relay/downstream/auth';
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
  streamableClient,
  textOf,
  type TestRelay,
} from './helpers';

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay({ allowedHosts: ['relay.internal'] });
  t.core.addHiring('alpha', { id: 'ha' });
  t.core.addHiring('beta', { id: 'hb' });
  await t.core.submitResult({ role: 'worker', agent: 'beta', name: 'beta' }, { hiring_id: 'hb', output: 'done' });
});

afterAll(async () => {
  await t.server.close();
});

const sseUrl = () => `${t.server.url}/mcp/sse`;

describe('tokens', () => {
  it.each([
    ['X-API-Key', { 'X-API-Key': TOKENS.operator }],
    ['Api-Key', { 'Api-Key': TOKENS.operator }],
    ['Authorization: Bearer', { Authorization: `Bearer ${TOKENS.operator}` }],
    ['Authorization: ApiKey', { Authorization: `ApiKey ${TOKENS.workers.alpha}` }],
  ])('accepts the token in %s', async (_name, headers) => {
    const res = await rawRequest(sseUrl(), { headers });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^event: endpoint\ndata: \/mcp\/messages\//);
  });

  it('answers a missing or wrong token with 401 and the error envelope, never echoing the token', async () => {
    const variants: Record<string, string>[] = [
      {},
      { 'X-API-Key': 'wrong-token-value' },
      { Authorization: 'Basic abc' },
    ];
    for (const headers of variants) {
      const res = await rawRequest(sseUrl(), { headers });
      expect(res.status).toBe(401);
      const body = JSON.parse(res.body) as { data: null; errors: { code: string; message: string }[] };
      expect(body.data).toBeNull();
      expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
      expect(res.body).not.toContain('wrong-token-value');
    }
    const streamable = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers: {
        'X-API-Key': 'nope-nope-nope',
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(initializeBody()),
    });
    expect(streamable.status).toBe(401);
    await expect(streamableClient(t.server.url, key('nope-nope-nope'))).rejects.toThrow();
  });

  it('re-authenticates every POST of a legacy session: another valid token gets 403, a bad one 401', async () => {
    const raw = new RawSseClient(t.server.url, key(TOKENS.workers.alpha));
    await raw.open();
    try {
      const other = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' }, key(TOKENS.workers.beta));
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ errors: [{ code: 'FORBIDDEN' }] });
      const op = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' }, key(TOKENS.operator));
      expect(op.status).toBe(403);
      const none = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' }, {});
      expect(none.status).toBe(401);
      const own = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(own.status).toBe(200);
    } finally {
      raw.close();
    }
  });

  it('re-authenticates every request of a Streamable HTTP session', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const sid = (c.client.transport as unknown as { sessionId: string }).sessionId;
      const res = await rawRequest(`${t.server.url}/mcp`, {
        method: 'POST',
        headers: {
          ...key(TOKENS.workers.beta),
          'Mcp-Session-Id': sid,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(res.status).toBe(403);
      const del = await rawRequest(`${t.server.url}/mcp`, {
        method: 'DELETE',
        headers: { ...key(TOKENS.operator), 'Mcp-Session-Id': sid },
      });
      expect(del.status).toBe(403);
      expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});

describe('roles', () => {
  it('shows a worker only its own agent', async () => {
    const c = await sseClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const pending = resourceJson<{ id: string }[]>(await c.client.readResource({ uri: 'hiring://pending' }));
      expect(pending.map((h) => h.id)).toEqual(['ha']);
      const all = resourceJson<{ hiring: { id: string } }[]>(await c.client.readResource({ uri: 'relay://hirings' }));
      expect(all.map((v) => v.hiring.id)).toEqual(['ha']);
      expect(resourceJson(await c.client.readResource({ uri: 'review://queue' }))).toEqual([]);
      await expect(c.client.readResource({ uri: 'hiring://hb' })).rejects.toThrow(/hb/);
      await expect(c.client.subscribeResource({ uri: 'hiring://hb' })).rejects.toThrow(/hb/);
      const list = await c.client.listResources();
      expect(list.resources.map((r) => r.uri)).not.toContain('hiring://hb');
    } finally {
      await c.close();
    }
  });

  it('shows the operator every agent and the whole review queue', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const pending = resourceJson<{ id: string }[]>(await c.client.readResource({ uri: 'hiring://pending' }));
      expect(pending.map((h) => h.id).sort()).toEqual(['ha', 'hb']);
      const queue = resourceJson<{ hiringId: string; agent: string }[]>(
        await c.client.readResource({ uri: 'review://queue' }),
      );
      expect(queue).toEqual([expect.objectContaining({ hiringId: 'hb', agent: 'beta' })]);
    } finally {
      await c.close();
    }
  });

  it('lists approve/reject only for the operator and refuses them to a worker', async () => {
    const w = await streamableClient(t.server.url, key(TOKENS.workers.beta));
    const op = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const names = (await w.client.listTools()).tools.map((x) => x.name);
      expect(names).not.toContain('approve_submission');
      expect(names).not.toContain('reject_submission');
      const subId = t.core.reviewQueue({ role: 'operator', name: 'operator' })[0]!.id;
      const refused = await w.client.callTool({ name: 'approve_submission', arguments: { submission_id: subId } });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/only the operator can approve/i);
      expect(t.core.submissions.get(subId)?.state).toBe('awaiting_review');
      const rejectRefused = await w.client.callTool({
        name: 'reject_submission',
        arguments: { submission_id: subId, feedback: 'x' },
      });
      expect(rejectRefused.isError).toBe(true);

      const approved = await op.client.callTool({ name: 'approve_submission', arguments: { submission_id: subId } });
      expect(approved.isError).toBeFalsy();
      expect(jsonOf(approved)).toMatchObject({ id: subId, state: 'approved' });
    } finally {
      await w.close();
      await op.close();
    }
  });
});

describe('Host and Origin (DNS rebinding)', () => {
  it('refuses a foreign Host with 403 before looking at the token', async () => {
    const res = await rawRequest(sseUrl(), {
      headers: { Host: `evil.example:${t.server.port}`, ...key(TOKENS.operator) },
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'FORBIDDEN' }] });
    const wrongPort = await rawRequest(sseUrl(), {
      headers: { Host: `127.0.0.1:${t.server.port + 1}`, ...key(TOKENS.operator) },
    });
    expect(wrongPort.status).toBe(403);
  });

  it('refuses a foreign Origin with 403 and accepts loopback and VS Code origins', async () => {
    const evil = await rawRequest(sseUrl(), { headers: { Origin: 'http://evil.example', ...key(TOKENS.operator) } });
    expect(evil.status).toBe(403);
    const nullOrigin = await rawRequest(sseUrl(), { headers: { Origin: 'null', ...key(TOKENS.operator) } });
    expect(nullOrigin.status).toBe(403);
    for (const origin of ['http://localhost:3000', 'vscode-webview://abc123', 'vscode-file://vscode-app']) {
      const ok = await rawRequest(sseUrl(), { headers: { Origin: origin, ...key(TOKENS.operator) } });
      expect(ok.status).toBe(200);
    }
  });

  it('accepts hosts listed in allowedHosts', async () => {
    const res = await rawRequest(sseUrl(), { headers: { Host: 'relay.internal:8080', ...key(TOKENS.operator) } });
    expect(res.status).toBe(200);
  });

  it('judges Host and Origin headers', () => {
    expect(hostOriginProblem({ host: 'localhost:7391' }, 7391)).toBeUndefined();
    expect(hostOriginProblem({ host: '127.0.0.1:7391' }, 7391)).toBeUndefined();
    expect(hostOriginProblem({ host: '[::1]:7391' }, 7391)).toBeUndefined();
    expect(hostOriginProblem({ host: 'localhost' }, 80)).toBeUndefined();
    expect(hostOriginProblem({}, 7391)).toMatch(/no Host/);
    expect(hostOriginProblem({ host: 'attacker.example:7391' }, 7391)).toMatch(/not this relay/);
    expect(hostOriginProblem({ host: '127.0.0.1.nip.io:7391' }, 7391)).toMatch(/not this relay/);
    expect(hostOriginProblem({ host: 'localhost:7391', origin: 'https://127.0.0.1' }, 7391)).toBeUndefined();
    expect(hostOriginProblem({ host: 'localhost:7391', origin: 'https://attacker.example' }, 7391)).toMatch(/Origin/);
    expect(hostOriginProblem({ host: 'localhost:7391', origin: 'not a url' }, 7391)).toMatch(/Origin/);
  });
});
