// The sandbox marketplace delivers hirings to the bridge the way Agrenting does: HEAD probe,
// signed webhook through a gateway that fails the first try (so the sandbox retries), deliberate
// duplicates; and the REST heartbeat catches a hiring whose webhook never got through.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/relay/bridge/bridge';
import { registerAgent, type RegisteredAgent } from '../../src/relay/register';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { FakeCore } from './fake-core';
import { FakeMatrix } from './fake-matrix';
import { startS3, type S3Fixture } from './helpers';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const KEY = 'gateway-key-sandbox-123456';
const SECRET = 'webhook-secret-sandbox-abcdef';
const MATRIX_TOKEN = 'syt_bridge_sandbox_0123456789';
const DOMAIN = 'hiclaw.test';

let sandbox: Sandbox;
let s3: S3Fixture;
let fake: FakeMatrix;
let core: FakeCore;
let bridge: Bridge;
let agent: RegisteredAgent;
let root: string;
let gateway: Server;
let gatewayUrl: string;
/** POSTs the gateway still fails with 503 before it forwards (like a gateway restarting). */
let failPosts = 0;
let erinRoom: string;
let bridgeUser: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-sandbox-'));
  sandbox = await startSandbox({
    log: memoryLogger('sandbox'),
    knobs: { webhookBackoffMs: 10, webhookRetries: 3, webhookDuplicateRate: 1 },
  });
  s3 = await startS3();
  fake = new FakeMatrix(DOMAIN);
  await fake.start();
  bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
  erinRoom = fake.addWorker(
    'erin',
    {
      outcome: 'complete',
      onTask: (id) => s3.store.put(`shared/tasks/${id}/result.md`, `# Done\n\nResult for ${id}.\n`),
    },
    { allowed: [bridgeUser], members: [bridgeUser] },
  ).id;

  // The gateway in front of the inbox (Higress in a real install).
  let target = '';
  gateway = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && failPosts > 0) {
        failPosts--;
        res.writeHead(503).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      }
      fetch(new URL(req.url ?? '/', target), {
        method: req.method,
        headers,
        body: req.method === 'POST' ? Buffer.concat(parts) : undefined,
      })
        .then(async (r) => {
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/webhook/agrenting/hiring`;

  agent = await registerAgent({
    baseUrl: sandbox.url,
    userToken: sandbox.userToken,
    mode: 'bridge',
    name: 'HiClaw Erin',
    callbackUrl: gatewayUrl,
    callbackAuthHeader: `Authorization: ApiKey ${KEY}`,
    webhookSecret: SECRET,
    workerMatrixId: `@erin:${DOMAIN}`,
  });
  core = new FakeCore();
  bridge = createBridge({
    core,
    agent: 'erin-agent',
    config: parseBridgeConfig({
      listen: '127.0.0.1:0',
      webhookKeyEnv: 'T_KEY',
      webhookSecretEnv: 'T_SECRET',
      s3: { endpoint: s3.endpoint, accessKeyEnv: 'T_S3', secretKeyEnv: 'T_S3' },
      matrix: { homeserver: fake.url, accessTokenEnv: 'T_MATRIX', userId: bridgeUser, domain: DOMAIN },
      // Hirings read over REST carry no worker_matrix_id: the agent's worker comes from config.
      workers: { 'erin-agent': 'erin' },
      ackTimeoutMs: 5_000,
      pollIntervalMs: 20,
      heartbeatIntervalMs: 50,
      tasksDir: join(root, 'tasks'),
    }),
    env: { T_KEY: KEY, T_SECRET: SECRET, T_S3: 'S3RVER', T_MATRIX: MATRIX_TOKEN },
    platform: { baseUrl: sandbox.url, apiKey: agent.apiKey },
    log: memoryLogger('bridge'),
  });
  await bridge.start();
  target = bridge.webhookUrl;
});

afterAll(async () => {
  await bridge.stop();
  await sandbox.close();
  await new Promise<void>((r) => gateway.close(() => r()));
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('sandbox → bridge', () => {
  it('survives a failed first delivery and a duplicate: one hiring, one hand-off, one submission', async () => {
    failPosts = 1;
    const hiring = await sandbox.hire(agent.id, {
      task_description: 'Write a haiku about relays',
      price: '5.00',
      capability_requested: 'writing',
    });
    const id = String(hiring.id);
    expect(sandbox.hiring(id)?.probe).toMatchObject({ method: 'head', ok: true });

    const sub = await waitFor('the submission', () => core.submissions.find((s) => s.hiringId === id));
    expect(sub).toMatchObject({ kind: 'result', submittedBy: 'hiclaw:erin' });
    expect(sub.result?.output).toMatchObject({ result_markdown: `# Done\n\nResult for ${id}.\n` });

    // The sandbox retried after the 503 and then sent a deliberate duplicate.
    const attempts = await waitFor('retry and duplicate recorded', () => {
      const w = sandbox.hiring(id)?.webhooks ?? [];
      return w.some((a) => a.duplicate && a.ok) && w.some((a) => a.status === 503) ? w : undefined;
    });
    expect(attempts.filter((a) => a.ok).length).toBeGreaterThanOrEqual(2);
    await waitFor(
      'both deliveries ingested',
      () => core.ingests.filter((i) => i.source === 'webhook' && i.ids.includes(id)).length >= 2,
    );
    expect(core.records.get(id)?.hiring).toMatchObject({ id, price: '5.00' });
    expect(core.submissions.filter((s) => s.hiringId === id)).toHaveLength(1);
    const handoffs = fake.messagesIn(erinRoom, bridgeUser).filter((e) => String(e.content.body).includes(`[${id}]`));
    expect(handoffs).toHaveLength(1);
  });

  it('picks up a hiring whose webhook never arrived through the REST heartbeat', async () => {
    sandbox.knobs.webhookDuplicateRate = 0;
    sandbox.knobs.restPending = 'active';
    failPosts = 1_000;
    const hiring = await sandbox.hire(agent.id, { task_description: 'Summarise the relay design', price: '7.00' });
    const id = String(hiring.id);
    const sub = await waitFor('the submission from the heartbeat path', () =>
      core.submissions.find((s) => s.hiringId === id),
    );
    expect(sub.submittedBy).toBe('hiclaw:erin');
    expect(core.ingests.some((i) => i.source === 'rest' && i.ids.includes(id))).toBe(true);
    expect(core.ingests.some((i) => i.source === 'webhook' && i.ids.includes(id))).toBe(false);
  });
});
