// The agent REST surface: pending list, one hiring, result/failure/messages with
// the platform's codes, idempotent retries, rate limits and injected faults.
import { afterEach, describe, expect, it } from 'vitest';
import type { PlatformHiring, Sandbox } from '../../src/sandbox/index';
import { rest, sdkAgent, testSandbox, type SdkAgent } from './helpers';
import { waitFor } from '../support/wait';

let sandbox: Sandbox | undefined;
let sdk: SdkAgent | undefined;
afterEach(async () => {
  await sdk?.close();
  sdk = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

/** A sandbox with one agent that has a live session (so hires pass the probe). */
async function setup(knobs: Parameters<typeof testSandbox>[0] = {}) {
  sandbox = await testSandbox(knobs);
  const agent = sandbox.registerAgent({ name: 'rest' });
  sdk = await sdkAgent(sandbox, agent.apiKey);
  return { sb: sandbox, agent };
}

describe('reading hirings', () => {
  it('lists only paid hirings by default and every active one with restPending=active', async () => {
    const { sb, agent } = await setup();
    const working = await sb.hire(agent.id, { task_description: 'in progress one' });
    sb.knobs.newHiringStatus = 'paid';
    const paid = await sb.hire(agent.id, { task_description: 'paid one' });
    const documented = await rest(sb, 'GET', '/api/v1/hirings/pending', agent.apiKey);
    expect((documented.json.data as PlatformHiring[]).map((h) => h.id)).toEqual([paid.id]);
    sb.knobs.restPending = 'active';
    const all = await rest(sb, 'GET', '/api/v1/hirings/pending', agent.apiKey);
    expect((all.json.data as PlatformHiring[]).map((h) => h.id)).toEqual([working.id, paid.id]);
  });

  it('serves one hiring, 404 for unknown ones and 403 for another agent’s', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'mine' });
    const other = sb.registerAgent();
    expect((await rest(sb, 'GET', `/api/v1/hirings/${h.id}`, agent.apiKey)).json.data).toMatchObject({
      id: h.id,
      status: 'in_progress',
    });
    expect((await rest(sb, 'GET', '/api/v1/hirings/nope', agent.apiKey)).status).toBe(404);
    expect((await rest(sb, 'GET', `/api/v1/hirings/${h.id}`, other.apiKey)).status).toBe(403);
  });
});

describe('deliveries', () => {
  it('completes with `output`, then answers 404 for an already completed hiring', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'deliver', price: '30.00' });
    const first = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, {
      output: { summary: 'ok' },
      artifacts: [{ artifact_type: 'file', name: 'a.bin', content: Buffer.from('abc').toString('base64') }],
    });
    expect(first.status).toBe(200);
    expect(first.json.data).toMatchObject({
      status: 'completed',
      task_output: { summary: 'ok' },
      artifacts: [{ name: 'a.bin', size_bytes: 3 }],
    });
    const second = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, {
      output: { summary: 'ok' },
    });
    expect(second.status).toBe(404);
    expect(second.json).toMatchObject({
      data: null,
      errors: [{ code: 'NOT_FOUND', message: expect.stringMatching(/already completed/) }],
    });
    const state = sb.inspect();
    expect(state.balances.agents[agent.id]).toBe('30.00');
    expect(state.balances.escrow).toBe('0.00');
    expect(sb.hiring(h.id)?.deliveries.map((d) => `${d.via}:${d.outcome}:${d.status}`)).toEqual([
      'rest:accepted:200',
      'rest:rejected:404',
    ]);
  });

  it('rejects artifacts that break the platform rules, leaving the hiring open', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'artifacts' });
    const url = `/api/v1/hirings/${h.id}/result`;
    const notBase64 = await rest(sb, 'POST', url, agent.apiKey, {
      output: 'x',
      artifacts: [{ artifact_type: 'image', name: 'a.png', content: '%%%not base64%%%' }],
    });
    expect(notBase64.json).toMatchObject({
      errors: [{ code: 'VALIDATION_ERROR', message: expect.stringMatching(/must be base64/) }],
    });
    const big = await rest(sb, 'POST', url, agent.apiKey, {
      output: 'x',
      artifacts: [{ artifact_type: 'text', name: 'big.txt', content: 'x'.repeat(1024 * 1024 + 1) }],
    });
    expect(big.json).toMatchObject({ errors: [{ message: expect.stringMatching(/limited to 1048576/) }] });
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ artifact_type: 'text', name: `f${i}`, content: 'x' }));
    expect((await rest(sb, 'POST', url, agent.apiKey, { output: 'x', artifacts: tooMany })).status).toBe(422);
    expect(sb.hiring(h.id)?.status).toBe('in_progress');
  });

  it('accepts the older `result` spelling', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'old docs' });
    const res = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, { result: { text: 'legacy' } });
    expect(res.status).toBe(200);
    expect(sb.hiring(h.id)?.output).toEqual({ text: 'legacy' });
  });

  it('reports failure with a refund, adds messages with 201, and validates bodies', async () => {
    const { sb, agent } = await setup();
    const before = sb.inspect().balances.customers[sb.customerId];
    const h = await sb.hire(agent.id, { task_description: 'fail me', price: '12.50' });
    const msg = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, {
      content: 'Question?',
      kind: 'question',
    });
    expect(msg.status).toBe(201);
    expect(msg.json.data).toMatchObject({ content: 'Question?', kind: 'question', sender_type: 'agent' });
    expect((await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, {})).status).toBe(422);
    expect((await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, '{not json')).json).toMatchObject({
      errors: [{ code: 'VALIDATION_ERROR' }],
    });
    expect(
      (await rest(sb, 'POST', `/api/v1/hirings/${h.id}/failure`, agent.apiKey, { reason: 'x', error: 'nonsense' }))
        .status,
    ).toBe(422);
    const failed = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/failure`, agent.apiKey, {
      reason: 'too hard',
      error: 'timeout',
    });
    expect(failed.status).toBe(200);
    expect(failed.json.data).toMatchObject({ status: 'failed', failed_reason: 'timeout: too hard' });
    expect(sb.inspect().balances.customers[sb.customerId]).toBe(before);
    expect((await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, { content: 'late' })).status).toBe(
      422,
    );
    expect((await rest(sb, 'POST', `/api/v1/hirings/${h.id}/failure`, agent.apiKey, { reason: 'again' })).status).toBe(
      404,
    );
  });
});

describe('X-Idempotency-Key', () => {
  it('replays the original answer for the same body and rejects another body with 422', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'idem' });
    const key = { 'X-Idempotency-Key': 'key-1' };
    const first = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, { output: 'same' }, key);
    const replay = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, { output: 'same' }, key);
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual(first.json);
    const other = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/result`, agent.apiKey, { output: 'different' }, key);
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ errors: [{ code: 'IDEMPOTENCY_MISMATCH' }] });
    expect(sb.hiring(h.id)?.deliveries.map((d) => `${d.outcome}:${d.idempotencyKey}`)).toEqual([
      'accepted:key-1',
      'replayed:key-1',
      'rejected:key-1',
    ]);
  });

  it('answers 409 IDEMPOTENCY_PENDING while the first request is still running', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'slow' });
    sb.knobs.latencyMs = 400;
    const key = { 'X-Idempotency-Key': 'slow-key' };
    const first = rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, { content: 'hello' }, key);
    await waitFor('pending key', () =>
      sb.inspect().idempotency.some((e) => e.key === 'slow-key' && e.state === 'pending'),
    );
    const second = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, { content: 'hello' }, key);
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ errors: [{ code: 'IDEMPOTENCY_PENDING' }] });
    expect((await first).status).toBe(201);
    sb.knobs.latencyMs = 0;
    expect(sb.hiring(h.id)?.messages).toHaveLength(1);
  });

  it('keeps keys per agent: the same key from two agents are two requests', async () => {
    const { sb, agent } = await setup();
    const h = await sb.hire(agent.id, { task_description: 'scoped' });
    const other = sb.registerAgent();
    const key = { 'X-Idempotency-Key': 'shared' };
    expect(
      (await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, agent.apiKey, { content: 'a' }, key)).status,
    ).toBe(201);
    expect(
      (await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, other.apiKey, { content: 'a' }, key)).status,
    ).toBe(403);
  });
});

describe('rate limits and faults', () => {
  it('sends rate-limit headers and 429 with retry-after past the limit', async () => {
    const { sb, agent } = await setup({ rateLimitPerMinute: 3 });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await rest(sb, 'GET', '/api/v1/hirings/pending', agent.apiKey);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      remaining.push(r.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await rest(sb, 'GET', '/api/v1/hirings/pending', agent.apiKey);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.json).toMatchObject({ data: null, errors: [{ code: 'RATE_LIMIT_EXCEEDED' }] });
    const other = sb.registerAgent();
    expect((await rest(sb, 'GET', '/api/v1/hirings/pending', other.apiKey)).status).toBe(200);
  });

  it('injects 500 and 429 faults at a seeded, reproducible rate', async () => {
    const statuses = async (seed: number) => {
      const s = await testSandbox({ faultRest5xxRate: 0.3, faultRest429Rate: 0.3, faultSeed: seed });
      const a = s.registerAgent();
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await rest(s, 'GET', '/api/v1/hirings/pending', a.apiKey)).status);
      await s.close();
      return out;
    };
    const a = await statuses(42);
    expect(await statuses(42)).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(429);
    expect(a).toContain(200);
  });
});
