// Regression guards for bugs the fault suite found (now fixed). Keep them minimal.
//
// BUG 1 (found by chaos.fault.ts): a stale platform view of a hiring reopened it
// after it was completed. Under a slow network a read of hiring://pending (or GET
// /hirings/pending, or a getHiring) that left the platform *before* the result was
// accepted could arrive *after* the relay recorded "completed"; the relay took the
// old "in_progress" for "the platform reopened it", the hiring reappeared in
// hiring://pending for workers, and a second submission was refused by the outbox
// and left 'delivering'. Fixed in src/relay/inbox/phase-rules.ts (isStaleView,
// reopens): an older view never overwrites a newer one, and a finished hiring is
// reopened only by a view proven newer; src/relay/core/submissions.ts handles the
// outbox's refusal.
import { afterAll, describe, expect, it } from 'vitest';
import { HiringStore } from '../../src/relay/inbox/store';
import { startRelay } from '../../src/relay/relay';
import type { Caller, UpstreamLink, UpstreamListener } from '../../src/relay/types';
import { hiring, quietLogger, tempDir } from '../inbox/helpers';
import { waitFor } from '../support/wait';

describe('known bug: a stale platform view reopens a completed hiring', () => {
  const t = tempDir('faults-bug-stale-');
  afterAll(() => t.cleanup());

  it('keeps a completed hiring done when an older in_progress view arrives late', async () => {
    const store = await HiringStore.open(t.dir, { logger: quietLogger(), durable: false });
    try {
      const stale = hiring('H-stale', { status: 'in_progress', updated_at: '2026-11-24T10:00:00Z' });
      await store.upsert('a', [stale], 'mcp');
      await store.claim('H-stale', 'worker-1');
      await store.upsert(
        'a',
        [
          hiring('H-stale', {
            status: 'completed',
            updated_at: '2026-11-24T10:05:00Z',
            completed_at: '2026-11-24T10:05:00Z',
          }),
        ],
        'rest',
      );
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
    const relay = await startRelay({
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
    try {
      const worker: Caller = { role: 'worker', agent: 'a', name: 'a' };
      const stale = hiring('H-core', { status: 'in_progress', updated_at: '2026-11-24T10:00:00Z' });
      listener?.onHirings('a', [stale], 'mcp');
      await waitFor('the hiring in the store', () => relay.listActive(worker).length === 1);
      await relay.submitResult(worker, { hiring_id: 'H-core', output: { summary: 'done' } });
      await waitFor('the delivery', () => relay.getHiring(worker, 'H-core').phase === 'done');

      // A pending list read before the delivery answers late.
      listener?.onHirings('a', [stale], 'mcp');
      await new Promise((r) => setImmediate(r));

      expect(relay.listActive(worker).map((v) => String(v.hiring.id))).toEqual([]);
      await expect(relay.submitResult(worker, { hiring_id: 'H-core', output: { summary: 'again' } })).rejects.toThrow(
        /already completed/,
      );
      expect(relay.status().counts.delivering).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});
