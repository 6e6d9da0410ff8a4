// Webhook delivery (§7): payload, callback_auth_header, X-Webhook-Signature,
// retry with backoff after failures (a receiver that fails first), duplicates.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index';
import { authHeaders, RawSession, receiver, testSandbox, type Receiver } from './helpers';
import { waitFor } from '../support/wait';

let sandbox: Sandbox | undefined;
let hook: Receiver | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  await hook?.close();
  hook = undefined;
});

const posts = (r: Receiver) => r.requests.filter((q) => q.method === 'POST');

describe('webhook delivery', () => {
  it('signs, authenticates and retries until the receiver accepts', async () => {
    sandbox = await testSandbox();
    hook = await receiver((n) => (n === 1 ? 503 : 200));
    const agent = sandbox.registerAgent({
      metadata: {
        callback_url: hook.url,
        callback_auth_header: 'Authorization: ApiKey gateway-key-123',
        worker_matrix_id: '@worker:hiclaw',
      },
    });
    const h = await sandbox.hire(agent.id, {
      task_description: 'Build it',
      price: '25.00',
      client_message: 'hi',
      task_input: { lang: 'go' },
    });
    await waitFor('a successful webhook', () => sandbox!.hiring(h.id)?.webhooks.some((w) => w.ok));
    const received = posts(hook);
    expect(received).toHaveLength(2);
    expect(received[1].body).toBe(received[0].body);
    for (const q of received) {
      expect(q.headers.authorization).toBe('ApiKey gateway-key-123');
      expect(q.headers['x-webhook-signature']).toBe(
        createHmac('sha256', agent.webhookSecret).update(q.body).digest('base64'),
      );
    }
    expect(JSON.parse(received[0].body)).toEqual({
      hiring_id: h.id,
      agent_id: agent.id,
      worker_matrix_id: '@worker:hiclaw',
      task: { description: 'Build it' },
      customer_id: sandbox.customerId,
      price: '25.00',
      capability: 'coding',
      task_input: { lang: 'go', delivery_mode: 'output' },
      client_message: 'hi',
      deadline_at: null,
      callback: `${sandbox.url}/api/v1/hirings/${h.id}/result`,
      timestamp: expect.any(String),
    });
    expect(sandbox.hiring(h.id)?.webhooks.map((w) => `${w.attempt}:${w.status}:${w.ok}`)).toEqual([
      '1:503:false',
      '2:200:true',
    ]);
  });

  it('uses the webhook secret given at registration', async () => {
    sandbox = await testSandbox();
    hook = await receiver();
    const agent = sandbox.registerAgent({ metadata: { callback_url: hook.url, webhook_secret: 'shared-secret-xyz' } });
    await sandbox.hire(agent.id, { task_description: 'signed' });
    await waitFor('delivery', () => posts(hook!).length === 1);
    const q = posts(hook)[0];
    expect(q.headers['x-webhook-signature']).toBe(
      createHmac('sha256', 'shared-secret-xyz').update(q.body).digest('base64'),
    );
  });

  it('gives up after the configured retries', async () => {
    sandbox = await testSandbox({ webhookRetries: 2 });
    hook = await receiver(() => 500);
    const agent = sandbox.registerAgent({ metadata: { callback_url: hook.url } });
    const h = await sandbox.hire(agent.id, { task_description: 'never accepted' });
    await waitFor('three attempts', () => sandbox!.hiring(h.id)?.webhooks.length === 3);
    expect(sandbox.hiring(h.id)?.webhooks.every((w) => !w.ok && w.status === 500)).toBe(true);
    expect(sandbox.inspect().webhooks).toHaveLength(3);
  });

  it('retries after network errors (nothing listening at callback_url)', async () => {
    sandbox = await testSandbox({ webhookRetries: 1, ping: 'never' });
    const gone = await receiver();
    const deadUrl = gone.url;
    await gone.close();
    const agent = sandbox.registerAgent({ metadata: { callback_url: deadUrl } });
    const raw = await RawSession.open(sandbox.url, authHeaders(agent.apiKey));
    try {
      const h = await sandbox.hire(agent.id, { task_description: 'unreachable hook' });
      expect(h.status).toBe('in_progress');
      await waitFor('two attempts', () => sandbox!.hiring(h.id)?.webhooks.length === 2);
      expect(sandbox.hiring(h.id)?.webhooks.map((w) => [w.ok, typeof w.error])).toEqual([
        [false, 'string'],
        [false, 'string'],
      ]);
    } finally {
      raw.close();
    }
  });

  it('sends deliberate duplicates when webhookDuplicateRate=1', async () => {
    sandbox = await testSandbox({ webhookDuplicateRate: 1 });
    hook = await receiver();
    const agent = sandbox.registerAgent({ metadata: { callback_url: hook.url } });
    const h = await sandbox.hire(agent.id, { task_description: 'twice' });
    await waitFor('two deliveries', () => posts(hook!).length === 2);
    expect(sandbox.hiring(h.id)?.webhooks.map((w) => w.duplicate)).toEqual([false, true]);
    expect(posts(hook)[1].body).toBe(posts(hook)[0].body);
  });

  it('does not deliver hirings that failed the probe', async () => {
    sandbox = await testSandbox();
    hook = await receiver(() => 200, 404);
    const agent = sandbox.registerAgent({ metadata: { callback_url: hook.url } });
    const h = await sandbox.hire(agent.id, { task_description: 'unavailable' });
    expect(h.status).toBe('failed');
    expect(posts(hook)).toHaveLength(0);
  });
});
