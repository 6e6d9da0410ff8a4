// Downstream clients of the real relay (backed by the real sandbox): the MCP SDK
// over Streamable HTTP (/mcp) and over legacy SSE (/mcp/sse), and a
// tutorial-style raw client that reads answers from POST bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_URI } from '../../src/shared/protocol';
import { RawSseClient, initializeBody, key, sseClient, streamableClient, type TestClient } from '../downstream/helpers';
import { accepted, hireAndSee, startWorld, type World } from './helpers';
import { waitFor } from '../support/wait';

interface PendingItem {
  id: string;
  status: string;
  relay: { phase: string; agent: string };
}

async function readPending(c: TestClient): Promise<PendingItem[]> {
  const r = await c.client.readResource({ uri: PENDING_URI });
  const first = r.contents[0];
  return JSON.parse('text' in first ? String(first.text) : '[]') as PendingItem[];
}

function toolJson(r: Awaited<ReturnType<TestClient['client']['callTool']>>): Record<string, unknown> {
  const content = r.content as { type: string; text: string }[];
  return JSON.parse(content[0].text) as Record<string, unknown>;
}

describe.each([
  ['Streamable HTTP', streamableClient],
  ['legacy SSE', sseClient],
] as const)('an MCP SDK worker over %s', (_name, connect) => {
  let w: World;
  let worker: TestClient;
  let operator: TestClient;
  beforeAll(async () => {
    w = await startWorld({ review: 'required' });
    worker = await connect(w.relay.url, key(w.relay.tokens.workerTokens.alice));
    operator = await connect(w.relay.url, key(w.relay.tokens.operatorToken));
    await worker.client.subscribeResource({ uri: PENDING_URI });
  });
  afterAll(async () => {
    await worker.close();
    await operator.close();
    await w.close();
  });

  it('is notified of a new hiring, works it, and approval completes it upstream once', async () => {
    const before = worker.updates.length;
    const h = await w.sandbox.hire(w.agentId, { task_description: 'Fix the pagination bug' });
    await waitFor('a resources/updated notification', () => worker.updates.slice(before).includes(PENDING_URI));
    const pending = await readPending(worker);
    const item = pending.find((p) => p.id === h.id);
    expect(item?.relay).toMatchObject({ phase: 'new', agent: 'alice' });
    expect(JSON.stringify(pending)).not.toContain('repo_access_token":"');

    const claimed = toolJson(await worker.client.callTool({ name: 'claim_hiring', arguments: { hiring_id: h.id } }));
    expect(JSON.stringify(claimed)).toContain('claimed');
    const sub = toolJson(
      await worker.client.callTool({
        name: 'submit_hiring_result',
        arguments: { hiring_id: h.id, output: { summary: 'fixed' } },
      }),
    );
    expect(sub.state).toBe('awaiting_review');
    expect(w.sandbox.hiring(h.id)?.deliveries).toEqual([]);

    const approved = await operator.client.callTool({
      name: 'approve_submission',
      arguments: { submission_id: sub.id },
    });
    expect(approved.isError).toBeFalsy();
    await waitFor('completion upstream', () => w.sandbox.hiring(h.id)?.status === 'completed');
    expect(accepted(w, h.id)).toBe(1);
  });

  it('gives a worker the rejection feedback as a relay message on the hiring', async () => {
    const id = await hireAndSee(w);
    const sub = toolJson(
      await worker.client.callTool({ name: 'submit_hiring_result', arguments: { hiring_id: id, output: 'draft' } }),
    );
    const before = worker.updates.length;
    await operator.client.callTool({
      name: 'reject_submission',
      arguments: { submission_id: sub.id, feedback: 'Handle unicode too.' },
    });
    await waitFor('a notification after the rejection', () => worker.updates.length > before);
    const r = await worker.client.readResource({ uri: `hiring://${id}` });
    const first = r.contents[0];
    const view = JSON.parse('text' in first ? String(first.text) : '{}') as {
      relay: { relayMessages: { content: string }[] };
    };
    expect(view.relay.relayMessages.map((m) => m.content)).toEqual(['Handle unicode too.']);
    expect(w.sandbox.hiring(id)?.messages).toEqual([]);
  });

  it('refuses operator tools to a worker', async () => {
    const r = await worker.client.callTool({ name: 'approve_submission', arguments: { submission_id: 'x' } });
    expect(r.isError).toBe(true);
  });
});

describe('a tutorial-style raw client through the relay /mcp/sse', () => {
  let w: World;
  let raw: RawSseClient;
  beforeAll(async () => {
    w = await startWorld({ review: 'off' });
    raw = new RawSseClient(w.relay.url, { 'X-API-Key': w.relay.tokens.workerTokens.alice });
    await raw.open();
  });
  afterAll(async () => {
    raw.close();
    await w.close();
  });

  it('reads every answer from the POST body and completes a hiring', async () => {
    expect(raw.endpoint).toMatch(/^\/mcp\/messages\//);
    const init = await raw.call('initialize', initializeBody().params as Record<string, unknown>);
    expect(init.result?.protocolVersion).toBe('2024-11-05');
    expect(await raw.notify('initialized')).toBeLessThan(300);
    await raw.call('resources/subscribe', { uri: PENDING_URI });

    const h = await w.sandbox.hire(w.agentId, { task_description: 'Explain the RecursionError' });
    await waitFor('the pending notification on the stream', () =>
      raw.messages().some((m) => m.method === 'notifications/resources/updated'),
    );
    const read = await raw.call('resources/read', { uri: PENDING_URI });
    const contents = (read.result?.contents as { text: string }[])[0];
    expect((JSON.parse(contents.text) as { id: string }[]).map((x) => x.id)).toContain(h.id);

    const done = await raw.call('tools/call', {
      name: 'submit_hiring_result',
      arguments: { hiring_id: h.id, output: 'Use an explicit stack.' },
    });
    expect(done.result?.isError).toBeFalsy();
    await waitFor('completion upstream', () => w.sandbox.hiring(h.id)?.status === 'completed');
    expect(accepted(w, h.id)).toBe(1);
  });

  it('is refused without a token or with a wrong one', async () => {
    const noKey = new RawSseClient(w.relay.url, {});
    await noKey.open();
    expect(noKey.status).toBe(401);
    noKey.close();
    const wrong = new RawSseClient(w.relay.url, { 'X-API-Key': w.apiKey });
    await wrong.open();
    expect(wrong.status).toBe(401);
    wrong.close();
  });
});
