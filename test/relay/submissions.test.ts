// A submission's way to the platform through the real relay core, with a scripted
// upstream: refusals and approving again, and restarts on the state a kill -9
// leaves between two journal writes.
import { afterEach, describe, expect, it } from 'vitest';
import { HiringStore } from '../../src/relay/inbox/store';
import { Outbox } from '../../src/relay/inbox/outbox';
import { ReviewQueue } from '../../src/relay/inbox/review';
import { parseHiring } from '../../src/shared/hiring';
import { memoryLogger } from '../../src/shared/log';
import { TOOL } from '../../src/shared/protocol';

import { operator, Relays, worker } from './scripted';
import { waitFor } from '../support/wait';

const R = new Relays();
afterEach(() => R.cleanup());

const quiet = () => memoryLogger('prep');

/** Opens the inbox of a stopped relay to look at (or prepare) what is on disk. */
async function onDisk(dir: string) {
  const store = await HiringStore.open(dir, { logger: quiet(), durable: false });
  const queue = await ReviewQueue.open(dir, { logger: quiet(), durable: false });
  const outbox = await Outbox.open(dir, {
    logger: quiet(),
    durable: false,
    autoStart: false,
    send: async () => ({ kind: 'retry', message: 'not here' }),
  });
  return {
    store,
    queue,
    outbox,
    async close() {
      await outbox.close();
      await queue.close();
      await store.close();
    },
  };
}

/** A hiring with a result submission in the state `upTo`, as a crash would leave it. */
async function prepared(
  dir: string,
  upTo: 'delivering' | 'delivered' | 'rejected' | 'awaiting_unlinked',
  outboxEnd?: 'confirmed' | 'rejected',
) {
  const d = await onDisk(dir);
  await d.store.upsert('fake', [parseHiring({ id: 'h1', status: 'in_progress' })], 'mcp');
  await d.store.claim('h1', 'fake');
  const s = await d.queue.create({
    agent: 'fake',
    hiringId: 'h1',
    kind: 'result',
    result: { hiring_id: 'h1', output: 'r' },
    submittedBy: 'fake',
  });
  if (upTo === 'awaiting_unlinked') {
    await d.close();
    return s.id;
  }
  await d.store.linkSubmission('h1', s.id, 'awaiting_review');
  if (upTo === 'rejected') {
    await d.queue.reject(s.id, 'op', 'add tests please');
    await d.close();
    return s.id;
  }
  await d.queue.approve(s.id, 'op');
  await d.store.setPhase('h1', 'delivering');
  await d.queue.markDelivering(s.id);
  if (outboxEnd) {
    const box = await Outbox.open(dir, {
      logger: quiet(),
      durable: false,
      fileName: 'outbox.jsonl',
      send: async () =>
        outboxEnd === 'confirmed' ? { kind: 'confirmed' } : { kind: 'rejected', message: 'not yours' },
    });
    await box.enqueue({
      agent: 'fake',
      hiringId: 'h1',
      tool: TOOL.submitResult,
      args: { hiring_id: 'h1', output: 'r' },
      submissionId: s.id,
    });
    await new Promise<void>((resolve) => box.entries.onEvent((e) => e.type === outboxEnd && resolve()));
    await box.close();
  }
  if (upTo === 'delivered') await d.queue.markDelivered(s.id);
  await d.close();
  return s.id;
}

describe('a refused delivery', () => {
  it('can be approved again: it goes out under a new idempotency key, and never sticks in delivering', async () => {
    const { relay, link } = await R.start(R.dir());
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    link.answers = [
      { kind: 'rejected', message: 'Agrenting is refusing results for a moment' },
      { kind: 'rejected', message: 'still refusing' },
    ];
    const sub = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await relay.approve(operator, sub.id);
    await waitFor('the refusal', () => relay.getHiring(worker, 'h1').relayMessages.length === 1);
    expect(relay.getHiring(worker, 'h1').phase).toBe('claimed');

    await relay.approve(operator, sub.id);
    await waitFor('the second refusal', () => relay.getHiring(worker, 'h1').relayMessages.length === 2);
    expect(relay.status().counts.delivering).toBe(0);

    link.set({ id: 'h1', status: 'completed' });
    await relay.approve(operator, sub.id);
    await waitFor('the delivery', () => relay.getHiring(worker, 'h1').phase === 'done');
    expect(link.delivered.map((d) => d.key)).toEqual([
      `submission-${sub.id}`,
      `submission-${sub.id}-2`,
      `submission-${sub.id}-3`,
    ]);
    expect(relay.status()).toMatchObject({ outboxPending: 0, counts: { delivering: 0 } });
  });

  it('is not approved again once the worker sent a newer submission for the hiring', async () => {
    const { relay, link } = await R.start(R.dir());
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    link.answers = [{ kind: 'rejected', message: 'output: must mention the tests' }];
    const first = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await relay.approve(operator, first.id);
    await waitFor('the refusal', () => relay.getHiring(worker, 'h1').phase === 'claimed');
    const second = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r, with tests' });
    await expect(relay.approve(operator, first.id)).rejects.toThrow(new RegExp(`newer submission ${second.id}`));
    expect(relay.getHiring(worker, 'h1').phase).toBe('awaiting_review');
    expect(relay.reviewQueue(operator).map((s) => s.id)).toEqual([second.id]);
    expect(link.delivered).toHaveLength(1);
  });
});

describe('a hiring the hirer cancels while its submission waits for review', () => {
  it('withdraws the submission from the review queue and tells the worker', async () => {
    const dir = R.dir();
    const { relay, link } = await R.start(dir);
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    const sub = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    expect(relay.status().reviewsWaiting).toBe(1);
    link.push({ id: 'h1', status: 'cancelled' });
    await waitFor('the worker told', () => relay.getHiring(worker, 'h1').relayMessages.length === 1);
    expect(relay.status().reviewsWaiting).toBe(0);
    expect(relay.reviewQueue(operator)).toEqual([]);
    expect(relay.getHiring(worker, 'h1')).toMatchObject({
      phase: 'failed',
      relayMessages: [{ from: 'relay', content: expect.stringMatching(/cancelled on Agrenting/) }],
    });
    await expect(relay.approve(operator, sub.id)).rejects.toThrow(/already rejected|already cancelled/);
    expect(link.delivered).toEqual([]);
  });

  it('withdraws it after a restart too, when the cancellation was seen just before the crash', async () => {
    const dir = R.dir();
    const d = await onDisk(dir);
    await d.store.upsert('fake', [parseHiring({ id: 'h1', status: 'in_progress' })], 'mcp');
    const s = await d.queue.create({
      agent: 'fake',
      hiringId: 'h1',
      kind: 'failure',
      failure: { hiring_id: 'h1', reason: 'cannot' },
      submittedBy: 'fake',
    });
    await d.store.linkSubmission('h1', s.id, 'awaiting_review');
    await d.store.upsert('fake', [parseHiring({ id: 'h1', status: 'cancelled' })], 'rest');
    await d.close();
    const { relay } = await R.start(dir);
    await waitFor('the worker told', () => relay.getHiring(operator, 'h1').relayMessages.length === 1);
    expect(relay.status().reviewsWaiting).toBe(0);
  });
});

describe('a refusal after an attempt that landed', () => {
  it('counts the result delivered when the platform shows the hiring completed', async () => {
    const dir = R.dir();
    const { relay, link } = await R.start(dir, { review: 'off' });
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    // The MCP call landed but its answer was lost; REST with the same key was refused.
    link.set({ id: 'h1', status: 'completed' });
    link.answer = { kind: 'rejected', message: 'POST /api/v1/hirings/h1/result answered 422 IDEMPOTENCY_MISMATCH' };
    const sub = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await waitFor('the hiring done', () => relay.getHiring(worker, 'h1').phase === 'done');
    expect(relay.getHiring(worker, 'h1').relayMessages).toEqual([]);
    await R.stop(relay);
    const d = await onDisk(dir);
    expect(d.queue.get(sub.id)?.state).toBe('delivered');
    await d.close();
  });
});

describe('a hiring that ended on the platform before its result arrived', () => {
  it('does not count "already cancelled" as the result delivered', async () => {
    const { relay, link } = await R.start(R.dir());
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    const sub = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    // The hirer cancels while the submission waits for review; nobody tells the relay.
    link.set({ id: 'h1', status: 'cancelled' });
    link.answer = { kind: 'already-done', message: 'Hiring h1 is already cancelled on Agrenting.' };
    await relay.approve(operator, sub.id);
    await waitFor('the hiring ended', () => relay.getHiring(worker, 'h1').phase === 'failed');
    await waitFor('the worker told', () => relay.getHiring(worker, 'h1').relayMessages.length === 1);
    expect(relay.getHiring(worker, 'h1').relayMessages[0].content).toMatch(/cancelled.*result was not taken/);
    await expect(relay.approve(operator, sub.id)).rejects.toThrow(/already cancelled/);
  });

  it('still counts "already completed" after our own earlier attempt as delivered', async () => {
    const { relay, link } = await R.start(R.dir(), { review: 'off' });
    link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    link.set({ id: 'h1', status: 'completed' });
    link.answers = [
      { kind: 'retry', message: 'socket hang up' },
      { kind: 'already-done', message: 'already completed' },
    ];
    await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await waitFor('the hiring done', () => relay.getHiring(worker, 'h1').phase === 'done');
    expect(relay.getHiring(worker, 'h1').relayMessages).toEqual([]);
  });
});

describe('restart after a crash between two journal writes', () => {
  it('settles a delivery the outbox recorded as confirmed before the submission heard of it', async () => {
    const dir = R.dir();
    const id = await prepared(dir, 'delivering', 'confirmed');
    const { relay, link } = await R.start(dir, { hirings: [{ id: 'h1', status: 'completed' }] });
    await waitFor('the hiring done', () => relay.getHiring(worker, 'h1').phase === 'done');
    await R.stop(relay);
    expect(link.delivered).toEqual([]);
    const d = await onDisk(dir);
    expect(d.queue.get(id)?.state).toBe('delivered');
    await d.close();
  });

  it('delivers, under its one key, a submission marked delivering whose outbox entry was never written', async () => {
    const dir = R.dir();
    const id = await prepared(dir, 'delivering');
    const { relay, link } = await R.start(dir, { hirings: [{ id: 'h1', status: 'completed' }] });
    await waitFor('the hiring done', () => relay.getHiring(worker, 'h1').phase === 'done');
    expect(link.delivered.map((d) => d.key)).toEqual([`submission-${id}`]);
  });

  it('settles a delivery the outbox recorded as refused before the submission heard of it', async () => {
    const dir = R.dir();
    const id = await prepared(dir, 'delivering', 'rejected');
    const { relay, link } = await R.start(dir);
    await waitFor('the hiring back with the worker', () => relay.getHiring(worker, 'h1').phase === 'claimed');
    expect(relay.getHiring(worker, 'h1').relayMessages.map((m) => m.content)).toEqual([
      'Agrenting refused the result: not yours',
    ]);
    await R.stop(relay);
    expect(link.delivered).toEqual([]);
    const d = await onDisk(dir);
    expect(d.queue.get(id)?.state).toBe('failed');
    await d.close();
  });

  it('does not deliver an approved submission whose hiring ended while the relay was down', async () => {
    const dir = R.dir();
    const d = await onDisk(dir);
    await d.store.upsert('fake', [parseHiring({ id: 'h1', status: 'in_progress' })], 'mcp');
    const s = await d.queue.create({
      agent: 'fake',
      hiringId: 'h1',
      kind: 'result',
      result: { hiring_id: 'h1', output: 'r' },
      submittedBy: 'fake',
    });
    await d.store.linkSubmission('h1', s.id, 'awaiting_review');
    await d.queue.approve(s.id, 'op');
    // The crash came before the delivery started; the hirer cancelled meanwhile (seen on the next read).
    await d.store.upsert('fake', [parseHiring({ id: 'h1', status: 'cancelled' })], 'rest');
    await d.close();
    const { relay, link } = await R.start(dir, { hirings: [{ id: 'h1', status: 'cancelled' }] });
    await waitFor('the worker told', () => relay.getHiring(worker, 'h1').relayMessages.length === 1);
    expect(relay.getHiring(worker, 'h1')).toMatchObject({ phase: 'failed', hiring: { status: 'cancelled' } });
    expect(relay.listActive(worker)).toEqual([]);
    expect(link.delivered).toEqual([]);
    await R.stop(relay);
    const after = await onDisk(dir);
    expect(after.queue.get(s.id)?.state).toBe('failed');
    await after.close();
  });

  it('finishes a hiring whose submission was marked delivered just before the crash', async () => {
    const dir = R.dir();
    await prepared(dir, 'delivered', 'confirmed');
    const { relay, link } = await R.start(dir, { hirings: [{ id: 'h1', status: 'completed' }] });
    await waitFor('the hiring done', () => relay.getHiring(worker, 'h1').phase === 'done');
    expect(relay.status().counts.delivering).toBe(0);
    expect(link.delivered).toEqual([]);
  });

  it('gives a rejected hiring back to the worker with the feedback, even if the crash came first', async () => {
    const dir = R.dir();
    await prepared(dir, 'rejected');
    const { relay } = await R.start(dir);
    await waitFor('the hiring back with the worker', () => relay.getHiring(worker, 'h1').phase === 'claimed');
    expect(relay.getHiring(worker, 'h1').relayMessages).toMatchObject([
      { from: 'review', content: 'add tests please' },
    ]);
  });

  it('knows a submission that was saved but not yet linked to its hiring, so no second one is queued', async () => {
    const dir = R.dir();
    const id = await prepared(dir, 'awaiting_unlinked');
    const { relay } = await R.start(dir);
    await expect(relay.submitResult(worker, { hiring_id: 'h1', output: 'again' })).rejects.toThrow(
      /already has submission/,
    );
    await waitFor('the submission linked', () => relay.getHiring(worker, 'h1').submissions.includes(id));
    expect(relay.getHiring(worker, 'h1').phase).toBe('awaiting_review');
    expect(relay.reviewQueue(operator).map((s) => s.id)).toEqual([id]);
  });
});

describe('stop() with a delivery in flight', () => {
  it('loses nothing and doubles nothing across the restart', async () => {
    const dir = R.dir();
    const first = await R.start(dir, { review: 'off' });
    first.link.push({ id: 'h1', status: 'in_progress' });
    await waitFor('the hiring', () => first.relay.listActive(worker).length === 1);
    let release: () => void = () => undefined;
    first.link.hold = new Promise<void>((r) => (release = r));
    first.link.set({ id: 'h1', status: 'completed' });
    const sub = await first.relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await waitFor('the send', () => first.link.delivered.length === 1);
    const stopping = R.stop(first.relay);
    release();
    await stopping;

    const second = await R.start(dir, { hirings: [{ id: 'h1', status: 'completed' }] });
    await waitFor('the hiring done', () => second.relay.getHiring(worker, 'h1').phase === 'done');
    expect(second.relay.status()).toMatchObject({ outboxPending: 0, counts: { delivering: 0 } });
    // Same key if it was sent again at all: the platform sees one delivery.
    for (const d of second.link.delivered) expect(d.key).toBe(`submission-${sub.id}`);
    await R.stop(second.relay);
    const d = await onDisk(dir);
    expect(d.queue.get(sub.id)?.state).toBe('delivered');
    await d.close();
  });
});
