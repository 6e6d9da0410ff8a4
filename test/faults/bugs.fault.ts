// KNOWN BUG REPRODUCTIONS found by the fault suite. Each test here FAILS until the
// relay is fixed; it is kept minimal so the fix is easy to check. Do not skip them.
//
// BUG 1 (found by chaos.fault.ts): a stale platform view of a hiring reopens it
// after it was completed. src/relay/inbox/store.ts, HiringStore.nextPhase():
//   if (isTerminalStatus(existing.hiring.status)) return existing.claimedBy ? 'claimed' : 'new';
// Under a slow network a read of hiring://pending (or GET /hirings/pending, or a
// getHiring) that left the platform *before* the result was accepted can arrive
// *after* the relay recorded "completed". The relay then takes the old
// "in_progress" for "the platform reopened it": the hiring goes back to 'claimed',
// reappears in hiring://pending for workers, a worker submits again, and the
// outbox refuses ("a result was already delivered; only one can be sent") — the
// platform is safe, but the relay shows a finished hiring as open work, and the
// refused second submission stays 'delivering' with no outbox entry (the enqueue
// conflict in Submissions.deliverNow, src/relay/core/submissions.ts, is not
// handled), so the hiring sits in phase 'delivering' and resume() retries it on
// every restart.
// A fix: only reopen when the incoming view is newer (its updated_at is later
// than the stored one's), or never reopen on a status read from a pending list.
import { afterAll, describe, expect, it } from 'vitest';
import { HiringStore } from '../../src/relay/inbox/store';
import { createRelay } from '../../src/relay/relay';
import type { Caller, UpstreamLink, UpstreamListener } from '../../src/relay/types';
import { hiring, quietLogger, tempDir, waitFor } from '../inbox/helpers';

describe('known bug: a stale platform view reopens a completed hiring', () => {
  const t = tempDir('faults-bug-stale-');
  afterAll(() => t.cleanup());

  it('keeps a completed hiring done when an older in_progress view arrives late', async () => {
    const store = await HiringStore.open(t.dir, { logger: quietLogger(), durable: false });
    try {
      const stale = hiring('H-stale', { status: 'in_progress', updated_at: '2026-11-24T10:00:00Z' });
      await store.upsert('a', [stale], 'mcp');
      await store.claim('H-stale', 'worker-1');
      await store.upsert('a', [hiring('H-stale', { status: 'completed', updated_at: '2026-11-24T10:05:00Z', completed_at: '2026-11-24T10:05:00Z' })], 'rest');
      expect(store.get('H-stale')?.phase).toBe('done');

      // The pending list read at 10:00 answers only now.
      await store.upsert('a', [stale], 'mcp');

      expect(store.get('H-stale')?.phase).toBe('done');
      expect(store.active('a').map((r) => String(r.hiring.id))).not.toContain('H-stale');
    } finally {
      await store.close();
    }
  });
});

// The same bug as a worker and the operator see it, through the real relay core with a scripted upstream.
describe('known bug (core level): the reopened hiring is offered again and its second submission sticks', () => {
  const t = tempDir('faults-bug-core-');
  afterAll(() => t.cleanup());

  it('never offers a completed hiring as work again, and leaves nothing delivering', async () => {
    let listener: UpstreamListener | undefined;
    const completed = hiring('H-core', { status: 'completed', updated_at: '2026-11-24T10:05:00Z' });
    const link: UpstreamLink = {
      agent: 'a',
      status: () => ({ agent: 'a', state: 'connected', reconnects: 0 }),
      start: () => undefined,
      stop: async () => undefined,
      refresh: async () => undefined,
      getHiring: async () => completed,
      deliver: async () => ({ kind: 'confirmed' }),
      systemPrompt: async () => '',
    };
    const relay = createRelay({
      agents: [{ name: 'a', baseUrl: 'http://127.0.0.1:9', apiKey: 'bug-repro-agent-key' }],
      stateDir: t.dir,
      port: 0,
      review: 'off',
      durable: false,
      writeRelayFile: false,
      logger: quietLogger(),
      createLink: (_agent, l) => {
        listener = l;
        return link;
      },
    });
    await relay.start();
    try {
      const worker: Caller = { role: 'worker', agent: 'a', name: 'a' };
      const stale = hiring('H-core', { status: 'in_progress', updated_at: '2026-11-24T10:00:00Z' });
      listener?.onHirings('a', [stale], 'mcp');
      await waitFor(() => relay.listActive(worker).length === 1, 'the hiring in the store');
      await relay.submitResult(worker, { hiring_id: 'H-core', output: { summary: 'done' } });
      await waitFor(() => relay.getHiring(worker, 'H-core').phase === 'done', 'the delivery');

      // A pending list read before the delivery answers late.
      listener?.onHirings('a', [stale], 'mcp');
      await new Promise((r) => setImmediate(r));

      expect(relay.listActive(worker).map((v) => String(v.hiring.id))).toEqual([]);
      await expect(relay.submitResult(worker, { hiring_id: 'H-core', output: { summary: 'again' } })).rejects.toThrow(/already completed/);
      expect(relay.status().counts.delivering).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});
