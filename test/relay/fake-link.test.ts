// The relay with a scripted upstream link: answers the real sandbox never gives
// (a refused delivery, a link that is down), and journal-only restarts.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import { memoryLogger } from '../../src/shared/log';
import { startRelay, type Relay } from '../../src/relay/relay';
import {
  RelayError,
  type DeliveryOutcome,
  type LinkStatus,
  type UpstreamLink,
  type UpstreamListener,
} from '../../src/relay/types';
import { tempDir } from './helpers';
import { waitFor } from '../support/wait';

class FakeLink implements UpstreamLink {
  readonly agent = 'fake';
  delivered: { tool: string; args: Record<string, unknown>; key: string }[] = [];
  answer: DeliveryOutcome = { kind: 'confirmed' };
  hirings = new Map<string, Hiring>();
  constructor(readonly listener: UpstreamListener) {}
  status(): LinkStatus {
    return { agent: 'fake', state: 'offline', reconnects: 0, lastError: 'scripted' };
  }
  start(): void {}
  async stop(): Promise<void> {}
  async refresh(): Promise<void> {}
  async getHiring(id: string): Promise<Hiring> {
    const h = this.hirings.get(id);
    if (!h) throw new RelayError(`unknown ${id}`, 'not_found');
    return h;
  }
  async deliver(tool: string, args: Record<string, unknown>, key: string): Promise<DeliveryOutcome> {
    this.delivered.push({ tool, args, key });
    return this.answer;
  }
  async systemPrompt(): Promise<string> {
    throw new Error('not connected');
  }
  push(raw: Record<string, unknown>): Hiring {
    const h = parseHiring(raw);
    this.hirings.set(String(h.id), h);
    this.listener.onHirings('fake', [h], 'mcp');
    return h;
  }
}

const worker = { role: 'worker' as const, agent: 'fake', name: 'fake' };
const operator = { role: 'operator' as const, name: 'op' };
let relays: Relay[] = [];
const dirs: string[] = [];

async function start(
  stateDir = tempDir(),
): Promise<{ relay: Relay; link: FakeLink; log: ReturnType<typeof memoryLogger> }> {
  dirs.push(stateDir);
  let link: FakeLink | undefined;
  const log = memoryLogger('relay');
  const relay = await startRelay({
    agents: [{ name: 'fake', baseUrl: 'http://127.0.0.1:9', apiKey: 'fake-agent-key-123' }],
    stateDir,
    port: 0,
    env: {},
    durable: false,
    review: 'off',
    logger: log,
    outboxBackoff: { baseMs: 10, capMs: 50 },
    createLink: (_a, listener) => (link = new FakeLink(listener)),
  });
  relays.push(relay);
  if (!link) throw new Error('no link');
  return { relay, link, log };
}

afterEach(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  relays = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('relay with a scripted link', () => {
  it('marks a result the platform refuses as failed and tells the worker', async () => {
    const { relay, link } = await start();
    link.push({ id: 'h1', status: 'in_progress', task_description: 'x' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    link.answer = { kind: 'rejected', message: 'hiring is not yours' };
    const sub = await relay.submitResult(worker, { hiring_id: 'h1', output: 'r' });
    await waitFor(
      'the failure',
      () => relay.reviewQueue(operator).length === 0 && relay.getHiring(worker, 'h1').relayMessages.length === 1,
    );
    const view = relay.getHiring(worker, 'h1');
    expect(view.relayMessages[0]).toMatchObject({
      from: 'relay',
      content: 'Agrenting refused the result: hiring is not yours',
    });
    expect(view.phase).toBe('claimed');
    expect(link.delivered).toEqual([
      { tool: 'submit_hiring_result', args: { hiring_id: 'h1', output: 'r' }, key: `submission-${sub.id}` },
    ]);
  });

  it('counts an "already done" answer as delivered and marks the hiring done', async () => {
    const { relay, link } = await start();
    link.push({ id: 'h2', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    link.answer = { kind: 'already-done', message: 'already completed' };
    link.hirings.set('h2', parseHiring({ id: 'h2', status: 'completed' }));
    await relay.submitResult(worker, { hiring_id: 'h2', output: 'r' });
    await waitFor('done', () => relay.getHiring(worker, 'h2').phase === 'done');
  });

  it('queues one submission when two race for the same hiring', async () => {
    const { relay, link } = await start();
    link.push({ id: 'race', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    const results = await Promise.allSettled([
      relay.submitResult(worker, { hiring_id: 'race', output: 'one' }),
      relay.submitResult(worker, { hiring_id: 'race', output: 'two' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(
      /another submission|already has submission/,
    );
    await waitFor('one delivery', () => link.delivered.length === 1);
  });

  it('explains that the system prompt needs a connection', async () => {
    const { relay } = await start();
    await expect(relay.systemPrompt(worker)).rejects.toThrow(/did not return the system prompt for agent fake/);
    expect(relay.status().links[0]).toMatchObject({ agent: 'fake', state: 'offline' });
  });

  it('keeps journaled hirings across a restart and re-reads a missing token when needed', async () => {
    const dir = tempDir();
    const first = await start(dir);
    first.link.push({
      id: 'p1',
      status: 'in_progress',
      delivery_mode: 'push',
      repo_url: 'http://127.0.0.1:9/x.git',
      repo_access_token: 'repo-token-abc-123',
    });
    await waitFor('the hiring', () => first.relay.listActive(worker).length === 1);
    await first.relay.stop();
    relays = [];
    dirs.pop();
    const second = await start(dir);
    expect(second.relay.listActive(worker).map((v) => String(v.hiring.id))).toEqual(['p1']);
    // The token was never journaled, so preparing the workspace asks the platform again.
    await expect(second.relay.prepareWorkspace(worker, 'p1')).rejects.toThrow(
      /Re-reading hiring p1 from Agrenting failed/,
    );
    expect(second.log.lines.join('\n')).not.toContain('repo-token-abc-123');
  });

  it('refuses prepare_workspace for output hirings and unknown ids', async () => {
    const { relay, link } = await start();
    link.push({ id: 'o1', status: 'in_progress' });
    await waitFor('the hiring', () => relay.listActive(worker).length === 1);
    await expect(relay.prepareWorkspace(worker, 'o1')).rejects.toThrow(/output-mode hiring/);
    await expect(relay.prepareWorkspace(worker, 'zzz')).rejects.toThrow(/Unknown hiring zzz/);
  });
});
