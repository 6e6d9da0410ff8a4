import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, honourRetryAfter, type OutboxEvent, type OutboxOptions } from '../../src/relay/inbox/outbox';
import { Journal } from '../../src/relay/inbox/journal';
import { OutboxLedger } from '../../src/relay/inbox/outbox-ledger';
import type { OutboxRecord } from '../../src/relay/inbox/outbox-records';
import { TOOL } from '../../src/shared/protocol';
import type { DeliveryAttempt, DeliveryOutcome, OutboxEntry } from '../../src/relay/types';
import { quietLogger, tempDir } from './helpers';
import { waitFor } from '../support/wait';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir('outbox-');
  cleanups.push(t.cleanup);
  return t.dir;
}

interface Call {
  key: string;
  tool: string;
  hiringId: string;
  attempts: number;
}

/** A platform look-alike: answers from a script (then `confirmed`), records every call. */
function fakeSender(script: DeliveryOutcome[] | ((e: OutboxEntry, n: number) => DeliveryOutcome) = []) {
  const calls: Call[] = [];
  const send = async (e: OutboxEntry): Promise<DeliveryOutcome> => {
    calls.push({ key: e.key, tool: e.tool, hiringId: e.hiringId, attempts: e.attempts });
    if (typeof script === 'function') return script(e, calls.length);
    return script.shift() ?? { kind: 'confirmed', result: { ok: true } };
  };
  return { calls, send };
}

async function open(d: string, opts: Partial<OutboxOptions> & Pick<OutboxOptions, 'send'>) {
  const box = await Outbox.open(d, { logger: quietLogger(), baseMs: 1, capMs: 5, random: () => 0.5, ...opts });
  const events: OutboxEvent[] = [];
  box.entries.onEvent((e) => events.push(e));
  cleanups.push(() => box.close());
  return { box, events };
}

const result = (hiringId = 'h1', submissionId = `sub-${hiringId}`) => ({
  agent: 'a1',
  hiringId,
  tool: TOOL.submitResult,
  args: { hiring_id: hiringId, output: 'done' },
  submissionId,
});
const message = (hiringId = 'h1', content = 'hello') => ({
  agent: 'a1',
  hiringId,
  tool: TOOL.addMessage,
  args: { hiring_id: hiringId, content },
});
const chunk = (hiringId = 'h1', content = 'progress') => ({
  agent: 'a1',
  hiringId,
  tool: TOOL.emitChunk,
  args: { hiring_id: hiringId, content },
});

const outboxText = (d: string) => readFileSync(path.join(d, 'outbox.jsonl'), 'utf8');

describe('Outbox', () => {
  it('journals before sending, then marks confirmed', async () => {
    const d = dir();
    let journalAtSend = '';
    const { box, events } = await open(d, {
      send: async () => {
        journalAtSend = outboxText(d);
        return { kind: 'confirmed', result: { status: 'completed' } };
      },
    });
    const e = await box.enqueue(result());
    expect(e).toMatchObject({ key: 'submission-sub-h1', state: 'pending', attempts: 0 });
    // Events come after the outcome is durable.
    await waitFor('confirmation', () => events.some((x) => x.type === 'confirmed'));
    expect(journalAtSend).toContain('"t":"put"');
    expect(journalAtSend).toContain('"t":"try","k":"submission-sub-h1","n":1');
    expect(box.entries.get(e.key)).toMatchObject({ attempts: 1, state: 'confirmed' });
    expect(box.entries.get(e.key)?.confirmedAt).toBeDefined();
    const confirmed = events.find((x) => x.type === 'confirmed');
    expect(confirmed).toMatchObject({ type: 'confirmed', result: { status: 'completed' } });
    expect(box.entries.pendingCount()).toBe(0);
  });

  it('retries transient failures with capped exponential backoff until confirmed', async () => {
    const fake = fakeSender([
      { kind: 'retry', message: '503 agent unavailable' },
      { kind: 'retry', message: 'session down' },
      { kind: 'retry', message: 'socket hang up' },
      { kind: 'retry', message: 'socket hang up' },
    ]);
    const { box, events } = await open(dir(), { send: fake.send, baseMs: 2, capMs: 10 });
    const e = await box.enqueue(result());
    await waitFor('confirmation', () => box.entries.get(e.key)?.state === 'confirmed');
    expect(fake.calls).toHaveLength(5);
    expect(new Set(fake.calls.map((c) => c.key))).toEqual(new Set([e.key]));
    expect(fake.calls.map((c) => c.attempts)).toEqual([1, 2, 3, 4, 5]);
    const delays = events.flatMap((x) => (x.type === 'retry' ? [x.delayMs] : []));
    expect(delays).toEqual([2, 4, 8, 10]);
  });

  it('treats a thrown send as transient', async () => {
    let n = 0;
    const { box } = await open(dir(), {
      send: async () => {
        if (++n === 1) throw new Error('ECONNRESET');
        return { kind: 'confirmed' };
      },
    });
    const e = await box.enqueue(message());
    await waitFor('confirmation', () => box.entries.get(e.key)?.state === 'confirmed');
    expect(n).toBe(2);
  });

  it('never retries at once on "Retry-After: 0" (no busy loop against the platform)', () => {
    expect(honourRetryAfter(0, 1000)).toBe(1000);
    expect(honourRetryAfter(-5, 1000)).toBeUndefined();
    expect(honourRetryAfter(30_000, 1000)).toBe(30_000);
    expect(honourRetryAfter(60 * 60_000, 1000)).toBe(15 * 60_000);
  });

  it('honours retryAfterMs', async () => {
    const delays: number[] = [];
    const fake = fakeSender([{ kind: 'retry', message: '429 rate limited', retryAfterMs: 1234 }]);
    const { box, events } = await open(dir(), {
      send: fake.send,
      schedule: (fn, ms) => {
        delays.push(ms);
        const t = setTimeout(fn, 0);
        return () => clearTimeout(t);
      },
    });
    const e = await box.enqueue(result());
    await waitFor('confirmation', () => box.entries.get(e.key)?.state === 'confirmed');
    expect(delays).toEqual([1234]);
    expect(events.find((x) => x.type === 'retry')).toMatchObject({ message: '429 rate limited', delayMs: 1234 });
  });

  it('counts already-done after our own earlier attempt as confirmed', async () => {
    const fake = fakeSender([
      { kind: 'retry', message: 'timeout' },
      { kind: 'already-done', message: 'hiring is completed' },
    ]);
    const { box } = await open(dir(), { send: fake.send });
    const e = await box.enqueue(result());
    await waitFor('confirmation', () => box.entries.get(e.key)?.state === 'confirmed');
    expect(box.entries.get(e.key)?.lastError).toBeUndefined();
  });

  it('counts already-done on a first attempt as confirmed but records the fact', async () => {
    const fake = fakeSender([{ kind: 'already-done', message: 'hiring is completed' }]);
    const { box, events } = await open(dir(), { send: fake.send });
    const e = await box.enqueue(result());
    await waitFor('confirmation', () => events.some((x) => x.type === 'confirmed'));
    expect(box.entries.get(e.key)?.lastError).toMatch(
      /already finished before this delivery was first sent: hiring is completed/,
    );
    expect(events.some((x) => x.type === 'confirmed')).toBe(true);
  });

  it('does not retry a rejected delivery and reports it', async () => {
    const fake = fakeSender([{ kind: 'rejected', message: 'invalid arguments: output is required' }]);
    const { box, events } = await open(dir(), { send: fake.send });
    const e = await box.enqueue(result());
    await waitFor('rejection', () => events.some((x) => x.type === 'rejected'));
    expect(fake.calls).toHaveLength(1);
    expect(box.entries.get(e.key)?.lastError).toBe('invalid arguments: output is required');
    expect(events.find((x) => x.type === 'rejected')).toMatchObject({
      message: 'invalid arguments: output is required',
    });
    // The same key again would only get the same refusal: it must be a new key.
    await expect(box.enqueue(result())).rejects.toThrow(
      /refused by Agrenting \(invalid arguments: output is required\); send it again under a new idempotency key/,
    );
    // A rejected final delivery does not block a corrected one.
    const again = await box.enqueue(result('h1', 'sub-2'));
    await waitFor('second confirmation', () => box.entries.get(again.key)?.state === 'confirmed');
  });

  it('sends entries of one hiring in order; other hirings do not wait', async () => {
    let msgFailures = 3;
    const fake = fakeSender((e) => {
      if (e.tool === TOOL.addMessage && msgFailures-- > 0) return { kind: 'retry', message: 'down' };
      return { kind: 'confirmed' };
    });
    const { box } = await open(dir(), { send: fake.send });
    const m = await box.enqueue(message('h1'));
    const r = await box.enqueue(result('h1'));
    const other = await box.enqueue(result('h2'));
    await waitFor(
      'all confirmed',
      () => box.entries.get(r.key)?.state === 'confirmed' && box.entries.get(other.key)?.state === 'confirmed',
    );
    const h1Calls = fake.calls.filter((c) => c.hiringId === 'h1').map((c) => c.tool);
    expect(h1Calls).toEqual([TOOL.addMessage, TOOL.addMessage, TOOL.addMessage, TOOL.addMessage, TOOL.submitResult]);
    expect(box.entries.get(m.key)?.state).toBe('confirmed');
    // h2 went out while h1's message was still failing.
    expect(fake.calls.findIndex((c) => c.hiringId === 'h2')).toBeLessThan(
      fake.calls.findIndex((c) => c.tool === TOOL.submitResult && c.hiringId === 'h1'),
    );
  });

  it('resumes pending entries after a restart and delivers each once, with the same keys', async () => {
    const d = dir();
    const first = await Outbox.open(d, {
      logger: quietLogger(),
      send: async () => ({ kind: 'confirmed' }),
      autoStart: false,
    });
    const a = await first.enqueue(result('h1'));
    const b = await first.enqueue(message('h2'));
    const c = await first.enqueue(chunk('h3'));
    await first.close();

    const fake = fakeSender();
    const { box } = await open(d, { send: fake.send });
    await waitFor('all delivered', () => box.entries.pendingCount() === 0);
    expect(fake.calls.map((x) => x.key).sort()).toEqual([a.key, b.key, c.key].sort());
    expect(box.entries.list('confirmed')).toHaveLength(3);
    await box.close();
    // A third start sends nothing again.
    const fake3 = fakeSender();
    const third = await open(d, { send: fake3.send });
    expect(third.box.entries.pendingCount()).toBe(0);
    expect(fake3.calls).toEqual([]);
  });

  it('after a crash mid-send, re-sends with the same key and takes already-done as confirmation', async () => {
    const d = dir();
    // The platform: remembers idempotency keys it accepted.
    const accepted = new Set<string>();
    const platform = (e: OutboxEntry): DeliveryOutcome => {
      if (accepted.has(e.key)) return { kind: 'already-done', message: 'hiring is completed' };
      accepted.add(e.key);
      return { kind: 'confirmed' };
    };
    let release: (o: DeliveryOutcome) => void = () => {};
    const crashed = await Outbox.open(d, {
      logger: quietLogger(),
      send: (e) => {
        platform(e); // it reached the platform…
        return new Promise<DeliveryOutcome>((r) => (release = r)); // …but the answer never came back
      },
    });
    const entry = await crashed.enqueue(result('h1'));
    await waitFor('first send', () => accepted.size === 1);

    const calls: OutboxEntry[] = [];
    const { box, events } = await open(d, {
      send: async (e) => {
        calls.push(e);
        return platform(e);
      },
    });
    // The event follows the journal write, a moment after the entry's state changes in memory.
    await waitFor('confirmation after restart', () => events.some((x) => x.type === 'confirmed'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ key: entry.key, attempts: 2 });
    expect(box.entries.get(entry.key)?.lastError).toBeUndefined();
    expect(accepted.size).toBe(1);
    expect(events.filter((x) => x.type === 'confirmed')).toHaveLength(1);
    // Let the abandoned instance finish without writing anything.
    const closing = crashed.close();
    release({ kind: 'retry', message: 'late' });
    await closing;
  });

  it('never allows two different final deliveries for a hiring', async () => {
    const { box } = await open(dir(), { send: fakeSender().send, autoStart: false });
    const first = await box.enqueue(result('h1', 's1'));
    // Same submission again (e.g. approve retried after a crash): same entry.
    expect(await box.enqueue(result('h1', 's1'))).toEqual(first);
    await expect(box.enqueue(result('h1', 's2'))).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      box.enqueue({ agent: 'a1', hiringId: 'h1', tool: TOOL.reportFailure, args: { hiring_id: 'h1', reason: 'x' } }),
    ).rejects.toThrow(/already being delivered/);
    await expect(box.enqueue({ ...message('h9'), key: first.key })).rejects.toThrow(/already used/);
  });

  it('drops progress chunks of a finished hiring, on already-done, and after too many failures', async () => {
    const fake = fakeSender((e) => {
      const content = (e.args as { content?: string }).content;
      if (content === 'flaky') return { kind: 'retry', message: 'down' };
      if (e.hiringId === 'h2') return { kind: 'already-done', message: 'hiring is completed' };
      return { kind: 'confirmed' };
    });
    const finished = new Set(['h3']);
    const { box, events } = await open(dir(), {
      send: fake.send,
      maxChunkAttempts: 3,
      isHiringFinished: (id) => finished.has(id),
    });
    const c1 = await box.enqueue(chunk('h1', 'before'));
    const r = await box.enqueue(result('h1'));
    await waitFor('result', () => box.entries.get(r.key)?.state === 'confirmed');
    const c2 = await box.enqueue(chunk('h1', 'after'));
    const c3 = await box.enqueue(chunk('h2', 'late'));
    const c4 = await box.enqueue(chunk('h3', 'finished locally'));
    // Alone: with a result behind it, the result would supersede it (next test).
    const c5 = await box.enqueue(chunk('h4', 'flaky'));
    // The event follows the journal write, a moment after the entry leaves the queue.
    await waitFor(
      'all settled',
      () => box.entries.pendingCount() === 0 && events.some((e) => e.type === 'dropped' && e.entry.key === c5.key),
    );
    expect(box.entries.get(c1.key)?.state).toBe('confirmed');
    for (const c of [c2, c3, c4, c5]) {
      expect(box.entries.get(c.key)?.state).toBe('rejected');
      expect(box.entries.get(c.key)?.lastError).toMatch(/^dropped/);
    }
    expect(fake.calls.filter((c) => c.key === c2.key || c.key === c4.key)).toEqual([]);
    expect(fake.calls.filter((c) => c.key === c5.key)).toHaveLength(3);
    expect(events.filter((e) => e.type === 'dropped')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'rejected')).toHaveLength(0);
  });

  it('never repeats a chunk that may have arrived, and tells the sender when a message may have', async () => {
    const seen: { content: unknown; earlier: boolean }[] = [];
    const send = async (e: OutboxEntry, attempt: DeliveryAttempt): Promise<DeliveryOutcome> => {
      const content = (e.args as { content?: string }).content;
      seen.push({ content, earlier: attempt.earlierMayHaveLanded });
      const first = seen.filter((x) => x.content === content).length === 1;
      // 'timed out': sent, no answer. 'refused': the connection never opened. Both answer on the second try.
      if (first && (content === 'timed out' || content === 'asked')) {
        return { kind: 'retry', message: 'no answer', uncertain: true };
      }
      if (first && content === 'refused') return { kind: 'retry', message: 'ECONNREFUSED' };
      return { kind: 'confirmed' };
    };
    const { box, events } = await open(dir(), { send });
    const timedOut = await box.enqueue(chunk('h1', 'timed out'));
    const refused = await box.enqueue(chunk('h2', 'refused'));
    const asked = await box.enqueue(message('h3', 'asked'));
    await waitFor('all settled', () => box.entries.pendingCount() === 0 && events.some((e) => e.type === 'dropped'));
    expect(box.entries.get(timedOut.key)).toMatchObject({
      state: 'rejected',
      lastError: expect.stringMatching(/^dropped: an earlier attempt may/),
    });
    expect(seen.filter((x) => x.content === 'timed out')).toHaveLength(1);
    expect(box.entries.get(refused.key)?.state).toBe('confirmed');
    expect(seen.filter((x) => x.content === 'refused')).toEqual([
      { content: 'refused', earlier: false },
      { content: 'refused', earlier: false },
    ]);
    // The message is sent again, with word that the first may have landed, so the link checks before sending.
    expect(box.entries.get(asked.key)?.state).toBe('confirmed');
    expect(seen.filter((x) => x.content === 'asked').map((x) => x.earlier)).toEqual([false, true]);
  });

  it('after a crash, does not send again a chunk whose attempt was under way', async () => {
    const d = dir();
    const first = await Outbox.open(d, { logger: quietLogger(), send: () => new Promise<DeliveryOutcome>(() => {}) });
    const c = await first.enqueue(chunk('h1', 'mid-send'));
    await waitFor('the attempt recorded', () => (first.entries.get(c.key)?.attempts ?? 0) > 0);
    await first.close();
    const fake = fakeSender();
    const { box } = await open(d, { send: fake.send });
    await waitFor('settled', () => box.entries.pendingCount() === 0);
    expect(box.entries.get(c.key)?.lastError).toMatch(/^dropped/);
    expect(fake.calls).toEqual([]);
  });

  it('never holds a result back behind progress chunks that cannot go out (MCP down, REST up)', async () => {
    // Chunks need the MCP session; the result can go over REST.
    const fake = fakeSender((e) =>
      e.tool === TOOL.emitChunk
        ? { kind: 'retry', message: 'task_emit_chunk needs the MCP session' }
        : { kind: 'confirmed' },
    );
    const { box, events } = await open(dir(), { send: fake.send, baseMs: 3_600_000, capMs: 3_600_000 });
    const c1 = await box.enqueue(chunk('h1', 'one'));
    await waitFor('the first chunk waiting out its backoff', () => box.entries.get(c1.key)?.lastError !== undefined);
    const c2 = await box.enqueue(chunk('h1', 'two'));
    const m = await box.enqueue(message('h1', 'a question'));
    const c3 = await box.enqueue(chunk('h1', 'three'));
    const r = await box.enqueue(result('h1'));
    await waitFor('the result', () => box.entries.get(r.key)?.state === 'confirmed');
    for (const c of [c1, c2, c3]) {
      expect(box.entries.get(c.key)).toMatchObject({
        state: 'rejected',
        lastError: expect.stringMatching(/^dropped: superseded/),
      });
    }
    expect(fake.calls.map((c) => c.key)).toEqual([c1.key, m.key, r.key]);
    expect(events.filter((e) => e.type === 'dropped')).toHaveLength(3);
  });

  it('keeps at most maxPendingChunks progress chunks waiting per hiring (a flood while offline)', async () => {
    const d = dir();
    const { box } = await open(d, { send: fakeSender().send, autoStart: false, maxPendingChunks: 3 });
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(await box.enqueue(chunk('h1', `c${i}`)));
    await box.enqueue(message('h1', 'kept'));
    expect(box.entries.pending('h1').map((e) => (e.args as { content: string }).content)).toEqual([
      'c7',
      'c8',
      'c9',
      'kept',
    ]);
    expect(box.entries.get(sent[0].key)?.lastError).toMatch(/^dropped/);
    await box.close();
    const again = await open(d, { send: fakeSender().send, autoStart: false });
    expect(again.box.entries.pendingCount()).toBe(4);
  });

  it('kick() retries now instead of waiting out a long backoff', async () => {
    const fake = fakeSender([{ kind: 'retry', message: 'offline' }]);
    const { box } = await open(dir(), { send: fake.send, baseMs: 3_600_000, capMs: 3_600_000 });
    const e = await box.enqueue(result());
    await waitFor('first failure', () => box.entries.get(e.key)?.lastError === 'offline');
    box.kick('someone-else');
    box.kick('a1');
    await waitFor('confirmation after kick', () => box.entries.get(e.key)?.state === 'confirmed');
    expect(fake.calls).toHaveLength(2);
  });

  it('compacts its journal and keeps everything across a restart', async () => {
    const d = dir();
    const fake = fakeSender();
    const { box } = await open(d, { send: fake.send, compactMinRecords: 10, compactFactor: 2 });
    for (let i = 0; i < 30; i++) await box.enqueue(message(`h${i}`, `m${i}`));
    await waitFor('all delivered', () => box.entries.pendingCount() === 0);
    await box.compact();
    const before = box.entries.list();
    await box.close();
    expect(outboxText(d).trim().split('\n')).toHaveLength(30);
    const again = await open(d, { send: fakeSender().send });
    expect(again.box.entries.list()).toEqual(before);
  });

  it('keeps memory bounded: what it remembers of finished hirings goes with their trimmed entries', async () => {
    const d = dir();
    const journal = new Journal<OutboxRecord>(path.join(d, 'ledger.jsonl'), { durable: false });
    await journal.replay();
    cleanups.push(() => journal.close());
    const ledger = new OutboxLedger(journal, { finishedLimit: 2, log: quietLogger(), now: () => new Date() });
    for (let i = 0; i < 5; i++) {
      const { entry } = await ledger.add(result(`h${i}`));
      await ledger.finish(entry, 'confirmed', undefined, 'confirmed');
    }
    expect(ledger.list().map((e) => e.hiringId)).toEqual(['h3', 'h4']);
    expect(['h0', 'h1', 'h2', 'h3', 'h4'].map((h) => ledger.finalConfirmed(h))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('refuses to enqueue after close', async () => {
    const { box } = await open(dir(), { send: fakeSender().send });
    await box.close();
    await expect(box.enqueue(message())).rejects.toMatchObject({ code: 'unavailable' });
  });
});
