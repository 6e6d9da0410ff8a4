import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBridgeConfig } from '../../src/relay/bridge/config';
import { handoffTxnId, mentionContent, workerRef, workerRoomAlias } from '../../src/relay/bridge/handoff';
import { parseWebhookPayload, payloadToHiring } from '../../src/relay/bridge/payload';
import { verifyKey, verifySignature, webhookSignature } from '../../src/relay/bridge/signature';
import { safeEqual } from '../../src/shared/safe-equal';
import {
  buildMeta,
  buildTutorialSpec,
  publicRepoUrl,
  taskKey,
  type TaskContext,
} from '../../src/relay/bridge/task-files';
import { toTaskHiring } from '../../src/relay/bridge/task-hiring';
import { classifyReport } from '../../src/relay/bridge/watcher';
import { payload } from './helpers';

describe('signature and key checks', () => {
  it('accepts the right key in any of the platform header forms and refuses others', () => {
    expect(verifyKey({ authorization: 'ApiKey k-123456' }, 'k-123456')).toBe(true);
    expect(verifyKey({ 'x-api-key': 'k-123456' }, 'k-123456')).toBe(true);
    expect(verifyKey({ authorization: 'ApiKey k-1234567' }, 'k-123456')).toBe(false);
    expect(verifyKey({}, 'k-123456')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
  it('checks the base64 HMAC-SHA256 of the raw body', () => {
    const body = Buffer.from('{"a":1}');
    const sig = webhookSignature('s3cret-value', body);
    expect(verifySignature('s3cret-value', body, sig)).toBe(true);
    expect(verifySignature('s3cret-value', body, `sha256=${sig}`)).toBe(true);
    expect(verifySignature('s3cret-value', Buffer.from('{"a":2}'), sig)).toBe(false);
    expect(verifySignature('s3cret-value', body, undefined)).toBe(false);
  });
});

describe('webhook payload', () => {
  it('names each missing field', () => {
    const r = parseWebhookPayload({ hiring_id: 'h1', task: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/agent_id.*task\.description|task\.description.*agent_id/s);
  });
  it.each(['../../etc', 'a/b', '.hidden', 'a b', '', 'x'.repeat(129), '..'])(
    'refuses the unsafe hiring id %j',
    (id) => {
      expect(parseWebhookPayload(payload(id)).ok).toBe(false);
    },
  );
  it('requires worker_matrix_id only when asked', () => {
    expect(parseWebhookPayload(payload('h1'), { requireWorker: true }).ok).toBe(false);
    expect(
      parseWebhookPayload(payload('h1', { worker_matrix_id: '@alice:hiclaw.test' }), { requireWorker: true }).ok,
    ).toBe(true);
  });
  it('converts to a Hiring and keeps context fields', () => {
    const r = parseWebhookPayload(payload('h-9', { worker_matrix_id: '@alice:hiclaw.test', price: 12 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const h = toTaskHiring(payloadToHiring(r.payload));
    expect(h).toMatchObject({
      id: 'h-9',
      price: '12.00',
      capability_requested: 'coding',
      worker_matrix_id: '@alice:hiclaw.test',
      status: 'in_progress',
    });
    expect(h.task_description).toContain('Fix the login bug');
  });
});

describe('hand-off message', () => {
  it('mentions the worker in m.mentions and with a matrix.to pill', () => {
    const w = workerRef('alice', 'hiclaw.test');
    const c = mentionContent(w, { id: 'h1', task_description: 'Fix <b>it</b>' }, '@bridge:hiclaw.test', 1);
    expect(c).toMatchObject({
      msgtype: 'm.text',
      format: 'org.matrix.custom.html',
      'm.mentions': { user_ids: ['@alice:hiclaw.test'] },
    });
    expect(c.body).toMatch(/^@alice:hiclaw\.test New task \[h1\]: Fix <b>it<\/b>/);
    expect(c.formatted_body).toContain('<a href="https://matrix.to/#/@alice:hiclaw.test">@alice:hiclaw.test</a>');
    expect(c.formatted_body).toContain('Fix &lt;b&gt;it&lt;/b&gt;');
    expect(workerRoomAlias(w, 'hiclaw.test')).toBe('#hiclaw-worker-alice:hiclaw.test');
    expect(handoffTxnId('h1', 2)).not.toBe(handoffTxnId('h1', 1));
    expect(workerRef('@bob:other.test', 'hiclaw.test')).toEqual({ name: 'bob', id: '@bob:other.test' });
    expect(() => workerRef('../x', 'hiclaw.test')).toThrow(/not a HiClaw worker/);
  });
  it('reads worker reports', () => {
    expect(classifyReport('@bridge:d TASK_COMPLETED: done it [h1]')).toEqual({
      kind: 'completed',
      text: 'done it [h1]',
    });
    expect(classifyReport('BLOCKED: no access')).toEqual({ kind: 'blocked', text: 'no access' });
    expect(classifyReport('I am not BLOCKED, working')).toEqual({ kind: 'other' });
    expect(classifyReport('Got it')).toEqual({ kind: 'other' });
  });
});

describe('task files', () => {
  const parsed = parseWebhookPayload(
    payload('h2', {
      task_input: {
        delivery_mode: 'push',
        repo_url: 'https://x-access-token:ghs_abcdefghijklmnopqrstu@git.example/o/r.git',
        repo_access_token: 'ghs_abcdefghijklmnopqrstu',
      },
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  const hiring = toTaskHiring(payloadToHiring(parsed.payload));
  const ctx: TaskContext = {
    hiring,
    worker: 'alice',
    workerId: '@alice:d',
    roomId: '!r:d',
    projectId: 'agrenting',
    reportTo: '@bridge:d',
    now: '2030-01-01T00:00:00.000Z',
  };
  it('meta.json has what HiClaw workers require', () => {
    expect(buildMeta(ctx)).toMatchObject({
      task_id: 'h2',
      project_id: 'agrenting',
      task_title: 'Fix the login bug',
      assigned_to: 'alice',
      room_id: '!r:d',
      status: 'assigned',
      assigned_at: ctx.now,
      source: 'agrenting',
      hiring_id: 'h2',
      price: '25.00',
    });
  });
  it('task-spec.json never carries a token', () => {
    const text = JSON.stringify(buildTutorialSpec(ctx));
    expect(text).not.toContain('ghs_');
    expect(text).not.toMatch(/token/i);
    expect(publicRepoUrl('https://u:p@h/x')).toBe('https://h/x');
  });
  it('refuses unsafe keys', () => {
    expect(() => taskKey('../x', 'meta.json')).toThrow();
    expect(taskKey('h2', 'meta.json')).toBe('shared/tasks/h2/meta.json');
  });
});

describe('bridge config', () => {
  it('fills defaults and accepts "host:port"', () => {
    const c = parseBridgeConfig({ listen: '127.0.0.1:0' });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c).toMatchObject({ projectId: 'agrenting', maxHandoffs: 3, maxBodyBytes: 1024 * 1024 });
    expect(parseBridgeConfig({ tasksDir: '~/tasks' }).tasksDir).toBe(join(homedir(), 'tasks'));
  });
  it('refuses literal keys and unknown settings', () => {
    expect(() => parseBridgeConfig({ apiKey: 'abc' })).toThrow(/bridge/);
    expect(() => parseBridgeConfig({ matrix: { homeserver: 'http://x', userId: 'nope', domain: 'd' } })).toThrow(
      /userId/,
    );
  });
});
