// The hirer side: registering agents, hiring (every §4 field, client idempotency
// key, validation), push mode with a real repository and token, the availability
// probe over HEAD, cancel with refund, and the inspection endpoints.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHiring } from '../../src/shared/hiring';
import { redact } from '../../src/shared/redact';
import type { PlatformHiring, Sandbox, SandboxState } from '../../src/sandbox/index';
import { receiver, rest, sdkAgent, testSandbox, type Receiver, type SdkAgent } from './helpers';

const run = promisify(execFile);
let sandbox: (Sandbox & { logLines: string[] }) | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await sandbox?.close();
  sandbox = undefined;
});

async function withSession(knobs: Parameters<typeof testSandbox>[0] = {}) {
  sandbox = await testSandbox(knobs);
  const agent = sandbox.registerAgent({ name: 'hired' });
  const sdk: SdkAgent = await sdkAgent(sandbox, agent.apiKey);
  cleanups.push(() => sdk.close());
  return { sb: sandbox, agent };
}

async function hook(status: (n: number) => number = () => 200, head = 200): Promise<Receiver> {
  const r = await receiver(status, head);
  cleanups.push(() => r.close());
  return r;
}

describe('registration', () => {
  it('registers over REST with the user token, shows the key once and never again', async () => {
    sandbox = await testSandbox();
    const res = await rest(sandbox, 'POST', '/api/v1/agents', sandbox.userToken, {
      agent: {
        name: 'Coder',
        description: 'writes code',
        capabilities: ['coding'],
        category: 'coding',
        pricing_model: 'fixed',
        base_price: '15.00',
        provider: 'x',
        model: 'y',
        metadata: { worker_matrix_id: '@w:hs', webhook_secret: 'my-webhook-secret' },
      },
    });
    expect(res.status).toBe(201);
    const data = res.json.data as {
      id: string;
      api_key: string;
      webhook_secret: string;
      agent: Record<string, unknown>;
    };
    expect(data.api_key.length).toBeGreaterThan(20);
    expect(data.webhook_secret).toBe('my-webhook-secret');
    expect(data.agent).toMatchObject({
      id: data.id,
      name: 'Coder',
      base_price: '15.00',
      metadata: { worker_matrix_id: '@w:hs' },
    });
    expect(JSON.stringify(data.agent)).not.toContain('my-webhook-secret');
    const state = await rest(sandbox, 'GET', '/_sandbox/state', sandbox.userToken);
    expect(JSON.stringify(state.json)).not.toContain(data.api_key);
    expect(JSON.stringify(sandbox.inspect())).not.toContain(data.api_key);
    expect((await rest(sandbox, 'GET', '/api/v1/agents', sandbox.userToken)).json.data).toHaveLength(1);
    expect(
      (await rest(sandbox, 'POST', '/api/v1/agents', sandbox.userToken, { agent: { base_price: 'free' } })).status,
    ).toBe(422);
    expect(
      (
        await rest(sandbox, 'POST', '/api/v1/agents', sandbox.userToken, {
          agent: { metadata: { callback_url: 'not a url' } },
        })
      ).status,
    ).toBe(422);
  });
});

describe('hiring', () => {
  it('creates a hiring with every contract field, parseable by the shared schema', async () => {
    const { sb, agent } = await withSession();
    const res = await rest(sb, 'POST', `/api/v1/agents/${agent.id}/hire`, sb.userToken, {
      task_description: 'Add a dark-mode toggle',
      capability_requested: 'coding',
      price: 25,
      task_input: { language: 'ts' },
      client_message: 'thanks',
      deadline_at: '2030-01-01T00:00:00Z',
    });
    expect(res.status).toBe(201);
    const h = res.json.data as PlatformHiring;
    const fields = [
      'id',
      'status',
      'agent_id',
      'customer_id',
      'task_description',
      'capability_requested',
      'category',
      'price',
      'delivery_mode',
      'task_input',
      'repo_url',
      'repo_access_token',
      'client_message',
      'deadline_at',
      'messages',
      'task_output',
      'artifacts',
      'failed_reason',
      'created_at',
      'updated_at',
      'started_at',
      'completed_at',
      'failed_at',
    ];
    expect(Object.keys(h).sort()).toEqual(fields.sort());
    expect(h.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(h).toMatchObject({
      status: 'in_progress',
      agent_id: agent.id,
      customer_id: sb.customerId,
      price: '25.00',
      delivery_mode: 'output',
      task_input: { language: 'ts', delivery_mode: 'output' },
      repo_url: null,
      repo_access_token: null,
      client_message: 'thanks',
    });
    expect(h.started_at).not.toBeNull();
    expect(parseHiring(h)).toMatchObject({ id: h.id, delivery_mode: 'output' });
    const listed = await rest(sb, 'GET', `/api/v1/agents/${agent.id}/hirings`, sb.userToken);
    expect((listed.json.data as PlatformHiring[]).map((x) => x.id)).toEqual([h.id]);
    expect((await rest(sb, 'GET', `/api/v1/hirings/${h.id}`, sb.userToken)).json.data).toMatchObject({ id: h.id });
  });

  it('honours client_idempotency_key: one hiring, one debit', async () => {
    const { sb, agent } = await withSession();
    const body = { task_description: 'once', price: '5.00', client_idempotency_key: 'order-7' };
    const a = await rest(sb, 'POST', `/api/v1/agents/${agent.id}/hire`, sb.userToken, body);
    const b = await rest(sb, 'POST', `/api/v1/agents/${agent.id}/hire`, sb.userToken, body);
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect((b.json.data as PlatformHiring).id).toBe((a.json.data as PlatformHiring).id);
    expect(sb.inspect().balances.customers[sb.customerId]).toBe('9995.00');
  });

  it('validates the request', async () => {
    const { sb, agent } = await withSession();
    const hire = (body: unknown, id = agent.id) => rest(sb, 'POST', `/api/v1/agents/${id}/hire`, sb.userToken, body);
    expect((await hire({})).json).toMatchObject({
      errors: [{ code: 'VALIDATION_ERROR', message: expect.stringMatching(/task_description/) }],
    });
    expect((await hire({ task_description: 'x', price: 'lots' })).status).toBe(422);
    expect((await hire({ task_description: 'x', delivery_mode: 'email' })).status).toBe(422);
    expect((await hire({ task_description: 'x'.repeat(5001) })).status).toBe(422);
    expect((await hire({ task_description: 'x' }, 'no-such-agent')).status).toBe(404);
    sb.knobs.startingBalance = '1.00';
    expect((await hire({ task_description: 'x', price: '99999.00' })).json).toMatchObject({
      errors: [{ message: expect.stringMatching(/Insufficient balance/) }],
    });
  });

  it('lets the hirer cancel with a refund and post client messages', async () => {
    const { sb, agent } = await withSession();
    const h = await sb.hire(agent.id, { task_description: 'cancel me', price: '20.00' });
    const msg = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/messages`, sb.userToken, {
      content: 'Use React',
      kind: 'answer',
    });
    expect(msg.status).toBe(201);
    expect(sb.hiring(h.id)?.messages[0]).toMatchObject({ sender_type: 'client', kind: 'answer', content: 'Use React' });
    const cancelled = await rest(sb, 'POST', `/api/v1/hirings/${h.id}/cancel`, sb.userToken, {});
    expect(cancelled.json.data).toMatchObject({ status: 'cancelled' });
    expect(sb.inspect().balances).toMatchObject({ customers: { [sb.customerId]: '10000.00' }, escrow: '0.00' });
    expect((await rest(sb, 'POST', `/api/v1/hirings/${h.id}/cancel`, sb.userToken, {})).status).toBe(422);
  });
});

describe('push mode', () => {
  for (const repoFields of ['task_input', 'top_level', 'both'] as const) {
    it(`creates a repository and a write token, placed per repoFields=${repoFields}`, async () => {
      const { sb, agent } = await withSession({ repoFields });
      const h = await sb.hire(agent.id, { task_description: 'push it', delivery_mode: 'push' });
      const inTask = repoFields !== 'top_level';
      const onTop = repoFields !== 'task_input';
      expect(typeof h.task_input.repo_url === 'string').toBe(inTask);
      expect(typeof h.repo_url === 'string').toBe(onTop);
      const parsed = parseHiring(h);
      expect(parsed.repo_url).toMatch(new RegExp(`^${sb.url}/git/sandbox/hiring-[0-9a-f]{8}\\.git$`));
      expect(redact(`token ${parsed.repo_access_token}`)).not.toContain(String(parsed.repo_access_token));
    });
  }

  it('gives a token that clones its repository and nothing else, and never shows it in logs or state', async () => {
    const { sb, agent } = await withSession();
    const h = parseHiring(await sb.hire(agent.id, { task_description: 'real git', delivery_mode: 'push' }));
    const other = parseHiring(await sb.hire(agent.id, { task_description: 'other repo', delivery_mode: 'push' }));
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-clone-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const auth = (token: string | null) => ['-c', `http.extraHeader=Authorization: Bearer ${token}`];
    await run('git', [...auth(h.repo_access_token), 'clone', String(h.repo_url), join(dir, 'repo')]);
    expect(await readFile(join(dir, 'repo', 'README.md'), 'utf8')).toContain('Sandbox repository');
    await expect(run('git', [...auth(h.repo_access_token), 'ls-remote', String(other.repo_url)])).rejects.toThrow();
    const state = (await rest(sb, 'GET', '/_sandbox/state', sb.userToken)).json as unknown as SandboxState;
    expect(JSON.stringify(state)).not.toContain(String(h.repo_access_token));
    expect(state.hirings.find((x) => x.id === h.id)?.hiring.repo_access_token).toBe('[secret]');
    expect(sb.logLines.join('\n')).not.toContain(String(h.repo_access_token));
  });

  it('passes a hirer-given repository through without creating one', async () => {
    const { sb, agent } = await withSession();
    const h = await sb.hire(agent.id, {
      task_description: 'their repo',
      delivery_mode: 'push',
      repo_url: 'https://github.com/acme/app.git',
      repo_access_token: 'ghp_abcdefghijklmnopqrstuvwxyz',
    });
    expect(parseHiring(h)).toMatchObject({
      repo_url: 'https://github.com/acme/app.git',
      repo_access_token: 'ghp_abcdefghijklmnopqrstuvwxyz',
    });
  });
});

describe('availability probe', () => {
  it('uses HEAD callback_url when the agent has no session', async () => {
    sandbox = await testSandbox();
    const r = await hook();
    const agent = sandbox.registerAgent({ metadata: { callback_url: r.url } });
    const h = await sandbox.hire(agent.id, { task_description: 'head probe' });
    expect(h.status).toBe('in_progress');
    expect(sandbox.hiring(h.id)?.probe).toMatchObject({ method: 'head', ok: true });
    expect(r.requests[0].method).toBe('HEAD');
  });

  it('fails and refunds when HEAD answers non-2xx, or when there is nothing to probe', async () => {
    sandbox = await testSandbox();
    const r = await hook(() => 200, 503);
    const withHook = sandbox.registerAgent({ metadata: { callback_url: r.url } });
    const bare = sandbox.registerAgent();
    const a = await sandbox.hire(withHook.id, { task_description: 'x', price: '7.00' });
    const b = await sandbox.hire(bare.id, { task_description: 'y', price: '8.00' });
    expect(a).toMatchObject({ status: 'failed', failed_reason: expect.stringMatching(/agent unavailable.*503/) });
    expect(b).toMatchObject({
      status: 'failed',
      failed_reason: expect.stringMatching(/no live MCP session and no callback_url/),
    });
    const state = sandbox.inspect();
    expect(state.balances).toMatchObject({ customers: { [sandbox.customerId]: '10000.00' }, escrow: '0.00' });
    expect(state.probes.map((p) => `${p.method}:${p.ok}`)).toEqual(['head:false', 'none:false']);
    expect(r.requests.filter((q) => q.method === 'POST')).toHaveLength(0);
  });
});

describe('inspection page', () => {
  it('renders a human-readable page', async () => {
    const { sb, agent } = await withSession();
    await sb.hire(agent.id, { task_description: 'Show <me> on the page' });
    const res = await fetch(`${sb.url}/_sandbox`, { headers: { Authorization: `Bearer ${sb.userToken}` } });
    const html = await res.text();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('Agrenting sandbox');
    expect(html).toContain('Show &lt;me&gt; on the page');
  });
});
