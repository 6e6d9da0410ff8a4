// The life of a hiring through the real relay against the real sandbox:
// arrival, claim, review on and off, approve, reject with relay-local feedback,
// progress chunks and messages, failure reports.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayError } from '../../src/relay/types';
import { callTool } from '../../src/relay/downstream/tools';
import { accepted, hireAndSee, quiet, startWorld, type World } from './helpers';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

describe('relay with review off', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'off' });
  });
  afterAll(async () => {
    await w.close();
  });

  it('delivers a submitted result to the platform exactly once and marks the hiring done', async () => {
    const id = await hireAndSee(w);
    const view = await w.relay.claim(w.worker, id);
    expect(view.claimedBy).toBe('alice');
    expect(view.phase).toBe('claimed');
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: { summary: 'done', code: 'x' } });
    expect(['delivering', 'delivered']).toContain(sub.state);
    await waitFor('the sandbox to complete the hiring', () => w.sandbox.hiring(id)?.status === 'completed');
    await waitFor('the relay to mark it done', () => w.relay.getHiring(w.worker, id).phase === 'done');
    expect(accepted(w, id)).toBe(1);
    expect(w.sandbox.hiring(id)?.output).toEqual({ summary: 'done', code: 'x' });
    expect(w.relay.listActive(w.worker).some((v) => String(v.hiring.id) === id)).toBe(false);
    expect(w.relay.listAll(w.operator).find((v) => String(v.hiring.id) === id)?.hiring.status).toBe('completed');
  });

  it('answers a claim only once it is in the journal on disk', async () => {
    const id = await hireAndSee(w);
    await w.relay.claim(w.worker, id);
    // Read straight from disk while the relay runs: what a restart after a kill -9 would replay.
    const lines = readFileSync(join(w.stateDir, 'hirings.jsonl'), 'utf8').trim().split('\n');
    const claims = lines.map((l) => JSON.parse(l) as { t: string; id?: string; claimedBy?: string });
    expect(claims.some((r) => r.t === 'set' && r.id === id && r.claimedBy === 'alice')).toBe(true);
  });

  it('reports a failure and the platform refunds it', async () => {
    const id = await hireAndSee(w);
    await w.relay.reportFailure(w.worker, {
      hiring_id: id,
      reason: 'The repository is private',
      error: 'capability_mismatch',
    });
    await waitFor('the sandbox to fail the hiring', () => w.sandbox.hiring(id)?.status === 'failed');
    await waitFor('the relay phase failed', () => w.relay.getHiring(w.operator, id).phase === 'failed');
    expect(w.sandbox.hiring(id)?.failedReason).toContain('private');
  });

  it('sends messages and progress chunks without review and records chunks locally', async () => {
    const id = await hireAndSee(w);
    await w.relay.addMessage(w.worker, { hiring_id: id, content: 'Which Node version?', kind: 'question' });
    await w.relay.emitChunk(w.worker, { hiring_id: id, content: 'cloning…', kind: 'status' });
    await waitFor('the message upstream', () =>
      w.sandbox.hiring(id)?.messages.some((m) => m.content === 'Which Node version?'),
    );
    await waitFor('the chunk upstream', () => w.sandbox.hiring(id)?.chunks.some((c) => c.content === 'cloning…'));
    expect(w.relay.getHiring(w.worker, id).chunks.map((c) => c.content)).toEqual(['cloning…']);
  });

  it('refuses a second worker, bad arguments and unknown hirings with sentences', async () => {
    const id = await hireAndSee(w);
    await w.relay.claim(w.worker, id);
    const other = { role: 'worker' as const, agent: 'alice', name: 'bob-the-script' };
    await expect(w.relay.claim(other, id)).rejects.toThrow(/claimed by alice/);
    const bad = await callTool(
      'submit_hiring_result',
      { hiring_id: id },
      { core: w.relay, caller: w.worker, log: quiet() },
    );
    expect(bad.content).toEqual([{ type: 'text', text: expect.stringMatching(/arguments are not valid — output/) }]);
    expect(() => w.relay.getHiring(w.worker, 'nope')).toThrow(RelayError);
    const stranger = { role: 'worker' as const, agent: 'mallory', name: 'mallory' };
    expect(() => w.relay.getHiring(stranger, id)).toThrow(/Unknown hiring/);
    await expect(w.relay.approve(w.worker, 'x')).rejects.toThrow(/Only the operator/);
  });
});

describe('relay with review required', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'required' });
  });
  afterAll(async () => {
    await w.close();
  });

  it('holds a result for review, then approval completes it upstream once', async () => {
    const id = await hireAndSee(w);
    const events: string[] = [];
    const off = w.relay.subscribe((e) => events.push(e.type));
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'print("hi")' });
    expect(sub.state).toBe('awaiting_review');
    expect(w.relay.getHiring(w.worker, id).phase).toBe('awaiting_review');
    expect(w.relay.reviewQueue(w.operator).map((s) => s.id)).toContain(sub.id);
    expect(w.relay.status().reviewsWaiting).toBe(1);
    expect(events).toContain('review');
    // Nothing reached the platform while waiting.
    expect(w.sandbox.hiring(id)?.deliveries).toEqual([]);
    await expect(w.relay.submitResult(w.worker, { hiring_id: id, output: 'again' })).rejects.toThrow(
      /already has submission/,
    );

    await w.relay.approve(w.operator, sub.id);
    await waitFor('the sandbox to complete it', () => w.sandbox.hiring(id)?.status === 'completed');
    await waitFor('done locally', () => w.relay.getHiring(w.operator, id).phase === 'done');
    expect(accepted(w, id)).toBe(1);
    expect(w.relay.reviewQueue(w.operator)).toEqual([]);
    off();
  });

  it('turns rejection feedback into a relay-local message that never reaches the platform', async () => {
    const id = await hireAndSee(w);
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'first try' });
    await expect(w.relay.reject(w.operator, sub.id, '   ')).rejects.toThrow(/feedback is required/);
    const rejected = await w.relay.reject(w.operator, sub.id, 'Add tests for empty strings, please.');
    expect(rejected.state).toBe('rejected');
    const view = w.relay.getHiring(w.worker, id);
    expect(view.relayMessages).toEqual([
      expect.objectContaining({ content: 'Add tests for empty strings, please.', from: 'review' }),
    ]);
    expect(view.phase).toBe('claimed');
    const platform = w.sandbox.hiring(id);
    expect(platform?.messages).toEqual([]);
    expect(platform?.deliveries).toEqual([]);
    expect(platform?.status).toBe('in_progress');

    // The worker tries again; this time it is approved.
    const second = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'second try, with tests' });
    await w.relay.approve(w.operator, second.id);
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed');
    expect(w.sandbox.hiring(id)?.output).toBe('second try, with tests');
    expect(accepted(w, id)).toBe(1);
  });

  it('lets exactly one of two operators deciding at once win, and tells the other who decided and what', async () => {
    const id = await hireAndSee(w);
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'decided once' });
    const terminal = { role: 'operator' as const, name: 'terminal' };
    const [approval, rejection] = await Promise.allSettled([
      w.relay.approve(w.operator, sub.id),
      w.relay.reject(terminal, sub.id, 'Too late, I hope'),
    ]);
    expect(approval.status).toBe('fulfilled');
    expect(rejection.status).toBe('rejected');
    const why = rejection.status === 'rejected' ? String(rejection.reason) : '';
    expect(why).toMatch(new RegExp(`Submission ${sub.id} for hiring ${id} was already approved by operator at \\S+`));
    expect(why).toMatch(/Your rejection was not applied/);
    // The same window clicking Approve again is told too, and nothing is sent twice.
    await expect(w.relay.approve(terminal, sub.id)).rejects.toThrow(/was already approved by operator/);
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed');
    expect(accepted(w, id)).toBe(1);
    expect(w.relay.getHiring(w.operator, id).relayMessages).toEqual([]);
  });

  it('reports status: links, counts by phase, reviews and outbox', async () => {
    // Both hirings above were completed upstream; the relay marks them done once it re-reads them.
    const st = await waitFor('two done hirings', () =>
      w.relay.status().counts.done >= 2 ? w.relay.status() : undefined,
    );
    expect(st.review).toBe('required');
    expect(st.links).toEqual([expect.objectContaining({ agent: 'alice', state: 'connected' })]);
    expect(typeof st.outboxPending).toBe('number');
  });
});

describe('a hiring the hirer cancels', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'required', reconcileMs: 0 });
  });
  afterAll(async () => {
    await w.close();
  });

  it('leaves the active list once re-read, and its waiting submission can no longer be approved', async () => {
    const id = await hireAndSee(w);
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'too late' });
    w.sandbox.cancel(id);
    // Make sure it is found even if no notification said so: re-read idle hirings (reconcileMs 0 in this world).
    await waitFor('the cancellation to reach the relay', async () => {
      await w.relay.reconcile();
      return w.relay.getHiring(w.operator, id).phase === 'failed';
    });
    expect(w.relay.listActive(w.worker).some((v) => String(v.hiring.id) === id)).toBe(false);
    await expect(w.relay.approve(w.operator, sub.id)).rejects.toThrow(/already cancelled on Agrenting/);
    expect(accepted(w, id)).toBe(0);
  });
});

describe('a hiring that leaves the pending list while the relay watches', () => {
  let w: World;
  beforeAll(async () => {
    // The periodic sweep stays at its default (5 minutes): only the pending list's change can tell the relay.
    w = await startWorld({ review: 'required' });
  });
  afterAll(async () => {
    await w.close();
  });

  it('is re-read as soon as a pending read misses it, and moves to history as the platform says', async () => {
    const id = await hireAndSee(w);
    const other = await hireAndSee(w);
    w.sandbox.cancel(id);
    // The cancellation sends no notification of its own; the next hiring's notification re-reads the list.
    const third = await hireAndSee(w);
    await waitFor('the relay to see the cancellation', () => w.relay.getHiring(w.operator, id).phase === 'failed');
    expect(w.relay.getHiring(w.operator, id).hiring.status).toBe('cancelled');
    const active = w.relay.listActive(w.worker).map((v) => String(v.hiring.id));
    expect(active).toEqual(expect.arrayContaining([other, third]));
    expect(active).not.toContain(id);
  });
});

describe('relay with the webhook bridge configured', () => {
  it('takes hirings posted to the webhook inbox into the same store', async () => {
    const { startSandbox } = await import('../../src/sandbox');
    const { startRelay } = await import('../../src/relay/relay');
    const { quiet, tempDir } = await import('./helpers');
    const sandbox = await startSandbox({ log: quiet() });
    const reg = sandbox.registerAgent({ name: 'webhook agent' });
    const dirA = tempDir();
    const relay = await startRelay({
      agents: [{ name: 'hooked', baseUrl: sandbox.url, apiKey: reg.apiKey, agentId: reg.id }],
      stateDir: dirA,
      port: 0,
      env: {},
      durable: false,
      logger: quiet(),
      bridge: parseBridgeConfig({ listen: '127.0.0.1:0', heartbeatIntervalMs: 60_000 }),
    });
    try {
      const [url] = relay.webhookUrls();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      const payload = {
        hiring_id: 'b5c2a1d0-0000-4000-8000-000000000001',
        agent_id: reg.id,
        task: { description: 'Delivered by webhook' },
        customer_id: 'c1',
        price: '12.00',
        capability: 'coding',
        task_input: { delivery_mode: 'output' },
        timestamp: new Date().toISOString(),
      };
      const wrong = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'ApiKey nope-nope-nope' },
        body: JSON.stringify(payload),
      });
      expect(wrong.status).toBe(401);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `ApiKey ${reg.apiKey}` },
        body: JSON.stringify(payload),
      });
      expect(res.status).toBe(200);
      const operator = { role: 'operator' as const, name: 'op' };
      await waitFor('the webhook hiring in the store', () =>
        relay.listAll(operator).some((v) => String(v.hiring.id) === payload.hiring_id),
      );
      expect(relay.getHiring(operator, payload.hiring_id).hiring.task_description).toBe('Delivered by webhook');
    } finally {
      await relay.stop();
      await sandbox.close();
      rmSync(dirA, { recursive: true, force: true });
    }
  });
});

describe('a relay serving two agents', () => {
  it('runs one link per agent and shows each worker only its own hirings', async () => {
    const { startSandbox } = await import('../../src/sandbox');
    const { startRelay } = await import('../../src/relay/relay');
    const { quiet, tempDir } = await import('./helpers');
    const sandbox = await startSandbox({ log: quiet() });
    const a = sandbox.registerAgent({ name: 'agent a' });
    const b = sandbox.registerAgent({ name: 'agent b' });
    const dirB = tempDir();
    const relay = await startRelay({
      agents: [
        { name: 'a', baseUrl: sandbox.url, apiKey: a.apiKey },
        { name: 'b', baseUrl: sandbox.url, apiKey: b.apiKey },
      ],
      stateDir: dirB,
      port: 0,
      env: {},
      durable: false,
      review: 'off',
      logger: quiet(),
    });
    try {
      await waitFor('both links', () => relay.status().links.filter((l) => l.state === 'connected').length === 2);
      expect(Object.keys(relay.tokens.workerTokens)).toEqual(['a', 'b']);
      const ha = await sandbox.hire(a.id, { task_description: 'for a' });
      const hb = await sandbox.hire(b.id, { task_description: 'for b' });
      const wa = { role: 'worker' as const, agent: 'a', name: 'a' };
      const wb = { role: 'worker' as const, agent: 'b', name: 'b' };
      await waitFor('both hirings', () => relay.listAll({ role: 'operator', name: 'op' }).length === 2);
      expect(relay.listActive(wa).map((v) => String(v.hiring.id))).toEqual([ha.id]);
      expect(relay.listActive(wb).map((v) => String(v.hiring.id))).toEqual([hb.id]);
      // The incremental read keeps the same wall: from the very first cursor, each sees only its own.
      const start = relay.pendingSince(wa, '').cursor;
      const hb2 = await sandbox.hire(b.id, { task_description: 'for b again' });
      await waitFor('the second hiring of b', () => relay.listActive(wb).length === 2);
      expect(relay.pendingSince(wa, start)).toMatchObject({ reset: false, hirings: [], removed: [] });
      expect(relay.pendingSince(wb, start).hirings.map((v) => String(v.hiring.id))).toEqual([hb2.id]);
      await expect(relay.submitResult(wa, { hiring_id: hb.id, output: 'not mine' })).rejects.toThrow(/Unknown hiring/);
      await relay.submitResult(wb, { hiring_id: hb.id, output: 'mine' });
      await waitFor('b completed through b', () => sandbox.hiring(hb.id)?.status === 'completed');
      expect(sandbox.hiring(hb.id)?.deliveries.every((d) => d.agentId === b.id)).toBe(true);
    } finally {
      await relay.stop();
      await sandbox.close();
      rmSync(dirB, { recursive: true, force: true });
    }
  });
});
