// deliver(), getHiring(), systemPrompt(), refresh(): over MCP while the session is up,
// over REST (with the idempotency key) while it is down, and what each answer means.
import { afterEach, describe, expect, it } from 'vitest';
import { TOOL } from '../../src/shared/protocol';
import { RelayError } from '../../src/relay/types';
import { Cleanup, makeLink, output, world, type World } from './helpers';
import { waitFor } from '../support/wait';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function up(w: World) {
  await waitFor('connected', () => w.tl.link.status().state === 'connected');
}

/** A started world for MCP, or a never-started link (session down) for REST. */
async function setup(via: 'mcp' | 'rest', knobs = {}): Promise<World> {
  const w = await world(cleanup, knobs, {}, { start: via === 'mcp' });
  if (via === 'mcp') await up(w);
  else {
    // REST hirings need a live session for the probe: give the sandbox a callback instead.
    w.sb.knobs.ping = 'never';
  }
  return w;
}

async function hire(w: World, task = 'Do the work'): Promise<string> {
  if (w.tl.link.status().state !== 'connected') {
    // No session: a second, started link keeps the agent available for the probe.
    const helper = makeLink(w.sb.url, w.apiKey, {}, 'probe-helper');
    cleanup.add(helper.link, (l) => l.stop());
    helper.link.start();
    await waitFor('helper connected', () => helper.link.status().state === 'connected');
    const h = await w.sb.hire(w.agentId, { task_description: task });
    await helper.link.stop();
    return h.id;
  }
  return (await w.sb.hire(w.agentId, { task_description: task })).id;
}

describe.each(['mcp', 'rest'] as const)('delivery over %s', (via) => {
  it('submit_hiring_result: confirmed, then already-done for a second attempt', async () => {
    const w = await setup(via);
    const id = await hire(w);
    const first = await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: output('done') }, 'key-1');
    expect(first.kind).toBe('confirmed');
    const rec = w.sb.hiring(id)!;
    expect(rec.status).toBe('completed');
    expect(rec.output).toEqual(output('done'));
    expect(rec.deliveries.at(-1)).toMatchObject({
      via,
      tool: TOOL.submitResult,
      outcome: 'accepted',
      idempotencyKey: 'key-1',
    });
    const again = await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: output('again') }, 'key-2');
    expect(again).toMatchObject({ kind: 'already-done', message: expect.stringContaining('completed') });
    expect(w.sb.hiring(id)!.output).toEqual(output('done'));
  });

  it('report_hiring_failure: confirmed, then already-done', async () => {
    const w = await setup(via);
    const id = await hire(w);
    expect(
      (
        await w.tl.link.deliver(
          TOOL.reportFailure,
          { hiring_id: id, reason: 'cannot', error: 'capability_mismatch' },
          'f-1',
        )
      ).kind,
    ).toBe('confirmed');
    expect(w.sb.hiring(id)!.status).toBe('failed');
    expect((await w.tl.link.deliver(TOOL.reportFailure, { hiring_id: id, reason: 'cannot' }, 'f-2')).kind).toBe(
      'already-done',
    );
  });

  it('add_hiring_message: confirmed; on a finished hiring: rejected', async () => {
    const w = await setup(via);
    const id = await hire(w);
    expect(
      (await w.tl.link.deliver(TOOL.addMessage, { hiring_id: id, content: 'Which branch?', kind: 'question' }, 'm-1'))
        .kind,
    ).toBe('confirmed');
    expect(w.sb.hiring(id)!.messages.at(-1)).toMatchObject({
      content: 'Which branch?',
      kind: 'question',
      sender_type: 'agent',
    });
    await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: 'ok' }, 'm-2');
    expect((await w.tl.link.deliver(TOOL.addMessage, { hiring_id: id, content: 'late' }, 'm-3')).kind).toBe('rejected');
  });

  it('unknown hiring: rejected, after checking it is not merely finished', async () => {
    const w = await setup(via);
    const o = await w.tl.link.deliver(
      TOOL.submitResult,
      { hiring_id: '00000000-0000-0000-0000-000000000000', output: 'x' },
      'u-1',
    );
    expect(o).toMatchObject({ kind: 'rejected', message: expect.stringContaining('does not know hiring') });
  });

  it('invalid arguments: rejected with the reason', async () => {
    const w = await setup(via);
    const id = await hire(w);
    const o = await w.tl.link.deliver(TOOL.reportFailure, { hiring_id: id }, 'i-1');
    expect(o).toMatchObject({ kind: 'rejected', message: expect.stringContaining('reason') });
    expect(w.sb.hiring(id)!.status).toBe('in_progress');
  });

  it("another agent's hiring: rejected", async () => {
    const w = await setup(via);
    const other = w.sb.registerAgent({ name: 'other' });
    const helper = makeLink(w.sb.url, other.apiKey, {}, 'other');
    cleanup.add(helper.link, (l) => l.stop());
    helper.link.start();
    await waitFor('other agent connected', () => helper.link.status().state === 'connected');
    const theirs = await w.sb.hire(other.id, { task_description: 'Not yours' });
    expect((await w.tl.link.deliver(TOOL.submitResult, { hiring_id: theirs.id, output: 'x' }, 'o-1')).kind).toBe(
      'rejected',
    );
    expect(w.sb.hiring(theirs.id)!.status).toBe('in_progress');
  });
});

describe('delivery specifics', () => {
  it('task_emit_chunk goes over MCP; with the session down it asks for a retry', async () => {
    const w = await setup('mcp');
    const id = await hire(w);
    expect(
      (await w.tl.link.deliver(TOOL.emitChunk, { hiring_id: id, content: 'building…', kind: 'status' }, 'c-1')).kind,
    ).toBe('confirmed');
    expect(w.sb.hiring(id)!.chunks).toEqual([expect.objectContaining({ content: 'building…', kind: 'status' })]);
    await w.tl.link.stop();
    expect(await w.tl.link.deliver(TOOL.emitChunk, { hiring_id: id, content: 'more' }, 'c-2')).toMatchObject({
      kind: 'retry',
    });
  });

  it('REST replays the original answer for a repeated idempotency key', async () => {
    const w = await setup('rest');
    const id = await hire(w);
    expect((await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: 'once' }, 'same-key')).kind).toBe(
      'confirmed',
    );
    expect((await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: 'once' }, 'same-key')).kind).toBe(
      'confirmed',
    );
    expect(w.sb.hiring(id)!.deliveries.map((d) => d.outcome)).toEqual(['accepted', 'replayed']);
  });

  it('REST 5xx: retry', async () => {
    const w = await setup('rest');
    const id = await hire(w);
    w.sb.knobs.faultRest5xxRate = 1;
    expect(await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: 'x' }, 'e-1')).toMatchObject({
      kind: 'retry',
      message: expect.stringMatching(/50\d/),
    });
    w.sb.knobs.faultRest5xxRate = 0;
    expect((await w.tl.link.deliver(TOOL.submitResult, { hiring_id: id, output: 'x' }, 'e-1')).kind).toBe('confirmed');
  });

  it('REST 429: retry after the time the platform asks for', async () => {
    const w = await setup('rest');
    const id = await hire(w);
    w.sb.knobs.faultRest429Rate = 1;
    const o = await w.tl.link.deliver(TOOL.addMessage, { hiring_id: id, content: 'hi' }, 'r-1');
    expect(o).toMatchObject({ kind: 'retry', message: expect.stringContaining('429') });
    expect(o.kind === 'retry' && typeof o.retryAfterMs === 'number').toBe(true);
  });

  it('the platform being unreachable: retry', async () => {
    const w = await setup('rest');
    const dead = makeLink('http://127.0.0.1:9', w.apiKey);
    expect(await dead.link.deliver(TOOL.submitResult, { hiring_id: 'h', output: 'x' }, 'n-1')).toMatchObject({
      kind: 'retry',
    });
  });
});

describe('reading', () => {
  it('getHiring over MCP, over REST when down, and not_found for an unknown id', async () => {
    const w = await setup('mcp');
    const id = await hire(w, 'Read me');
    expect((await w.tl.link.getHiring(id)).task_description).toBe('Read me');
    await w.tl.link.stop();
    expect((await w.tl.link.getHiring(id)).task_description).toBe('Read me');
    const err = await w.tl.link.getHiring('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('not_found');
  });

  it('systemPrompt from the platform; unavailable without a session', async () => {
    const w = await setup('mcp');
    expect((await w.tl.link.systemPrompt()).length).toBeGreaterThan(20);
    const down = makeLink(w.sb.url, w.apiKey, { requestTimeoutMs: 100 });
    const err = await down.link.systemPrompt().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable', message: expect.stringContaining('not connected') });
  });

  it('refresh() reads both hiring://pending and the REST list', async () => {
    const w = await setup('mcp', { restPending: 'active' });
    const id = await hire(w);
    const before = w.tl.rec.batches.length;
    await w.tl.link.refresh();
    const fresh = w.tl.rec.batches.slice(before);
    expect(new Set(fresh.filter((b) => b.ids.includes(id)).map((b) => b.source))).toEqual(new Set(['mcp', 'rest']));
  });
});
