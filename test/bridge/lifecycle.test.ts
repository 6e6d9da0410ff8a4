// After the first report: review feedback reopens the task with the worker, a hiring that ends
// elsewhere closes it, and a restarted bridge resumes watching from its task folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/relay/bridge/bridge';
import type { BridgeConfigInput } from '../../src/relay/bridge/config';
import type { BridgeState, TaskMeta } from '../../src/relay/bridge/task-files';
import { memoryLogger } from '../../src/shared/log';
import { FakeCore } from './fake-core';
import { FakeMatrix } from './fake-matrix';
import { payload, startS3, type S3Fixture } from './helpers';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const KEY = 'gateway-key-lifecycle-1234';
const MATRIX_TOKEN = 'syt_bridge_lifecycle_987654';
const DOMAIN = 'hiclaw.test';

let s3: S3Fixture;
let fake: FakeMatrix;
let root: string;
let bridgeUser: string;
let gina: string;
let hank: string;
let jo: string;
let kim: string;
const running: Bridge[] = [];

function startBridge(core: FakeCore, tasks: string): Promise<Bridge> {
  const config: BridgeConfigInput = {
    listen: '127.0.0.1:0',
    webhookKeyEnv: 'T_KEY',
    s3: { endpoint: s3.endpoint, accessKeyEnv: 'T_S3', secretKeyEnv: 'T_S3' },
    matrix: { homeserver: fake.url, accessTokenEnv: 'T_MATRIX', userId: bridgeUser, domain: DOMAIN },
    ackTimeoutMs: 5_000,
    resultGraceMs: 100,
    pollIntervalMs: 20,
    tasksDir: join(root, tasks),
  };
  const bridge = createBridge({
    core,
    agent: 'alpha',
    config: parseBridgeConfig(config),
    env: { T_KEY: KEY, T_S3: 'S3RVER', T_MATRIX: MATRIX_TOKEN },
    log: memoryLogger('bridge'),
  });
  running.push(bridge);
  return bridge.start().then(() => bridge);
}

async function deliver(bridge: Bridge, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(bridge.webhookUrl, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { authorization: `ApiKey ${KEY}` },
  });
  expect(res.status).toBe(200);
}

const bridgeSays = (room: string, text: string) =>
  fake.messagesIn(room, bridgeUser).find((e) => String(e.content.body).includes(text));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-lifecycle-'));
  s3 = await startS3();
  fake = new FakeMatrix(DOMAIN);
  await fake.start();
  bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
  // Workers that acknowledge and then wait: the tests speak for them.
  gina = fake.addWorker('gina', { outcome: 'silent' }, { allowed: [bridgeUser], members: [bridgeUser] }).id;
  hank = fake.addWorker('hank', { outcome: 'silent' }, { allowed: [bridgeUser], members: [bridgeUser] }).id;
  jo = fake.addWorker('jo', { outcome: 'silent' }, { allowed: [bridgeUser], members: [bridgeUser] }).id;
  kim = fake.addWorker('kim', { outcome: 'silent' }, { allowed: [bridgeUser], members: [bridgeUser] }).id;
});

afterAll(async () => {
  for (const b of running) await b.stop();
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('after the report', () => {
  it('sends review feedback back to the worker and submits the revision', async () => {
    const core = new FakeCore();
    const bridge = await startBridge(core, 'review');
    await deliver(bridge, payload('h-gina', { worker_matrix_id: `@gina:${DOMAIN}` }));
    await waitFor('gina acknowledged', () => bridge.tasks().find((t) => t.hiring_id === 'h-gina' && t.acknowledged_at));

    await s3.store.put('shared/tasks/h-gina/result.md', 'First try.\n');
    fake.post(gina, `@gina:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: first try [h-gina]`);
    const first = await waitFor('first submission', () => core.submissions.find((s) => s.hiringId === 'h-gina'));
    expect(first.result?.output).toEqual({ summary: 'first try [h-gina]', result_markdown: 'First try.\n' });

    core.rejectLatest('h-gina', 'Add a regression test.');
    const feedback = await waitFor('feedback in the room', () => bridgeSays(gina, 'Review feedback on task [h-gina]'));
    expect(String(feedback.content.body)).toContain('Add a regression test.');
    expect(feedback.content['m.mentions']).toEqual({ user_ids: [`@gina:${DOMAIN}`] });
    const meta = JSON.parse((await s3.store.get('shared/tasks/h-gina/meta.json')) ?? '{}') as TaskMeta;
    expect(meta).toMatchObject({ status: 'assigned', revision: 1 });
    // Nothing is resubmitted until the worker reports again.
    expect(core.submissions.filter((s) => s.hiringId === 'h-gina')).toHaveLength(1);

    await s3.store.put('shared/tasks/h-gina/result.md', 'Second try, with a test.\n');
    fake.post(gina, `@gina:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: added the test [h-gina]`);
    const second = await waitFor('second submission', () => core.submissions.filter((s) => s.hiringId === 'h-gina')[1]);
    expect(second.result?.output).toEqual({
      summary: 'added the test [h-gina]',
      result_markdown: 'Second try, with a test.\n',
    });
    // Feedback was sent once.
    expect(
      fake.messagesIn(gina, bridgeUser).filter((e) => String(e.content.body).includes('Review feedback')),
    ).toHaveLength(1);
  });

  it('resumes watching after a restart and closes the task when the hiring ends elsewhere', async () => {
    const core = new FakeCore();
    const first = await startBridge(core, 'restart');
    await deliver(first, payload('h-hank', { worker_matrix_id: `@hank:${DOMAIN}` }));
    await waitFor('hank acknowledged', () => first.tasks().find((t) => t.hiring_id === 'h-hank' && t.acknowledged_at));
    await first.stop();

    // A new bridge (and a relay that re-read its journal) picks the task up from the folder.
    const second = await startBridge(core, 'restart');
    expect(second.tasks().find((t) => t.hiring_id === 'h-hank')).toMatchObject({
      phase: 'acknowledged',
      worker: 'hank',
    });
    await s3.store.put('shared/tasks/h-hank/result.md', 'Done after restart.\n');
    fake.post(hank, `@hank:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: done [h-hank]`);
    const sub = await waitFor('submission after restart', () => core.submissions.find((s) => s.hiringId === 'h-hank'));
    expect(sub.result?.output).toMatchObject({ result_markdown: 'Done after restart.\n' });
    expect(
      fake.messagesIn(hank, bridgeUser).filter((e) => String(e.content.body).includes('New task [h-hank]')),
    ).toHaveLength(1);

    // A second hiring for hank is cancelled on the platform while he works on it.
    await deliver(second, payload('h-hank2', { worker_matrix_id: `@hank:${DOMAIN}` }));
    await waitFor('hank acknowledged the second', () =>
      second.tasks().find((t) => t.hiring_id === 'h-hank2' && t.acknowledged_at),
    );
    core.finish('h-hank2', 'failed');
    await waitFor('closing notice', () => bridgeSays(hank, 'Task [h-hank2] is closed'));
    const state = await waitFor('state closed', async () => {
      const s = JSON.parse((await s3.store.get('shared/tasks/h-hank2/bridge-state.json')) || '{}') as BridgeState;
      return s.phase === 'closed' ? s : undefined;
    });
    expect(state.finished_at).not.toBeNull();
    expect(second.tasks().some((t) => t.hiring_id === 'h-hank2')).toBe(false);
  });

  it('submits the summary alone when result.md never appears, saying so', async () => {
    const core = new FakeCore();
    const bridge = await startBridge(core, 'no-result');
    await deliver(bridge, payload('h-jo', { worker_matrix_id: `@jo:${DOMAIN}` }));
    await waitFor('jo acknowledged', () => bridge.tasks().find((t) => t.hiring_id === 'h-jo' && t.acknowledged_at));
    fake.post(jo, `@jo:${DOMAIN}`, `${bridgeUser} TASK_COMPLETED: pushed the fix [h-jo]`);
    const sub = await waitFor('submission without result.md', () =>
      core.submissions.find((s) => s.hiringId === 'h-jo'),
    );
    expect(sub.result?.output).toEqual({
      summary: 'pushed the fix [h-jo]',
      result_markdown: null,
      note: expect.stringContaining('no result.md'),
    });
  });

  it('retries a BLOCKED report the relay could not take, and proposes the failure once', async () => {
    const core = new FakeCore();
    const bridge = await startBridge(core, 'retry');
    await deliver(bridge, payload('h-kim', { worker_matrix_id: `@kim:${DOMAIN}` }));
    await waitFor('kim acknowledged', () => bridge.tasks().find((t) => t.hiring_id === 'h-kim' && t.acknowledged_at));
    core.unavailableTimes = 2;
    fake.post(kim, `@kim:${DOMAIN}`, `${bridgeUser} BLOCKED: no access to the staging database [h-kim]`);
    const sub = await waitFor('the failure proposal', () => core.submissions.find((s) => s.hiringId === 'h-kim'));
    expect(sub).toMatchObject({
      kind: 'failure',
      failure: {
        hiring_id: 'h-kim',
        error: 'other',
        reason: expect.stringContaining('no access to the staging database'),
      },
    });
    expect(core.unavailableTimes).toBe(0);
    await bridge.poll();
    await bridge.poll();
    expect(core.submissions.filter((s) => s.hiringId === 'h-kim')).toHaveLength(1);
  });
});
