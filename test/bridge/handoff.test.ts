// The whole HiClaw path against real loopback servers: webhook → store → task files in S3
// (s3rver) → @mention in the worker's room (fake homeserver) → worker acks late / completes /
// blocks / never answers → submission or failure proposal in the (fake) relay core.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../../src/relay/bridge/bridge';
import { MatrixClient } from '../../src/relay/bridge/matrix-client';
import type { BridgeState, TaskMeta } from '../../src/relay/bridge/task-files';
import { memoryLogger } from '../../src/shared/log';
import { FakeCore } from './fake-core';
import { FakeMatrix } from './fake-matrix';
import { listFiles, payload, startS3, type S3Fixture } from './helpers';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const KEY = 'gateway-key-abcdef123456';
const MATRIX_TOKEN = 'syt_bridge_token_0123456789';
const REPO_TOKEN = 'ghs_repoTokenABCDEFGHIJKLMNOP';
const DOMAIN = 'hiclaw.test';

let s3: S3Fixture;
let fake: FakeMatrix;
let core: FakeCore;
let bridge: Bridge;
let root: string;
let bridgeUser: string;
let rooms: Record<string, string>;
const log = memoryLogger('bridge');

const resultMd = (id: string) => `# Result for ${id}\n\nFixed the email validation and added a regression test.\n`;

async function deliver(body: Record<string, unknown>): Promise<number> {
  const res = await fetch(bridge.webhookUrl, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { authorization: `ApiKey ${KEY}`, 'content-type': 'application/json' },
  });
  await res.text();
  return res.status;
}

function bridgeMessages(worker: string): { body: string; content: Record<string, unknown> }[] {
  return fake.messagesIn(rooms[worker], bridgeUser).map((e) => ({ body: String(e.content.body), content: e.content }));
}

async function s3Json<T>(key: string): Promise<T> {
  const text = await s3.store.get(key);
  if (text === undefined) throw new Error(`no ${key}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bridge-handoff-'));
  s3 = await startS3();
  fake = new FakeMatrix(DOMAIN);
  await fake.start();
  bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
  const allowed = [bridgeUser];
  // CoPaw-like: meta.json assigned → in_progress, result.md, then submitted.
  const copaw = async (id: string) => {
    const meta = await s3Json<TaskMeta>(`shared/tasks/${id}/meta.json`);
    await s3.store.put(`shared/tasks/${id}/meta.json`, JSON.stringify({ ...meta, status: 'in_progress' }));
    await s3.store.put(`shared/tasks/${id}/result.md`, resultMd(id));
    await s3.store.put(`shared/tasks/${id}/meta.json`, JSON.stringify({ ...meta, status: 'submitted' }));
  };
  rooms = {
    alice: fake.addWorker(
      'alice',
      { dropFirst: 1, outcome: 'complete', onTask: copaw },
      { allowed, members: [bridgeUser] },
    ).id,
    // An older install: no #hiclaw-worker-bob alias, and the bridge is not in the room yet.
    bob: fake.addWorker('bob', { outcome: 'block' }, { allowed, alias: false }).id,
    carol: fake.addWorker('carol', { dropFirst: 99, outcome: 'silent' }, { allowed, members: [bridgeUser] }).id,
    // OpenClaw-like: only result.md and TASK_COMPLETED, without the task id.
    dave: fake.addWorker(
      'dave',
      {
        outcome: 'complete',
        omitTaskId: true,
        onTask: (id) => s3.store.put(`shared/tasks/${id}/result.md`, resultMd(id)),
      },
      { allowed, members: [bridgeUser] },
    ).id,
  };
  core = new FakeCore();
  bridge = createBridge({
    core,
    agent: 'alpha',
    config: parseBridgeConfig({
      listen: '127.0.0.1:0',
      webhookKeyEnv: 'T_KEY',
      s3: { endpoint: s3.endpoint, accessKeyEnv: 'T_S3_ACCESS', secretKeyEnv: 'T_S3_SECRET' },
      matrix: {
        homeserver: fake.url,
        accessTokenEnv: 'T_MATRIX',
        userId: bridgeUser,
        domain: DOMAIN,
        workerRooms: { bob: rooms.bob },
      },
      ackTimeoutMs: 200,
      maxHandoffs: 3,
      pollIntervalMs: 20,
      tasksDir: join(root, 'tasks'),
    }),
    env: { T_KEY: KEY, T_S3_ACCESS: 'S3RVER', T_S3_SECRET: 'S3RVER', T_MATRIX: MATRIX_TOKEN },
    log,
  });
  await bridge.start();
});

afterAll(async () => {
  await bridge.stop();
  await fake.close();
  await s3.close();
  await rm(root, { recursive: true, force: true });
});

describe('HiClaw hand-off', () => {
  it('writes the task folder, re-sends to a starting worker, and submits its result for review', async () => {
    const body = payload('h-alice', {
      worker_matrix_id: `@alice:${DOMAIN}`,
      task_input: { delivery_mode: 'push', repo_url: 'https://git.example/o/r.git', repo_access_token: REPO_TOKEN },
    });
    // The platform retries: three deliveries of the same hiring.
    expect(await Promise.all([deliver(body), deliver(body), deliver(body)])).toEqual([200, 200, 200]);

    const sub = await waitFor('a submission for h-alice', () => core.submissions.find((s) => s.hiringId === 'h-alice'));
    expect(sub).toMatchObject({
      kind: 'result',
      agent: 'alpha',
      submittedBy: 'hiclaw:alice',
      state: 'awaiting_review',
    });
    // CoPaw marks meta.json submitted before it speaks: the summary is its message or result.md's title.
    expect(sub.result?.output).toEqual({
      summary: expect.stringMatching(/Implemented the change|Result for h-alice/),
      result_markdown: resultMd('h-alice'),
    });
    expect(core.records.get('h-alice')?.claimedBy).toBe('hiclaw:alice');

    // meta.json as HiClaw workers need it (the local copy is what the bridge wrote).
    const meta = JSON.parse(await readFile(join(root, 'tasks', 'h-alice', 'meta.json'), 'utf8')) as TaskMeta;
    expect(meta).toMatchObject({
      task_id: 'h-alice',
      project_id: 'agrenting',
      task_title: 'Fix the login bug',
      assigned_to: 'alice',
      room_id: rooms.alice,
      status: 'assigned',
      source: 'agrenting',
      hiring_id: 'h-alice',
      price: '25.00',
      deadline_at: '2030-01-01T00:00:00Z',
    });
    expect(Date.parse(meta.assigned_at)).not.toBeNaN();
    const spec = await s3.store.get('shared/tasks/h-alice/spec.md');
    expect(spec).toContain('The login form rejects valid emails');
    expect(spec).toContain('Please add a test.');
    expect(spec).toContain('TASK_COMPLETED');
    expect(spec).toContain('result.md');
    const tutorial = await s3Json<Record<string, unknown>>('shared/tasks/h-alice/task-spec.json');
    expect(tutorial).toMatchObject({ hiring_id: 'h-alice', repo_url: 'https://git.example/o/r.git' });

    // The hand-off was re-sent once the first was dropped, each attempt once despite duplicates.
    const state = await waitFor('state submitted', async () => {
      const s = await s3Json<BridgeState>('shared/tasks/h-alice/bridge-state.json');
      return s.phase === 'submitted' ? s : undefined;
    });
    expect(state.attempts).toBeGreaterThanOrEqual(2);
    expect(state.acknowledged_at).not.toBeNull();
    expect(state.handed_off_at).not.toBeNull();
    const sent = bridgeMessages('alice');
    expect(sent).toHaveLength(state.attempts);
    expect(fake.ignored.filter((i) => i.room === rooms.alice).map((i) => i.reason)).toEqual(['worker still starting']);
    for (const m of sent) {
      expect(m.content['m.mentions']).toEqual({ user_ids: [`@alice:${DOMAIN}`] });
      expect(m.content.formatted_body).toContain(`<a href="https://matrix.to/#/@alice:${DOMAIN}">`);
    }
    const puts = fake.requests.filter((r) => r.method === 'PUT' && r.rawPath.includes(encodeURIComponent(rooms.alice)));
    expect(puts[0].rawPath).toContain('/send/m.room.message/agrenting-h-alice-1');
    expect(puts[1].rawPath).toContain('/send/m.room.message/agrenting-h-alice-2');
    expect(
      fake.requests.some((r) =>
        r.rawPath.includes(`/directory/room/${encodeURIComponent(`#hiclaw-worker-alice:${DOMAIN}`)}`),
      ),
    ).toBe(true);
  });

  it('never writes the repository token, the Matrix token or the keys anywhere', async () => {
    for (const f of await listFiles(join(root, 'tasks'))) {
      // A state file being replaced may vanish between listing and reading.
      const text = await readFile(join(root, 'tasks', f), 'utf8').catch(() => '');
      expect(text).not.toContain(REPO_TOKEN);
      expect(text).not.toContain(MATRIX_TOKEN);
      expect(text).not.toContain(KEY);
    }
    for (const f of await listFiles(s3.dir)) {
      const text = await readFile(join(s3.dir, f), 'utf8').catch(() => '');
      expect(text).not.toContain(REPO_TOKEN);
    }
    const logs = log.lines.join('\n');
    for (const secret of [REPO_TOKEN, MATRIX_TOKEN, KEY, 'S3RVER']) expect(logs).not.toContain(secret);
  });

  it('finds an old install room through the map, joins it, and turns BLOCKED into a failure proposal', async () => {
    expect(await deliver(payload('h-bob', { worker_matrix_id: `@bob:${DOMAIN}` }))).toBe(200);
    const sub = await waitFor('a failure proposal for h-bob', () =>
      core.submissions.find((s) => s.hiringId === 'h-bob'),
    );
    expect(sub).toMatchObject({ kind: 'failure', submittedBy: 'hiclaw:bob', state: 'awaiting_review' });
    expect(sub.failure?.reason).toMatch(/bob is blocked: the repository needs credentials/);
    expect(fake.rooms.get(rooms.bob)?.members.has(bridgeUser)).toBe(true);
    expect(
      fake.requests.some(
        (r) => r.method === 'POST' && r.rawPath.endsWith(`/rooms/${encodeURIComponent(rooms.bob)}/join`),
      ),
    ).toBe(true);
    // s3rver may serve an object mid-overwrite as empty: read until it parses.
    await waitFor(
      'state blocked',
      async () => (await s3Json<BridgeState>('shared/tasks/h-bob/bridge-state.json')).phase === 'blocked',
    );
  });

  it('stops re-sending after maxHandoffs when the worker never acknowledges', async () => {
    expect(await deliver(payload('h-carol', { worker_matrix_id: `@carol:${DOMAIN}` }))).toBe(200);
    const state = await waitFor('carol unacknowledged', () =>
      bridge.tasks().find((t) => t.hiring_id === 'h-carol' && t.phase === 'unacknowledged'),
    );
    expect(state.attempts).toBe(3);
    expect(bridgeMessages('carol')).toHaveLength(3);
    expect(bridgeMessages('carol')[2].body).toContain('re-sent, attempt 3');
    expect(core.submissions.some((s) => s.hiringId === 'h-carol')).toBe(false);
  });

  it('accepts an OpenClaw-style report without the task id when the worker has one task', async () => {
    expect(await deliver(payload('h-dave', { worker_matrix_id: `@dave:${DOMAIN}` }))).toBe(200);
    const sub = await waitFor('a submission for h-dave', () => core.submissions.find((s) => s.hiringId === 'h-dave'));
    expect(sub.result?.output).toMatchObject({ result_markdown: resultMd('h-dave') });
  });

  it('refuses a delivery without worker_matrix_id when no worker is configured', async () => {
    const res = await fetch(bridge.webhookUrl, {
      method: 'POST',
      body: JSON.stringify(payload('h-none')),
      headers: { authorization: `ApiKey ${KEY}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/worker_matrix_id/);
  });
});

describe('Matrix client against the fake homeserver', () => {
  it('logs in with a password and refuses a wrong one', async () => {
    const login = (password: string) =>
      fetch(`${fake.url}/_matrix/client/v3/login`, {
        method: 'POST',
        body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'dave' }, password }),
      });
    const ok = (await (await login('pw')).json()) as { access_token: string; user_id: string };
    expect(ok.user_id).toBe(`@dave:${DOMAIN}`);
    const m = new MatrixClient({ homeserver: fake.url, accessToken: ok.access_token });
    expect(await m.joinedRooms()).toEqual([rooms.dave]);
    const bad = await login('nope');
    expect(bad.status).toBe(403);
    expect(await bad.json()).toMatchObject({ errcode: 'M_FORBIDDEN' });
  });

  it('sends each txnId once and reports errors with errcode', async () => {
    const m = new MatrixClient({ homeserver: fake.url, accessToken: MATRIX_TOKEN });
    const before = fake.messagesIn(rooms.dave).length;
    const a = await m.sendMessage(rooms.dave, 'txn-same', { msgtype: 'm.text', body: 'hello' });
    const b = await m.sendMessage(rooms.dave, 'txn-same', { msgtype: 'm.text', body: 'hello' });
    expect(a).toBe(b);
    expect(fake.messagesIn(rooms.dave)).toHaveLength(before + 1);
    expect(await m.resolveAlias(`#nope:${DOMAIN}`)).toBeUndefined();
    const bad = new MatrixClient({ homeserver: fake.url, accessToken: 'syt_wrong_token_value' });
    await expect(bad.joinedRooms()).rejects.toMatchObject({ status: 401, errcode: 'M_UNKNOWN_TOKEN' });
    await expect(m.sendMessage('!nowhere:hiclaw.test', 't1', {})).rejects.toMatchObject({
      status: 404,
      errcode: 'M_NOT_FOUND',
    });
  });
});
