// AgentLink behaviours the sandbox cannot be told to produce: a server that stops
// answering pings, an endpoint that never comes, a read that stalls under a burst.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/shared/log';
import type { Hiring } from '../../src/shared/hiring';
import type { LinkStatus } from '../../src/relay/types';
import { createAgentLink, type AgentLink } from '../../src/relay/upstream';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import { waitFor } from '../support/wait';

let fake: FakePlatform;
const links: AgentLink[] = [];

beforeAll(async () => {
  fake = await startFakePlatform();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.stop()));
  fake.settings.endpoint = 'relative';
  fake.handlers.set('ping', () => ({}));
  fake.handlers.set('resources/read', () => ({ contents: [{ uri: 'hiring://pending', text: '[]' }] }));
  fake.rest = () => undefined;
});

const FAST = {
  requestTimeoutMs: 1000,
  connectTimeoutMs: 300,
  pingIntervalMs: 60_000,
  pingTimeoutMs: 200,
  backoffBaseMs: 20,
  backoffCapMs: 100,
  stableResetMs: 60_000,
  authRetryMs: 100,
  safetyNetMs: 60_000,
};

function link(timing: Partial<typeof FAST> = {}, apiKey = fake.apiKey) {
  const hirings: { list: Hiring[]; source: string }[] = [];
  const statuses: LinkStatus[] = [];
  const log = memoryLogger('link');
  const l = createAgentLink({
    agent: 'a1',
    baseUrl: fake.url,
    apiKey,
    log,
    timing: { ...FAST, ...timing },
    listener: { onHirings: (_a, list, source) => hirings.push({ list, source }), onStatus: (s) => statuses.push(s) },
  });
  links.push(l);
  return { l, hirings, statuses, log };
}

describe('AgentLink against a scriptable platform', () => {
  it('logs a pending read that is not a resource, or has no text, and stays connected', async () => {
    const answers: unknown[] = [{ nothing: true }, { contents: [{ uri: 'hiring://pending', blob: 'AAAA' }] }];
    fake.handlers.set(
      'resources/read',
      () => answers.shift() ?? { contents: [{ uri: 'hiring://pending', text: '[]' }] },
    );
    const { l, log } = link();
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    await l.refresh();
    await l.refresh();
    await waitFor(
      'both warnings',
      () => log.lines.filter((x) => x.includes('reading hiring://pending failed')).length >= 2,
    );
    expect(log.lines.join('\n')).toMatch(/the answer is not a resource/);
    expect(log.lines.join('\n')).toMatch(/no text content/);
    expect(l.status().state).toBe('connected');
  });

  it('declares the session dead when a client ping goes unanswered, and opens a new one', async () => {
    const { l, statuses } = link({ pingIntervalMs: 50 });
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    const first = l.sessionId;
    fake.handlers.set('ping', () => new Promise(() => undefined));
    await waitFor('ping failure noticed', () =>
      statuses.some((s) => s.state === 'reconnecting' && /ping/.test(s.lastError ?? '')),
    );
    fake.handlers.set('ping', () => ({}));
    await waitFor('a new session', () => l.status().state === 'connected' && l.sessionId !== first);
    expect(l.status().reconnects).toBeGreaterThanOrEqual(1);
    const subscribes = fake.received.filter((r) => r.msg.method === 'resources/subscribe' && r.session === l.sessionId);
    expect(subscribes).toHaveLength(1);
  });

  it('keeps retrying when the endpoint event never arrives', async () => {
    fake.settings.endpoint = 'none';
    const { l, statuses } = link();
    const before = fake.sessions.length;
    l.start();
    await waitFor('three attempts', () => fake.sessions.length >= before + 3);
    expect(statuses.at(-1)?.lastError).toMatch(/no endpoint event/);
    fake.settings.endpoint = 'relative';
    await waitFor('connected at last', () => l.status().state === 'connected');
    expect(l.status().lastError).toBeUndefined();
  });

  it('coalesces a burst of notifications into at most one extra read', async () => {
    let reads = 0;
    let release: (() => void) | undefined;
    // A read POSTed by the previous test's link may still reach the server: count only ours.
    const ours = fake.sessions.length;
    fake.handlers.set('resources/read', async (_p, session) => {
      if (fake.sessions.indexOf(session) < ours) return { contents: [{ uri: 'hiring://pending', text: '[]' }] };
      reads += 1;
      if (reads === 2) await new Promise<void>((r) => (release = r));
      return {
        contents: [{ uri: 'hiring://pending', text: JSON.stringify([{ id: `h${reads}`, status: 'in_progress' }]) }],
      };
    });
    const { l, hirings } = link();
    l.start();
    await waitFor('initial read', () => hirings.some((h) => h.source === 'mcp'));
    const s = fake.sessions.find((x) => x.id === l.sessionId)!;
    for (let i = 0; i < 25; i++) {
      fake.send(s, { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'hiring://pending' } });
    }
    await waitFor('second read stalls', () => release);
    release!();
    await waitFor('one trailing read', () => reads === 3);
    await waitFor('three lists handed on', () => hirings.filter((h) => h.source === 'mcp').length === 3);
    expect(reads).toBe(3);
  });

  it('hands on the good hirings of a list with bad items, and logs the bad', async () => {
    fake.handlers.set('resources/read', () => ({
      contents: [
        {
          uri: 'hiring://pending',
          text: JSON.stringify([{ id: 'good', status: 'queued', surprise: 1 }, { status: 'queued' }, 42]),
        },
      ],
    }));
    const { l, hirings, log } = link();
    l.start();
    const got = await waitFor('list', () => hirings.find((h) => h.source === 'mcp'));
    expect(got.list.map((h) => h.id)).toEqual(['good']);
    expect(log.lines.filter((x) => x.includes('skipped a malformed hiring'))).toHaveLength(2);
  });

  it('goes offline on 401 with an actionable error, keeps retrying slowly, recovers when the key works', async () => {
    const { l, statuses, log } = link({}, 'rejected-key-1234567');
    l.start();
    await waitFor('offline', () => l.status().state === 'offline');
    expect(l.status().lastError).toBe(
      "Agrenting rejected the agent key for agent a1 (401). Set it with 'Agrenting: Set Agent Key' or AGRENTING_API_KEY.",
    );
    const attempts = () => log.lines.filter((x) => x.includes('MCP session failed to open')).length;
    await waitFor('a second attempt', () => attempts() >= 2);
    expect(statuses.every((s) => s.state !== 'connected')).toBe(true);
    expect(log.lines.join('\n')).not.toContain('rejected-key-1234567');
  });

  it('falls back to REST with the idempotency key when a tool call gets no answer', async () => {
    fake.handlers.set('tools/call', () => new Promise(() => undefined));
    const posts: { path: string; key: unknown; body: unknown }[] = [];
    fake.rest = (req, body) => {
      if (req.method !== 'POST') return undefined;
      posts.push({ path: req.url ?? '', key: req.headers['x-idempotency-key'], body: JSON.parse(body) });
      return { status: 200, body: { data: { id: 'h1', status: 'completed' } } };
    };
    const { l, log } = link({ requestTimeoutMs: 150 });
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    const o = await l.deliver('submit_hiring_result', { hiring_id: 'h1', output: { summary: 'done' } }, 'idem-1');
    expect(o).toEqual({ kind: 'confirmed', result: { id: 'h1', status: 'completed' } });
    expect(posts).toEqual([
      { path: '/api/v1/hirings/h1/result', key: 'idem-1', body: { output: { summary: 'done' } } },
    ]);
    const call = fake.received.find((r) => r.msg.method === 'tools/call');
    expect(call?.msg.params).toMatchObject({ name: 'submit_hiring_result', _meta: { idempotency_key: 'idem-1' } });
    expect(log.lines.some((x) => x.includes('delivery over MCP failed; trying REST'))).toBe(true);
    fake.handlers.delete('tools/call');
  });

  it('checks the conversation before sending again a message whose tool call got no answer', async () => {
    // The platform applied the MCP call but its answer never came: the message is in the hiring already.
    fake.handlers.set('tools/call', () => new Promise(() => undefined));
    const posts: string[] = [];
    const now = new Date().toISOString();
    let conversation: unknown[] = [
      { id: 'm1', kind: 'question', sender_type: 'agent', content: 'Which Node?', created_at: now },
    ];
    fake.rest = (req) => {
      if (req.method === 'POST') {
        posts.push(req.url ?? '');
        return { status: 201, body: { data: { id: 'm2' } } };
      }
      return { status: 200, body: { data: { id: 'h1', status: 'in_progress', messages: conversation } } };
    };
    const { l, log } = link({ requestTimeoutMs: 150 });
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    const since = new Date(Date.now() - 1000).toISOString();
    const args = { hiring_id: 'h1', content: 'Which Node?', kind: 'question' };
    expect(await l.deliver('add_hiring_message', args, 'idem-m1', { earlierMayHaveLanded: false, since })).toEqual({
      kind: 'confirmed',
    });
    expect(posts).toEqual([]);
    expect(log.lines.some((x) => x.includes('an earlier attempt of the message had arrived'))).toBe(true);
    // Not there: REST with the key, once.
    conversation = [];
    expect(
      await l.deliver('add_hiring_message', args, 'idem-m2', { earlierMayHaveLanded: false, since }),
    ).toMatchObject({ kind: 'confirmed' });
    expect(posts).toEqual(['/api/v1/hirings/h1/messages']);
    // A chunk has no road but MCP and cannot be checked: an uncertain retry, for the outbox to drop.
    const chunk = await l.deliver('task_emit_chunk', { hiring_id: 'h1', content: 'step 1' }, 'idem-c1');
    expect(chunk).toMatchObject({ kind: 'retry', uncertain: true });
    expect(posts).toHaveLength(1);
    fake.handlers.delete('tools/call');
  });

  it('a server that answers ping with an error is still alive', async () => {
    const { l } = link({ pingIntervalMs: 30 });
    fake.handlers.delete('ping');
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    const id = l.sessionId;
    await waitFor(
      'three pings',
      () => fake.received.filter((r) => r.session === id && r.msg.method === 'ping').length >= 3,
    );
    expect(l.sessionId).toBe(id);
    expect(l.status().reconnects).toBe(0);
  });

  it('stop() ends the stream and every timer; the status says stopped', async () => {
    const { l, statuses } = link({ pingIntervalMs: 20, safetyNetMs: 20 });
    l.start();
    await waitFor('connected', () => l.status().state === 'connected');
    const id = l.sessionId;
    await l.stop();
    expect(l.status().state).toBe('stopped');
    expect(statuses.at(-1)?.state).toBe('stopped');
    await waitFor('stream closed on the server', () => fake.sessions.find((s) => s.id === id)?.open === false);
    const count = fake.received.length;
    await new Promise((r) => setTimeout(r, 100)); // quiet period: nothing may be sent after stop
    expect(fake.received.length).toBe(count);
  });
});
