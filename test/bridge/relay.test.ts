// Through the real relay: the sandbox sends a hiring over MCP and by webhook (with duplicates),
// the relay's bridge hands it to a HiClaw worker once, the result waits in the review queue,
// review feedback reaches the worker, and approval delivers the revision to the marketplace.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { Caller } from '../../src/relay/types';
import { registerAgent, type RegisteredAgent } from '../../src/relay/register';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { createLogger, memoryLogger } from '../../src/shared/log';
import { FakeMatrix } from './fake-matrix';
import { startS3, type S3Fixture } from './helpers';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const KEY = 'gateway-key-relay-e2e-1234';
const SECRET = 'webhook-secret-relay-e2e-5678';
const MATRIX_TOKEN = 'syt_bridge_relay_e2e_0123456';
const DOMAIN = 'hiclaw.test';
const operator: Caller = { role: 'operator', name: 'operator' };

let sandbox: Sandbox;
let s3: S3Fixture;
let fake: FakeMatrix;
let relay: Relay;
let agent: RegisteredAgent;
let root: string;
let ivyRoom: string;
let bridgeUser: string;
const log = memoryLogger('relay');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-relay-'));
  sandbox = await startSandbox({
    log: createLogger('sandbox', { level: 'error' }),
    knobs: { webhookBackoffMs: 10, webhookDuplicateRate: 1 },
  });
  s3 = await startS3();
  fake = new FakeMatrix(DOMAIN);
  await fake.start();
  bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
  ivyRoom = fake.addWorker(
    'ivy',
    {
      outcome: 'complete',
      onTask: (id) => s3.store.put(`shared/tasks/${id}/result.md`, `# Slugify\n\nFirst version for ${id}.\n`),
    },
    { allowed: [bridgeUser], members: [bridgeUser] },
  ).id;
  const port = await freePort();
  agent = await registerAgent({
    baseUrl: sandbox.url,
    userToken: sandbox.userToken,
    mode: 'bridge',
    name: 'HiClaw Ivy',
    callbackUrl: `http://127.0.0.1:${port}/webhook/agrenting/hiring`,
    callbackAuthHeader: `Authorization: ApiKey ${KEY}`,
    webhookSecret: SECRET,
    workerMatrixId: `@ivy:${DOMAIN}`,
  });
  relay = await startRelay({
    agents: [{ name: 'ivy-agent', baseUrl: sandbox.url, apiKey: agent.apiKey, agentId: agent.id }],
    stateDir: join(root, 'state'),
    port: 0,
    review: 'required',
    logger: log,
    env: { T_KEY: KEY, T_SECRET: SECRET, T_S3: 'S3RVER', T_MATRIX: MATRIX_TOKEN },
    durable: false,
    writeRelayFile: false,
    outboxBackoff: { baseMs: 20, capMs: 200 },
    linkTiming: { backoffBaseMs: 20, backoffCapMs: 200, requestTimeoutMs: 5000 },
    bridge: parseBridgeConfig({
      listen: `127.0.0.1:${port}`,
      webhookKeyEnv: 'T_KEY',
      webhookSecretEnv: 'T_SECRET',
      s3: { endpoint: s3.endpoint, accessKeyEnv: 'T_S3', secretKeyEnv: 'T_S3' },
      matrix: { homeserver: fake.url, accessTokenEnv: 'T_MATRIX', userId: bridgeUser, domain: DOMAIN },
      pollIntervalMs: 20,
      tasksDir: join(root, 'tasks'),
    }),
  });
  await waitFor('the MCP link', () => relay.status().links.every((l) => l.state === 'connected'));
});

afterAll(async () => {
  await relay?.stop();
  await sandbox.close();
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('sandbox → relay (MCP + webhook) → HiClaw → review → sandbox', () => {
  it('hands the hiring off once, routes review feedback to the worker, and delivers the approved revision', async () => {
    const hiring = await sandbox.hire(agent.id, { task_description: 'Write a slugify function', price: '15.00' });
    const id = String(hiring.id);

    const first = await waitFor('the first result in review', () =>
      relay.reviewQueue(operator).find((s) => s.hiringId === id),
    );
    expect(first).toMatchObject({ kind: 'result', submittedBy: 'hiclaw:ivy', state: 'awaiting_review' });
    // Seen over MCP and by webhook (twice): still one hiring and one hand-off.
    expect(relay.listAll(operator).filter((v) => String(v.hiring.id) === id)).toHaveLength(1);
    await waitFor('webhook deliveries', () => (sandbox.hiring(id)?.webhooks ?? []).filter((w) => w.ok).length >= 2);
    expect(
      fake.messagesIn(ivyRoom, bridgeUser).filter((e) => String(e.content.body).includes(`New task [${id}]`)),
    ).toHaveLength(1);

    await relay.reject(operator, first.id, 'Handle unicode letters too.');
    await waitFor('feedback in the worker room', () =>
      fake.messagesIn(ivyRoom, bridgeUser).find((e) => String(e.content.body).includes('Handle unicode letters too.')),
    );
    expect(sandbox.hiring(id)?.messages ?? []).not.toContainEqual(
      expect.objectContaining({ content: expect.stringContaining('unicode') }),
    );

    await s3.store.put(`shared/tasks/${id}/result.md`, '# Slugify\n\nNow with unicode.\n');
    fake.post(ivyRoom, `@ivy:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: slugify handles unicode [${id}]`);
    const second = await waitFor('the revision in review', () =>
      relay.reviewQueue(operator).find((s) => s.hiringId === id && s.id !== first.id),
    );
    await relay.approve(operator, second.id);

    const done = await waitFor('the hiring completed on the marketplace', () =>
      sandbox.hiring(id)?.status === 'completed' ? sandbox.hiring(id) : undefined,
    );
    expect(done.output).toMatchObject({
      summary: `slugify handles unicode [${id}]`,
      result_markdown: '# Slugify\n\nNow with unicode.\n',
    });
    await waitFor('the task closed', async () =>
      (await s3.store.get(`shared/tasks/${id}/bridge-state.json`))?.includes('"closed"'),
    );
    for (const secret of [KEY, SECRET, MATRIX_TOKEN, agent.apiKey]) expect(log.lines.join('\n')).not.toContain(secret);
  });
});
