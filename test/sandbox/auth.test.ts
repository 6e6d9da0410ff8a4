// Authentication on every surface: the SSE GET, every POST, REST. Each accepted
// header form works; a missing or wrong key gets 401 with the error envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index';
import { authHeaders, RawSession, rest, testSandbox, type HeaderForm } from './helpers';

let sandbox: Sandbox;
let agent: { id: string; apiKey: string };
beforeAll(async () => {
  sandbox = await testSandbox();
  agent = sandbox.registerAgent();
});
afterAll(() => sandbox.close());

const forms: HeaderForm[] = ['x-api-key', 'api-key', 'bearer', 'apikey'];

function expectEnvelope(json: unknown, code = 'UNAUTHORIZED'): void {
  expect(json).toMatchObject({ data: null, errors: [{ code, message: expect.any(String) }] });
}

describe.each(forms)('header form %s', (form) => {
  it('opens the SSE stream, POSTs to the session and calls REST', async () => {
    const raw = await RawSession.open(sandbox.url, authHeaders(agent.apiKey, form));
    try {
      const answer = await raw.request('ping');
      expect(answer.http.status).toBe(200);
      expect(answer.result).toMatchObject({ result: {} });
    } finally {
      raw.close();
    }
    const res = await fetch(`${sandbox.url}/api/v1/hirings/pending`, { headers: authHeaders(agent.apiKey, form) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: [] });
  });
});

describe('rejections', () => {
  it('answers 401 with the envelope for a missing or wrong key on the SSE GET', async () => {
    for (const headers of [
      {},
      ...forms.map((f) => authHeaders('wrong-key', f)),
      authHeaders(sandbox.userToken),
      { Authorization: `Basic ${agent.apiKey}` },
    ]) {
      const res = await fetch(`${sandbox.url}/mcp/sse`, { headers });
      expect(res.status).toBe(401);
      expectEnvelope(await res.json());
    }
  });

  it('answers 401 on a POST to a live session without the key or with a wrong one', async () => {
    const raw = await RawSession.open(sandbox.url, authHeaders(agent.apiKey));
    try {
      for (const headers of [{}, authHeaders('nope', 'bearer')]) {
        const res = await raw.post({ jsonrpc: '2.0', id: 1, method: 'ping' }, headers);
        expect(res.status).toBe(401);
        expectEnvelope(await res.json());
      }
    } finally {
      raw.close();
    }
  });

  it('answers 401 on REST for wrong keys and for the wrong kind of credential', async () => {
    expectEnvelope((await rest(sandbox, 'GET', '/api/v1/hirings/pending', 'bad')).json);
    const h = await rest(sandbox, 'POST', '/api/v1/hirings/x/result', 'bad', { output: 'x' });
    expect(h.status).toBe(401);
    const asAgent = await rest(sandbox, 'POST', '/api/v1/agents', agent.apiKey, { agent: { name: 'sneaky' } });
    expect(asAgent.status).toBe(401);
    expectEnvelope(asAgent.json);
    const asUser = await rest(sandbox, 'GET', '/api/v1/hirings/pending', sandbox.userToken);
    expect(asUser.status).toBe(401);
    const noRoute = await rest(sandbox, 'GET', '/api/v1/nothing', agent.apiKey);
    expect(noRoute.status).toBe(404);
    expectEnvelope(noRoute.json, 'NOT_FOUND');
  });

  it('guards the inspection endpoints with the user token', async () => {
    expect((await fetch(`${sandbox.url}/_sandbox/state`)).status).toBe(401);
    expect((await fetch(`${sandbox.url}/_sandbox/state`, { headers: authHeaders(agent.apiKey) })).status).toBe(401);
    const ok = await fetch(`${sandbox.url}/_sandbox/state`, {
      headers: { Authorization: `Bearer ${sandbox.userToken}` },
    });
    expect(ok.status).toBe(200);
  });
});
