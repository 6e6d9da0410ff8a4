import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReviewQueue, type NewSubmission } from '../../src/relay/inbox/review';
import { RelayError } from '../../src/relay/types';
import { quietLogger, tempDir } from './helpers';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir('review-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function open(d: string, finishedLimit?: number): Promise<ReviewQueue> {
  const q = await ReviewQueue.open(d, { logger: quietLogger(), finishedLimit });
  cleanups.push(() => q.close());
  return q;
}

const result = (hiringId = 'h1'): NewSubmission => ({
  agent: 'a1',
  hiringId,
  kind: 'result',
  result: { hiring_id: hiringId, output: 'the fix' },
  submittedBy: 'worker-1',
});

describe('ReviewQueue', () => {
  it('creates submissions waiting for review with random ids', async () => {
    const q = await open(dir());
    const a = await q.create(result('h1'));
    const b = await q.create(result('h2'));
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ state: 'awaiting_review', hiringId: 'h1', kind: 'result', submittedBy: 'worker-1' });
    expect(q.list('awaiting_review').map((s) => s.id)).toEqual([a.id, b.id]);
    expect(q.waiting()).toBe(2);
    expect(q.forHiring('h2').map((s) => s.id)).toEqual([b.id]);
  });

  it('approves once; a second approve or a reject afterwards is refused with a clear error', async () => {
    const q = await open(dir());
    const s = await q.create(result());
    const ok = await q.approve(s.id, 'operator');
    expect(ok).toMatchObject({ state: 'approved', decidedBy: 'operator' });
    expect(ok.decidedAt).toBeDefined();
    const err = await q.approve(s.id, 'operator').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('conflict');
    expect((err as RelayError).message).toMatch(
      /Submission .* for hiring h1 was already approved by operator at \S+\. Your approval was not applied/,
    );
    await expect(q.reject(s.id, 'operator', 'no')).rejects.toThrow(/already approved/);
  });

  it('cannot approve a rejected submission; rejection keeps the feedback', async () => {
    const q = await open(dir());
    const s = await q.create(result());
    await expect(q.reject(s.id, 'op', '   ')).rejects.toMatchObject({ code: 'invalid' });
    const r = await q.reject(s.id, 'op', 'Add a test for the empty case.');
    expect(r).toMatchObject({ state: 'rejected', feedback: 'Add a test for the empty case.', decidedBy: 'op' });
    await expect(q.approve(s.id, 'op')).rejects.toThrow(
      /was already rejected by op at .* Your approval was not applied/,
    );
    await expect(q.update(s.id, { result: { hiring_id: 'h1', output: 'x' } })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('follows delivery: approved → delivering → delivered, failed may be retried', async () => {
    const q = await open(dir());
    const s = await q.create({ ...result(), state: 'approved' });
    expect(s.state).toBe('approved');
    await q.markDelivering(s.id);
    const failed = await q.markFailed(s.id, 'push refused');
    expect(failed).toMatchObject({ state: 'failed', error: 'push refused' });
    await q.markDelivering(s.id);
    const done = await q.markDelivered(s.id);
    expect(done.state).toBe('delivered');
    expect(done.error).toBeUndefined();
    expect(done.deliveredAt).toBeDefined();
    await expect(q.markDelivering(s.id)).rejects.toThrow(/already delivered/);
  });

  it('refuses delivery before review', async () => {
    const q = await open(dir());
    const s = await q.create(result());
    await expect(q.markDelivering(s.id)).rejects.toThrow(/waiting for review/);
  });

  it('updates what will be sent before delivery (push mode fills in the summary)', async () => {
    const q = await open(dir());
    const s = await q.create(result());
    await q.approve(s.id, 'op');
    const u = await q.update(s.id, { result: { hiring_id: 'h1', output: { branch: 'agrenting/h1', commit: 'abc' } } });
    expect(u.result?.output).toEqual({ branch: 'agrenting/h1', commit: 'abc' });
  });

  it('validates new submissions and unknown ids', async () => {
    const q = await open(dir());
    await expect(q.create({ agent: 'a', hiringId: 'h', kind: 'result', submittedBy: 'w' })).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(q.create({ agent: 'a', hiringId: 'h', kind: 'failure', submittedBy: 'w' })).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(q.approve('nope', 'op')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('survives a restart with every state and decision', async () => {
    const d = dir();
    const q1 = await ReviewQueue.open(d, { logger: quietLogger() });
    const a = await q1.create(result('h1'));
    const b = await q1.create({
      agent: 'a1',
      hiringId: 'h2',
      kind: 'failure',
      failure: { hiring_id: 'h2', reason: 'no access', error: 'other' },
      submittedBy: 'w',
    });
    const c = await q1.create(result('h3'));
    await q1.approve(a.id, 'op');
    await q1.reject(c.id, 'op', 'wrong file');
    const before = q1.list();
    await q1.close();
    const q2 = await open(d);
    expect(q2.list()).toEqual(before);
    expect(q2.get(b.id)?.failure?.reason).toBe('no access');
    await expect(q2.approve(a.id, 'op')).rejects.toThrow(/already approved/);
    await expect(q2.approve(b.id, 'op')).resolves.toMatchObject({ state: 'approved' });
    expect(readFileSync(path.join(d, 'reviews.jsonl'), 'utf8').split('\n').filter(Boolean).length).toBe(6);
  });

  it('keeps only the newest finished submissions, never waiting ones', async () => {
    const q = await open(dir(), 2);
    const waiting = await q.create(result('w'));
    for (let i = 0; i < 5; i++) {
      const s = await q.create(result(`h${i}`));
      await q.reject(s.id, 'op', 'no');
    }
    expect(q.list('rejected').map((s) => s.hiringId)).toEqual(['h3', 'h4']);
    expect(q.get(waiting.id)?.state).toBe('awaiting_review');
  });

  it('notifies listeners after the decision is saved', async () => {
    const q = await open(dir());
    const seen: string[] = [];
    q.onChange((s) => seen.push(s.state));
    const s = await q.create(result());
    await q.approve(s.id, 'op');
    expect(seen).toEqual(['awaiting_review', 'approved']);
  });
});
