// Session loss in every form the protocol names (§1): the link opens a new session,
// re-initializes, re-subscribes and catches up on what it missed.
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, makeLink, startCallbackServer, startProxy, world, type World } from './helpers';
import { waitFor } from '../support/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const subscribedSessions = (w: World) =>
  w.sb
    .inspect()
    .sessions.filter((s) => s.agentId === w.agentId && s.initialized && s.subscriptions.includes('hiring://pending'));

async function connected(w: World) {
  await waitFor(
    'connected and subscribed',
    () => w.tl.link.status().state === 'connected' && subscribedSessions(w).length === 1,
  );
}

describe('session loss and catch-up', () => {
  it('stream dropped by the platform: new session, re-subscribed, REST catch-up, hirings flow again', async () => {
    const w = await world(cleanup);
    await connected(w);
    const first = w.tl.link.sessionId;
    const restBefore = w.tl.rec.batches.filter((b) => b.source === 'rest').length;
    expect(w.sb.dropSessions(w.agentId)).toBe(1);
    await waitFor(
      'a new subscribed session',
      () =>
        w.tl.link.status().state === 'connected' && w.tl.link.sessionId !== first && subscribedSessions(w).length === 1,
    );
    expect(w.tl.link.status().reconnects).toBe(1);
    expect(w.tl.rec.statuses.some((s) => s.state === 'reconnecting' && /stream/.test(s.lastError ?? ''))).toBe(true);
    await waitFor(
      'REST list read after the reconnect',
      () => w.tl.rec.batches.filter((b) => b.source === 'rest').length > restBefore,
    );
    const h = await w.sb.hire(w.agentId, { task_description: 'After the drop' });
    await waitFor('hiring delivered on the new session', () => w.tl.rec.hirings.get(h.id));
  });

  it('network outage: a hiring created while no session is up is caught up after the reconnect', async () => {
    const callback = cleanup.add(await startCallbackServer(), (c) => c.close());
    // The proxy sits in front of the sandbox; the endpoint must be relative so POSTs go through it too.
    const w0 = await world(cleanup, { endpointEvent: 'relative' }, {}, { start: false, callbackUrl: callback.url });
    const proxy = cleanup.add(await startProxy(w0.sb.url), (p) => p.close());
    const tl = makeLink(proxy.url, w0.apiKey);
    cleanup.add(tl.link, (l) => l.stop());
    const w: World = { ...w0, tl };
    tl.link.start();
    await connected(w);
    proxy.down();
    await waitFor('link noticed the outage', () => tl.link.status().state === 'reconnecting');
    const h = await w.sb.hire(w.agentId, { task_description: 'Created during the outage' });
    expect(w.sb.hiring(h.id)?.probe).toMatchObject({ method: 'head', ok: true });
    expect(tl.rec.hirings.has(h.id)).toBe(false);
    proxy.up();
    await waitFor('caught up after the reconnect', () => tl.rec.hirings.get(h.id));
    expect(tl.rec.batches.find((b) => b.ids.includes(h.id))?.source).toBe('mcp');
    expect(tl.link.status().state).toBe('connected');
  });

  it('hands on only new or changed hirings from a pending read, and the whole list after a reconnect', async () => {
    const w = await world(cleanup);
    await connected(w);
    const h1 = await w.sb.hire(w.agentId, { task_description: 'First' });
    await waitFor('the first hiring', () => w.tl.rec.hirings.get(h1.id));
    const h2 = await w.sb.hire(w.agentId, { task_description: 'Second' });
    await waitFor('the second hiring', () => w.tl.rec.hirings.get(h2.id));
    const mcpBatches = () => w.tl.rec.batches.filter((b) => b.source === 'mcp');
    // the read that brought h2 also saw h1, unchanged: h1 was not handed on again
    const withH2 = mcpBatches().find((b) => b.ids.includes(h2.id));
    expect(withH2?.ids).toEqual([h2.id]);
    const first = w.tl.link.sessionId;
    const before = mcpBatches().length;
    w.sb.dropSessions(w.agentId);
    await waitFor(
      'the whole list after the reconnect',
      () =>
        w.tl.link.sessionId !== first &&
        mcpBatches()
          .slice(before)
          .some((b) => b.ids.includes(h1.id) && b.ids.includes(h2.id)),
    );
  });

  it('while connections are refused, reconnect delays stay under the short unreachable cap', async () => {
    const callback = cleanup.add(await startCallbackServer(), (c) => c.close());
    const w0 = await world(cleanup, { endpointEvent: 'relative' }, {}, { start: false, callbackUrl: callback.url });
    const proxy = cleanup.add(await startProxy(w0.sb.url), (p) => p.close());
    // a long full cap: without the unreachable cap the delays would grow towards it
    const tl = makeLink(proxy.url, w0.apiKey, { backoffBaseMs: 20, backoffCapMs: 60_000, unreachableCapMs: 100 });
    cleanup.add(tl.link, (l) => l.stop());
    const w: World = { ...w0, tl };
    tl.link.start();
    await connected(w);
    proxy.down();
    const retries = () =>
      tl.log.lines
        .filter((l) => l.includes('MCP session failed to open'))
        .map((l) => Number(/retryInMs=(\d+)/.exec(l)?.[1]));
    await waitFor('eight refused attempts', () => retries().length >= 8);
    // by the eighth attempt the full backoff's ceiling is 20 × 2^7 = 2 560 ms
    expect(Math.max(...retries())).toBeLessThan(100);
    const h = await w.sb.hire(w.agentId, { task_description: 'Created while refused' });
    proxy.up();
    await waitFor('caught up once the platform is back', () => tl.rec.hirings.get(h.id));
    expect(tl.link.status().state).toBe('connected');
  });

  it.each(['404', '410'] as const)(
    'session expired, POSTs answer %s: the next ping notices, a new session opens',
    async (sessionExpiry) => {
      const w = await world(cleanup, { sessionExpiry, sessionTtlMs: 200 }, { pingIntervalMs: 40 });
      await connected(w);
      const first = w.tl.link.sessionId;
      await waitFor(`${sessionExpiry} noticed`, () =>
        w.tl.rec.statuses.some((s) => s.state === 'reconnecting' && s.lastError?.includes(sessionExpiry)),
      );
      w.sb.knobs.sessionExpiry = 'none';
      await waitFor('new session', () => w.tl.link.status().state === 'connected' && w.tl.link.sessionId !== first);
      await connected(w);
      const h = await w.sb.hire(w.agentId, { task_description: `After ${sessionExpiry}` });
      await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
    },
  );

  it('session expired by dropping the stream: reconnects without waiting for a ping', async () => {
    const w = await world(cleanup, { sessionExpiry: 'drop', sessionTtlMs: 150 });
    await connected(w);
    const first = w.tl.link.sessionId;
    await waitFor('new session', () => w.tl.link.sessionId !== undefined && w.tl.link.sessionId !== first);
    w.sb.knobs.sessionExpiry = 'none';
    await connected(w);
    expect(w.tl.link.status().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('never holds two sessions at once, even when drops come in a burst', async () => {
    const w = await world(cleanup);
    let maxLive = 0;
    w.sb.events.on('session', (e: { type: string; agentId: string }) => {
      if (e.type === 'opened' && e.agentId === w.agentId) maxLive = Math.max(maxLive, w.sb.sessionCount(w.agentId));
    });
    await connected(w);
    for (let i = 0; i < 5; i++) {
      w.sb.dropSessions(w.agentId);
      await waitFor(`session ${i + 2}`, () => w.sb.sessionCount(w.agentId) === 1);
    }
    await connected(w);
    expect(maxLive).toBe(1);
  });

  it('duplicate notifications do not cause a storm of reads', async () => {
    const w = await world(cleanup, { faultDuplicateNotificationRate: 1, latencyMs: 150 }, { requestTimeoutMs: 3000 });
    await connected(w);
    const count = (what: string) => w.tl.log.lines.filter((l) => l.includes(what)).length;
    const hires = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => w.sb.hire(w.agentId, { task_description: `Burst ${i}` })),
    );
    await waitFor('all six delivered', () => hires.every((h) => w.tl.rec.hirings.has(h.id)));
    const notes = count('resource updated');
    const reads = count('reading hiring://pending');
    expect(notes).toBeGreaterThanOrEqual(12);
    // One initial read, then at most one read in flight plus one queued per burst.
    expect(reads).toBeLessThan(notes / 2);
  });

  it('stream cut mid-event at random: every hiring still reaches the listener', async () => {
    const callback = cleanup.add(await startCallbackServer(), (c) => c.close());
    const w = await world(cleanup, { faultDropStreamRate: 0.25, faultSeed: 7 }, {}, { callbackUrl: callback.url });
    await waitFor('connected once', () => w.tl.link.status().state === 'connected');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await w.sb.hire(w.agentId, { task_description: `Flaky ${i}` })).id);
    w.sb.knobs.faultDropStreamRate = 0;
    await waitFor('all hirings delivered', () => ids.every((id) => w.tl.rec.hirings.has(id)), 15_000);
    expect(w.tl.link.status().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('wrong agent key: offline with an actionable error, retried slowly, never connected', async () => {
    const w = await world(cleanup, {}, {}, { start: false });
    const tl = makeLink(w.sb.url, 'not-the-right-key-42');
    cleanup.add(tl.link, (l) => l.stop());
    tl.link.start();
    await waitFor('offline', () => tl.link.status().state === 'offline');
    expect(tl.link.status().lastError).toBe(
      "Agrenting rejected the agent key for agent a1 (401). Set it with 'Agrenting: Set Agent Key' or AGRENTING_API_KEY.",
    );
    await waitFor('retried', () => tl.log.lines.filter((l) => l.includes('MCP session failed to open')).length >= 2);
    expect(tl.rec.statuses.some((s) => s.state === 'connected')).toBe(false);
    expect(tl.log.lines.join('\n')).not.toContain('not-the-right-key-42');
  });

  it('safety net: lists GET /api/v1/hirings/pending on its own schedule', async () => {
    const w = await world(cleanup, { restPending: 'active' }, { safetyNetMs: 40 });
    await connected(w);
    const h = await w.sb.hire(w.agentId, { task_description: 'Seen by REST too' });
    await waitFor(
      'two REST polls saw it',
      () => w.tl.rec.batches.filter((b) => b.source === 'rest' && b.ids.includes(h.id)).length >= 2,
    );
  });
});
