// The bridge stopped at the worst moments of a hand-off, then started again on the same task folder, as after
// a kill -9: nothing but what is on disk carries over (a stopped bridge saves nothing more on the way out). A
// mention the homeserver stored but whose answer was lost is not sent twice (same transaction id), and a
// TASK_COMPLETED read before the stop is submitted after it (it was saved with the room position).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/relay/bridge/bridge';
import { parseBridgeConfig, type BridgeConfigInput } from '../../src/relay/bridge/config';
import type { BridgeState } from '../../src/relay/bridge/task-files';
import { memoryLogger } from '../../src/shared/log';
import { FakeCore } from './fake-core';
import { FakeMatrix } from './fake-matrix';
import { payload, startS3, type S3Fixture } from './helpers';
import { waitFor } from '../support/wait';

const KEY = 'gateway-key-crash-1234';
const MATRIX_TOKEN = 'syt_bridge_crash_987654';
const DOMAIN = 'hiclaw.test';

let s3: S3Fixture;
let fake: FakeMatrix;
let root: string;
let bridgeUser: string;
let lena: string;
const running: Bridge[] = [];

async function startBridge(core: FakeCore): Promise<Bridge> {
  const config: BridgeConfigInput = {
    listen: '127.0.0.1:0',
    webhookKeyEnv: 'T_KEY',
    s3: { endpoint: s3.endpoint, accessKeyEnv: 'T_S3', secretKeyEnv: 'T_S3' },
    matrix: { homeserver: fake.url, accessTokenEnv: 'T_MATRIX', userId: bridgeUser, domain: DOMAIN },
    ackTimeoutMs: 60_000,
    resultGraceMs: 60_000,
    pollIntervalMs: 20,
    tasksDir: join(root, 'tasks'),
  };
  const env = { T_KEY: KEY, T_S3: 'S3RVER', T_MATRIX: MATRIX_TOKEN };
  const bridge = createBridge({
    core,
    agent: 'alpha',
    config: parseBridgeConfig(config),
    env,
    log: memoryLogger('bridge'),
  });
  running.push(bridge);
  await bridge.start();
  return bridge;
}

async function deliver(bridge: Bridge, body: Record<string, unknown>): Promise<number> {
  const headers = { authorization: `ApiKey ${KEY}` };
  return (await fetch(bridge.webhookUrl, { method: 'POST', body: JSON.stringify(body), headers })).status;
}

async function stateOnDisk(id: string): Promise<BridgeState | undefined> {
  try {
    return JSON.parse(await readFile(join(root, 'tasks', id, 'bridge-state.json'), 'utf8')) as BridgeState;
  } catch {
    return undefined;
  }
}

const mentions = (id: string) =>
  fake.messagesIn(lena, bridgeUser).filter((e) => String(e.content.body).includes(`New task [${id}]`));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-crash-'));
  s3 = await startS3();
  fake = new FakeMatrix(DOMAIN);
  await fake.start();
  bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
  lena = fake.addWorker('lena', { outcome: 'silent' }, { allowed: [bridgeUser], members: [bridgeUser] }).id;
});

afterAll(async () => {
  for (const b of running) await b.stop();
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('a bridge stopped mid hand-off and started again', () => {
  it('mentions the worker once and submits the TASK_COMPLETED it had read', async () => {
    const core = new FakeCore();
    const id = 'h-lena';
    const hiring = payload(id, { worker_matrix_id: `@lena:${DOMAIN}` });

    // 1. The homeserver stores the mention, but the bridge never hears back; then it stops.
    fake.dropSendAnswers = true;
    const first = await startBridge(core);
    expect(await deliver(first, hiring)).toBe(200);
    await waitFor('the mention stored', () => mentions(id).length === 1);
    await first.stop();
    fake.dropSendAnswers = false;
    expect((await stateOnDisk(id))?.phase).toBe('handing_off');

    // 2. The platform retries its webhook: the same transaction id, so the room still holds one mention.
    const second = await startBridge(core);
    expect(await deliver(second, hiring)).toBe(200);
    await waitFor('the hand-off recorded', async () => (await stateOnDisk(id))?.phase === 'waiting_ack');
    expect(mentions(id)).toHaveLength(1);

    // 3. The worker reports; the bridge reads it (saved with the room position), then stops before result.md.
    fake.post(lena, `@lena:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: slugify done [${id}]`);
    const saved = await waitFor('the report saved', async () => {
      const s = await stateOnDisk(id);
      return s?.completed_summary ? s : undefined;
    });
    expect(saved.room_token).toBeTruthy();
    await second.stop();

    // 4. A new bridge resumes from the saved state and submits once result.md is there.
    const third = await startBridge(core);
    await s3.store.put(`shared/tasks/${id}/result.md`, 'Done after a crash.\n');
    const sub = await waitFor('the submission', () => core.submissions.find((s) => s.hiringId === id));
    expect(sub.result?.output).toEqual({ summary: `slugify done [${id}]`, result_markdown: 'Done after a crash.\n' });
    expect(core.submissions.filter((s) => s.hiringId === id)).toHaveLength(1);
    expect(mentions(id)).toHaveLength(1);
    await third.stop();
  });
});
