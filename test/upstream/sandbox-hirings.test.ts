// Hirings reach the listener under every variant the sandbox can play (§8).
import { afterEach, describe, expect, it } from 'vitest';
import { redact } from '../../src/shared/redact';
import { Cleanup, world } from './helpers';
import { waitFor } from '../support/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function connected(w: Awaited<ReturnType<typeof world>>) {
  await waitFor('link connected', () => w.tl.link.status().state === 'connected');
  await waitFor('subscribed on the platform', () =>
    w.sb.inspect().sessions.some((s) => s.subscriptions.includes('hiring://pending')),
  );
}

describe('hirings reach the listener', () => {
  it.each([
    ['relative', 'accepted'],
    ['relative', 'body'],
    ['absolute', 'accepted'],
    ['absolute', 'body'],
  ] as const)(
    'endpoint %s, POST answer %s: a new hiring arrives over MCP and the probe ping is answered',
    async (endpointEvent, postAnswer) => {
      const w = await world(cleanup, { endpointEvent, postAnswer });
      await connected(w);
      const h = await w.sb.hire(w.agentId, {
        task_description: `Fix the bug (${endpointEvent}/${postAnswer})`,
        price: '10.00',
      });
      const got = await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
      expect(got.task_description).toContain('Fix the bug');
      expect(w.tl.rec.batches.some((b) => b.source === 'mcp' && b.ids.includes(h.id))).toBe(true);
      const probe = w.sb.hiring(h.id)?.probe;
      expect(probe).toMatchObject({ method: 'ping', ok: true });
      expect(w.sb.hiring(h.id)?.status).toBe('in_progress');
      // The POST-body variant must not make any response count twice: no errors in the log.
      expect(w.tl.log.lines.filter((l) => / (warn|error) /.test(l))).toEqual([]);
    },
  );

  it.each(['in_progress', 'queued', 'paid'] as const)(
    'a hiring that arrives as %s is handed on with that status',
    async (newHiringStatus) => {
      const w = await world(cleanup, { newHiringStatus });
      await connected(w);
      const h = await w.sb.hire(w.agentId, { task_description: 'Write tests' });
      // It may first be seen as queued (before the probe); the latest view is what counts.
      const got = await waitFor(
        `hiring delivered as ${newHiringStatus}`,
        () => w.tl.rec.hirings.get(h.id)?.status === newHiringStatus && w.tl.rec.hirings.get(h.id),
      );
      expect(got.status).toBe(newHiringStatus);
    },
  );

  it.each(['task_input', 'top_level', 'both'] as const)(
    'push mode with repo fields in %s: repo url read, token registered as a secret',
    async (repoFields) => {
      const w = await world(cleanup, { repoFields });
      await connected(w);
      const h = await w.sb.hire(w.agentId, { task_description: 'Push a fix', delivery_mode: 'push' });
      const got = await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
      expect(got.delivery_mode).toBe('push');
      expect(got.repo_url).toMatch(/\/git\/.+\.git$/);
      expect(got.repo_access_token).toBeTruthy();
      expect(redact(`token ${got.repo_access_token}`)).not.toContain(got.repo_access_token as string);
      expect(w.tl.log.lines.join('\n')).not.toContain(got.repo_access_token as string);
      expect(w.tl.log.lines.join('\n')).not.toContain(w.apiKey);
    },
  );

  it("answers the platform's periodic pings (ping=interval)", async () => {
    const w = await world(cleanup, { ping: 'interval', pingIntervalMs: 40 });
    const pings: boolean[] = [];
    w.sb.events.on('session', (e: { type: string; ok?: boolean }) => {
      if (e.type === 'ping') pings.push(e.ok === true);
    });
    await connected(w);
    await waitFor('three platform pings', () => pings.length >= 3);
    expect(pings.every(Boolean)).toBe(true);
  });

  it('works when the platform never pings (ping=never): the probe counts the live session', async () => {
    const w = await world(cleanup, { ping: 'never' });
    await connected(w);
    const h = await w.sb.hire(w.agentId, { task_description: 'No ping' });
    await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
    expect(w.sb.hiring(h.id)?.probe).toMatchObject({ ok: true, method: 'session' });
  });

  it('keep-alive comments count as activity and do not disturb the session', async () => {
    const w = await world(cleanup, { keepAliveMs: 20 });
    await connected(w);
    const first = w.tl.link.status().lastEventAt;
    await waitFor('a keep-alive seen', () => w.tl.link.status().lastEventAt !== first);
    const h = await w.sb.hire(w.agentId, { task_description: 'With keep-alives' });
    await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
    expect(w.tl.link.status().reconnects).toBe(0);
  });

  it('answers the probe ping in time even with added latency on every answer', async () => {
    const w = await world(cleanup, { latencyMs: 150 }, { requestTimeoutMs: 3000 });
    await connected(w);
    const h = await w.sb.hire(w.agentId, { task_description: 'Slow platform' });
    await waitFor('hiring delivered', () => w.tl.rec.hirings.get(h.id));
    expect(w.sb.hiring(h.id)?.probe).toMatchObject({ method: 'ping', ok: true });
  });

  it('reports the platform agent id learnt from hirings', async () => {
    const w = await world(cleanup);
    await connected(w);
    await w.sb.hire(w.agentId, { task_description: 'Learn my id' });
    await waitFor('agent id learnt', () => w.tl.link.status().agentId === w.agentId);
    expect(w.tl.rec.statuses.at(-1)?.agentId).toBe(w.agentId);
  });
});
