// The webhook inbox as the platform and an attacker see it: answers, and what reaches the store.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/relay/bridge/bridge';
import { startWebhookServer } from '../../src/relay/bridge/webhook-server';
import { webhookSignature } from '../../src/relay/bridge/signature';
import { memoryLogger } from '../../src/shared/log';
import { FakeCore } from './fake-core';
import { listFiles, payload } from './helpers';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const KEY = 'gateway-key-1234567890';
const SECRET = 'webhook-secret-abcdef';

let core: FakeCore;
let bridge: Bridge;
let root: string;
const log = memoryLogger('bridge');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-inbox-'));
  core = new FakeCore();
  bridge = createBridge({
    core,
    agent: 'alpha',
    config: parseBridgeConfig({
      listen: { host: '127.0.0.1', port: 0 },
      webhookKeyEnv: 'T_WEBHOOK_KEY',
      webhookSecretEnv: 'T_WEBHOOK_SECRET',
      tasksDir: join(root, 'tasks'),
    }),
    env: { T_WEBHOOK_KEY: KEY, T_WEBHOOK_SECRET: SECRET },
    log,
  });
  await bridge.start();
});

afterAll(async () => {
  await bridge.stop();
  await rm(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  json: { data?: unknown; errors?: { code: string; message: string }[] } | undefined;
}

async function post(
  body: string | Buffer,
  headers: Record<string, string> = {},
  path = '/webhook/agrenting/hiring',
): Promise<Answer> {
  const res = await fetch(new URL(path, bridge.webhookUrl), {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Answer['json']) : undefined };
}

function signed(obj: unknown): [string, Record<string, string>] {
  const body = JSON.stringify(obj);
  return [body, { authorization: `ApiKey ${KEY}`, 'x-webhook-signature': webhookSignature(SECRET, body) }];
}

describe('webhook inbox', () => {
  it('answers the availability probe and health without credentials', async () => {
    for (const path of ['/webhook/agrenting/hiring', '/']) {
      const res = await fetch(new URL(path, bridge.webhookUrl), { method: 'HEAD' });
      expect(res.status).toBe(200);
    }
    const health = await fetch(new URL('/health', bridge.webhookUrl));
    expect(await health.json()).toEqual({ ok: true });
  });

  it('stores a signed delivery as a hiring, from the webhook', async () => {
    const [body, headers] = signed(payload('hire-1'));
    const a = await post(body, headers);
    expect(a).toEqual({ status: 200, json: { data: { received: true, hiring_id: 'hire-1' } } });
    const rec = await waitFor('hiring stored', () => core.records.get('hire-1'));
    expect(rec.agent).toBe('alpha');
    expect(rec.hiring).toMatchObject({
      id: 'hire-1',
      price: '25.00',
      customer_id: 'cust-1',
      client_message: 'Please add a test.',
    });
    expect(rec.hiring.task_description).toContain('Fix the login bug');
    expect(core.ingests.find((i) => i.ids.includes('hire-1'))?.source).toBe('webhook');
  });

  it('treats duplicate deliveries as one hiring', async () => {
    const [body, headers] = signed(payload('hire-dup'));
    const answers = await Promise.all([post(body, headers), post(body, headers), post(body, headers)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await waitFor('three ingests', () => core.ingests.filter((i) => i.ids.includes('hire-dup')).length === 3);
    expect([...core.records.keys()].filter((k) => k === 'hire-dup')).toHaveLength(1);
  });

  it('refuses a wrong or missing key with 401', async () => {
    const [body, headers] = signed(payload('hire-k'));
    expect((await post(body, { ...headers, authorization: 'ApiKey wrong-key-000000' })).status).toBe(401);
    const { authorization: _drop, ...noKey } = headers;
    const a = await post(body, noKey);
    expect(a.status).toBe(401);
    expect(a.json?.errors?.[0].code).toBe('UNAUTHORIZED');
    expect(core.records.has('hire-k')).toBe(false);
  });

  it('refuses a bad or missing signature with 401', async () => {
    const [body, headers] = signed(payload('hire-s'));
    const tampered = body.replace('25.00', '2500.00');
    const a = await post(tampered, headers);
    expect(a.status).toBe(401);
    expect(a.json?.errors?.[0].code).toBe('INVALID_SIGNATURE');
    expect((await post(body, { authorization: `ApiKey ${KEY}` })).status).toBe(401);
    expect(core.records.has('hire-s')).toBe(false);
  });

  it('refuses malformed JSON and missing fields with 400', async () => {
    const broken = '{"hiring_id": "h", ';
    const a = await post(broken, {
      authorization: `ApiKey ${KEY}`,
      'x-webhook-signature': webhookSignature(SECRET, broken),
    });
    expect(a.status).toBe(400);
    expect(a.json?.errors?.[0].code).toBe('INVALID_JSON');
    const [body, headers] = signed({ hiring_id: 'hire-m', task: { description: 'x' } });
    const m = await post(body, headers);
    expect(m.status).toBe(400);
    expect(m.json?.errors?.[0].message).toMatch(/agent_id/);
    expect(m.json?.errors?.[0].message).toMatch(/customer_id/);
    expect(m.json?.errors?.[0].message).toMatch(/price/);
  });

  it('refuses a hiring id with path tricks and writes nothing', async () => {
    const before = await listFiles(root);
    for (const id of ['../../etc', '..', 'a/../../b', '%2e%2e']) {
      const [body, headers] = signed(payload(id));
      const a = await post(body, headers);
      expect(a.status).toBe(400);
      expect(a.json?.errors?.[0].message).toMatch(/hiring_id/);
    }
    expect(await listFiles(root)).toEqual(before);
    expect([...core.records.keys()].some((k) => k.includes('.'))).toBe(false);
  });

  it('refuses a 2 MB body with 413 and a readable answer', async () => {
    const big = JSON.stringify(payload('hire-big', { padding: 'x'.repeat(2 * 1024 * 1024) }));
    const a = await post(big, { authorization: `ApiKey ${KEY}`, 'x-webhook-signature': webhookSignature(SECRET, big) });
    expect(a.status).toBe(413);
    expect(a.json?.errors?.[0].code).toBe('PAYLOAD_TOO_LARGE');
    expect(core.records.has('hire-big')).toBe(false);
  });

  it('refuses a streamed oversized body without Content-Length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL(bridge.webhookUrl),
        { method: 'POST', headers: { authorization: `ApiKey ${KEY}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write('x'.repeat(64 * 1024));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('answers requests the HTTP parser refuses (oversized headers, broken HTTP) with a JSON error', async () => {
    const { port } = new URL(bridge.webhookUrl);
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const huge = await raw(
      `POST /webhook/agrenting/hiring HTTP/1.1\r\nHost: x\r\nX-Junk: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toContain('"message":"The request headers are too large."');
    const broken = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(broken).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken).toContain('"message":"The request is not valid HTTP."');
    // the inbox still answers afterwards
    expect((await fetch(new URL('/health', bridge.webhookUrl))).status).toBe(200);
  });

  it('answers 404 and 405 elsewhere, and never logs the key or secret', async () => {
    expect((await post('{}', { authorization: `ApiKey ${KEY}` }, '/other')).status).toBe(404);
    expect((await fetch(bridge.webhookUrl)).status).toBe(405);
    const all = log.lines.join('\n');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(SECRET);
  });

  it('refuses a delivery meant for another agent when the agent id is known', async () => {
    const delivered: string[] = [];
    const inbox = await startWebhookServer({
      host: '127.0.0.1',
      port: 0,
      key: KEY,
      agentId: 'agent-uuid-2',
      onDelivery: (p) => delivered.push(p.hiring_id),
      log,
    });
    try {
      const send = (agentId: string) =>
        fetch(inbox.url, {
          method: 'POST',
          body: JSON.stringify(payload('hire-a', { agent_id: agentId })),
          headers: { authorization: `ApiKey ${KEY}` },
        });
      const wrong = await send('agent-uuid-1');
      expect(wrong.status).toBe(403);
      expect(((await wrong.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/callback_url/);
      expect((await send('agent-uuid-2')).status).toBe(200);
      await waitFor('delivery handed on', () => delivered.length === 1);
      expect(delivered).toEqual(['hire-a']);
    } finally {
      await inbox.close();
    }
  });
});
