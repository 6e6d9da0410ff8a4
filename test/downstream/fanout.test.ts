// Subscriptions and the fan-out of `notifications/resources/updated` to many
// clients, one of them stalled and one dead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { memoryLogger } from '../../src/shared/log';
import { SessionRegistry, type DownstreamSession } from '../../src/relay/downstream/sessions';
import {
  RawSseClient,
  TOKENS,
  initializeBody,
  key,
  sseClient,
  startTestRelay,
  streamableClient,
  type TestClient,
  type TestRelay,
} from './helpers';
import { waitFor } from '../support/wait';

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});

afterAll(async () => {
  await t.server.close();
});

/**
 * A Streamable HTTP client opens its notification stream just after initializing; a notification
 * sent before that is (rightly) lost. So each client subscribes to relay://status too, and status
 * signals are repeated until every client has heard one; the tests then look at other URIs only.
 */
async function warmUp(clients: TestClient[]): Promise<void> {
  for (const c of clients) await c.client.subscribeResource({ uri: 'relay://status' });
  await waitFor('every client to hear a first notification', () => {
    t.core.emit({ type: 'status' });
    return clients.every((c) => c.updates.includes('relay://status'));
  });
}

const heard = (c: TestClient, uri: string) => c.updates.filter((u) => u === uri);

describe('notification fan-out', () => {
  it('reaches every subscriber, only for what each may see, while one client is stalled', async () => {
    const operator = await streamableClient(t.server.url, key(TOKENS.operator));
    const alphaSse = await sseClient(t.server.url, key(TOKENS.workers.alpha));
    const beta = await streamableClient(t.server.url, key(TOKENS.workers.beta));
    const stalled = new RawSseClient(t.server.url, key(TOKENS.workers.alpha));
    await stalled.open();
    try {
      for (const c of [operator, alphaSse, beta]) await c.client.subscribeResource({ uri: 'hiring://pending' });
      await stalled.call('initialize', initializeBody().params as Record<string, unknown>);
      await stalled.call('resources/subscribe', { uri: 'hiring://pending' });
      await warmUp([operator, alphaSse, beta]);
      stalled.stall();

      t.core.addHiring('alpha', { id: 'fa-1' });
      t.core.addHiring('alpha', { id: 'fa-2' });
      // two hirings added in the same turn: one signal each for operator and alpha's worker
      await waitFor(
        'the alpha notification',
        () => heard(operator, 'hiring://pending').length >= 1 && heard(alphaSse, 'hiring://pending').length >= 1,
      );

      // many more signals while the stalled client reads nothing: the others keep hearing
      // them, coalesced (a signal per URI per turn of the event loop, not one per change)
      const before = {
        op: heard(operator, 'hiring://pending').length,
        alpha: heard(alphaSse, 'hiring://pending').length,
      };
      for (let i = 0; i < 200; i++) t.core.emit({ type: 'pending', agent: 'alpha' });
      await waitFor(
        'the burst to be signalled',
        () =>
          heard(operator, 'hiring://pending').length > before.op &&
          heard(alphaSse, 'hiring://pending').length > before.alpha,
      );
      // a burst made in one turn of the event loop is one signal per subscriber
      expect(heard(operator, 'hiring://pending').length).toBe(before.op + 1);
      expect(heard(alphaSse, 'hiring://pending').length).toBe(before.alpha + 1);

      const alphaHeard = heard(alphaSse, 'hiring://pending').length;
      const operatorHeard = heard(operator, 'hiring://pending').length;
      t.core.addHiring('beta', { id: 'fb-1' });
      await waitFor('the beta notification', () => heard(beta, 'hiring://pending').length === 1);
      await waitFor(
        'the operator to hear of beta',
        () => heard(operator, 'hiring://pending').length === operatorHeard + 1,
      );
      // a worker hears nothing about another agent's hirings
      expect(heard(alphaSse, 'hiring://pending')).toHaveLength(alphaHeard);
      expect(operator.errors).toEqual([]);
      expect(alphaSse.errors).toEqual([]);
    } finally {
      stalled.close();
      await Promise.all([operator.close(), alphaSse.close(), beta.close()]);
    }
  });

  it('notifies per URI: hiring://{id}, review://queue, relay://status, relay://hirings', async () => {
    t.core.addHiring('alpha', { id: 'fx' });
    const op = await sseClient(t.server.url, key(TOKENS.operator));
    const worker = await sseClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      for (const uri of ['hiring://fx', 'review://queue', 'relay://status', 'relay://hirings']) {
        await op.client.subscribeResource({ uri });
      }
      await worker.client.callTool({ name: 'claim_hiring', arguments: { hiring_id: 'fx' } });
      await waitFor(
        'the claim notifications',
        () => op.updates.includes('hiring://fx') && op.updates.includes('relay://hirings'),
      );
      await worker.client.callTool({ name: 'submit_hiring_result', arguments: { hiring_id: 'fx', output: 'done' } });
      await waitFor('the review notification', () => op.updates.includes('review://queue'));
      t.core.emit({ type: 'status' });
      await waitFor('the status notification', () => op.updates.includes('relay://status'));
      expect(op.updates).not.toContain('hiring://pending');

      await op.client.unsubscribeResource({ uri: 'relay://status' });
      op.updates.length = 0;
      t.core.emit({ type: 'status' });
      t.core.emit({ type: 'hiring', agent: 'alpha', hiringId: 'fx' });
      await waitFor('the later hiring notification', () => op.updates.includes('hiring://fx'));
      expect(op.updates).not.toContain('relay://status');
      await expect(op.client.subscribeResource({ uri: 'mailto:someone' })).rejects.toThrow(/Unknown resource/);
    } finally {
      await op.close();
      await worker.close();
    }
  });

  it('drops a dead client and keeps notifying the others', async () => {
    await waitFor('earlier sessions to end', () => t.server.sessionCount() === 0);
    const live = await sseClient(t.server.url, key(TOKENS.operator));
    const dead = new RawSseClient(t.server.url, key(TOKENS.operator));
    await dead.open();
    try {
      await live.client.subscribeResource({ uri: 'relay://status' });
      await dead.call('initialize', initializeBody().params as Record<string, unknown>);
      await dead.call('resources/subscribe', { uri: 'relay://status' });
      expect(t.server.sessionCount()).toBe(2);
      dead.kill();
      t.core.emit({ type: 'status' });
      await waitFor('the dead session to be dropped', () => t.server.sessionCount() === 1);
      t.core.emit({ type: 'status' });
      await waitFor('the live client to hear both signals', () => live.updates.length >= 2);
    } finally {
      await live.close();
    }
  });
});

describe('SessionRegistry.publish', () => {
  function fakeSession(id: string, send: () => Promise<void>): DownstreamSession & { sent: number } {
    const s = {
      id,
      kind: 'legacy' as const,
      caller: { role: 'operator' as const, name: 'operator' },
      subscriptions: new Set(['relay://status']),
      lastSeenAt: Date.now(),
      openStreams: 1,
      sent: 0,
      transport: {} as never,
      server: {
        sendResourceUpdated: () => {
          s.sent += 1;
          return send();
        },
        close: async () => undefined,
      } as unknown as Server,
    };
    return s;
  }

  it('never waits on one session before the next, and drops a session whose send fails', async () => {
    const registry = new SessionRegistry(memoryLogger());
    const hung = fakeSession('hung', () => new Promise<void>(() => undefined));
    const broken = fakeSession('broken', () => Promise.reject(new Error('Not connected')));
    const fine = fakeSession('fine', () => Promise.resolve());
    for (const s of [hung, broken, fine]) registry.add(s);
    registry.publish({ type: 'status' });
    registry.flush();
    // every send was started in the same step, the hung one first
    expect([hung.sent, broken.sent, fine.sent]).toEqual([1, 1, 1]);
    await waitFor('the broken session to be dropped', () => registry.get('broken') === undefined);
    expect(registry.size).toBe(2);
    registry.publish({ type: 'status' });
    registry.flush();
    expect(fine.sent).toBe(2);
  });

  it('coalesces a burst into one signal per URI per session, sent on the next turn', async () => {
    const registry = new SessionRegistry(memoryLogger());
    const a = fakeSession('a', () => Promise.resolve());
    const b = fakeSession('b', () => Promise.resolve());
    for (const s of [a, b]) registry.add(s);
    for (let i = 0; i < 500; i++) registry.publish({ type: 'status' });
    expect([a.sent, b.sent]).toEqual([0, 0]);
    await new Promise((r) => setImmediate(r));
    expect([a.sent, b.sent]).toEqual([1, 1]);
    // the next turn signals again
    registry.publish({ type: 'status' });
    await new Promise((r) => setImmediate(r));
    expect([a.sent, b.sent]).toEqual([2, 2]);
  });

  it('closes Streamable HTTP sessions left idle with no stream open', () => {
    const registry = new SessionRegistry(memoryLogger());
    const idle = {
      ...fakeSession('idle', () => Promise.resolve()),
      kind: 'streamable' as const,
      openStreams: 0,
      lastSeenAt: 0,
    };
    const listening = {
      ...fakeSession('listening', () => Promise.resolve()),
      kind: 'streamable' as const,
      openStreams: 1,
      lastSeenAt: 0,
    };
    registry.add(idle as DownstreamSession);
    registry.add(listening as DownstreamSession);
    registry.sweepIdle(1000, 10_000);
    expect(registry.get('idle')).toBeUndefined();
    expect(registry.get('listening')).toBeDefined();
  });
});
