import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HiringStore, type HiringStoreOptions, type StoreChange } from '../../src/relay/inbox/store';
import { RelayError } from '../../src/relay/types';
import { hiring, PUSH_TOKEN, pushHiring, quietLogger, tempDir } from './helpers';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function dir(): string {
  const t = tempDir('store-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function open(stateDir: string, opts: HiringStoreOptions = {}): Promise<HiringStore> {
  const s = await HiringStore.open(stateDir, { logger: quietLogger(), ...opts });
  cleanups.push(() => s.close());
  return s;
}

const journalText = (d: string) => readFileSync(path.join(d, 'hirings.jsonl'), 'utf8');

describe('HiringStore', () => {
  it('adds new hirings as phase new, and a duplicate changes nothing and writes nothing', async () => {
    const d = dir();
    const store = await open(d);
    const events: StoreChange[] = [];
    store.onChange((c) => events.push(c));
    expect(await store.upsert('a1', [hiring('h1'), hiring('h2')], 'mcp')).toEqual({ added: ['h1', 'h2'], changed: [] });
    const size = statSync(path.join(d, 'hirings.jsonl')).size;
    expect(await store.upsert('a1', [hiring('h1'), hiring('h2')], 'rest')).toEqual({ added: [], changed: [] });
    expect(statSync(path.join(d, 'hirings.jsonl')).size).toBe(size);
    expect(events.map((e) => `${e.kind}:${e.hiringId}`)).toEqual(['added:h1', 'added:h2']);
    expect(store.get('h1')?.phase).toBe('new');
    expect(store.active('a1').map((r) => r.hiring.id)).toEqual(['h1', 'h2']);
    expect(store.active('other')).toEqual([]);
  });

  it('treats the same content with keys in another order as a duplicate', async () => {
    const store = await open(dir());
    await store.upsert('a1', [hiring('h1', { extra_field: { b: 1, a: 2 } })], 'mcp');
    const reordered = hiring('h1', { extra_field: { a: 2, b: 1 } });
    expect(await store.upsert('a1', [reordered], 'rest')).toEqual({ added: [], changed: [] });
  });

  it('follows the platform status, and a hiring missing from a full list is kept', async () => {
    const store = await open(dir());
    await store.upsert('a1', [hiring('h1'), hiring('h2'), hiring('h3'), hiring('h4')], 'mcp');
    await store.upsert('a1', [hiring('h1', { status: 'completed' }), hiring('h2', { status: 'cancelled' })], 'mcp');
    expect(store.get('h1')?.phase).toBe('done');
    expect(store.get('h2')?.phase).toBe('failed');
    expect(store.get('h1')?.hiring.status).toBe('completed');
    // h3 and h4 were absent from the list: still known, still active.
    expect(store.active().map((r) => r.hiring.id)).toEqual(['h3', 'h4']);
    expect(store.history().map((r) => r.hiring.id)).toEqual(['h1', 'h2']);
    for (const s of ['failed', 'refunded', 'disputed']) {
      await store.upsert('a1', [hiring(`x-${s}`, { status: s })], 'rest');
      expect(store.get(`x-${s}`)?.phase).toBe('failed');
    }
  });

  it('keeps the local phase when an active status changes, and a stale list does not undo done', async () => {
    const store = await open(dir());
    await store.upsert('a1', [hiring('h1', { status: 'queued' })], 'mcp');
    await store.claim('h1', 'alice');
    const r = await store.upsert('a1', [hiring('h1', { status: 'in_progress' })], 'mcp');
    expect(r.changed).toEqual(['h1']);
    expect(store.get('h1')?.phase).toBe('claimed');
    await store.setPhase('h1', 'done');
    await store.upsert('a1', [hiring('h1', { status: 'in_progress', updated_at: '2026-11-24T11:00:00Z' })], 'mcp');
    expect(store.get('h1')?.phase).toBe('done');
    expect(store.history().map((x) => x.hiring.id)).toEqual(['h1']);
  });

  it('never lets a late, older platform view reopen a finished hiring', async () => {
    const store = await open(dir());
    const stale = hiring('h1', { status: 'in_progress', updated_at: '2026-11-24T10:00:00Z' });
    await store.upsert('a1', [stale], 'mcp');
    await store.claim('h1', 'alice');
    await store.upsert('a1', [hiring('h1', { status: 'completed', updated_at: '2026-11-24T10:05:00Z' })], 'rest');
    // A pending list read before the platform completed the hiring answers only now.
    expect(await store.upsert('a1', [stale], 'mcp')).toEqual({ added: [], changed: [] });
    expect(store.get('h1')).toMatchObject({ phase: 'done', hiring: { status: 'completed' } });
    // Without timestamps there is no proof the reopening is news: terminal stays terminal.
    await store.upsert('a1', [hiring('h2', { status: 'cancelled' })], 'rest');
    await store.upsert('a1', [hiring('h2', { status: 'in_progress' })], 'mcp');
    expect(store.get('h2')).toMatchObject({ phase: 'failed', hiring: { status: 'cancelled' } });
    // An older view of an active hiring does not replace a newer one either.
    await store.upsert(
      'a1',
      [hiring('h3', { status: 'in_progress', updated_at: '2026-11-24T10:05:00Z', client_message: 'new' })],
      'mcp',
    );
    await store.upsert(
      'a1',
      [hiring('h3', { status: 'queued', updated_at: '2026-11-24T10:00:00Z', client_message: 'old' })],
      'mcp',
    );
    expect(store.get('h3')?.hiring).toMatchObject({ status: 'in_progress', client_message: 'new' });
    // A genuinely newer view (a dispute resolved back into work) still reopens.
    await store.upsert('a1', [hiring('h1', { status: 'in_progress', updated_at: '2026-11-24T11:00:00Z' })], 'mcp');
    expect(store.get('h1')).toMatchObject({ phase: 'claimed', claimedBy: 'alice' });
    expect(store.active().map((r) => r.hiring.id)).toEqual(['h3', 'h1']);
  });

  it('never moves a finished hiring back into work by a local change (only a newer platform view can)', async () => {
    const store = await open(dir());
    await store.upsert('a1', [hiring('h1', { status: 'in_progress' })], 'mcp');
    await store.claim('h1', 'alice');
    await store.upsert('a1', [hiring('h1', { status: 'cancelled' })], 'rest');
    // A submission saved while the hirer cancelled, a delivery resumed after it: they link, but do not reopen.
    await store.linkSubmission('h1', 's1', 'awaiting_review');
    await store.setPhase('h1', 'delivering');
    expect(store.get('h1')).toMatchObject({ phase: 'failed', submissions: ['s1'] });
    expect(store.active()).toEqual([]);
    // Between the finished phases a local change still goes (our result confirmed, then re-read).
    await store.setPhase('h1', 'done');
    expect(store.get('h1')?.phase).toBe('done');
  });

  it('knows everything after a restart (new instance on the same directory)', async () => {
    const d = dir();
    const s1 = await HiringStore.open(d, { logger: quietLogger() });
    await s1.upsert('a1', [hiring('h1'), pushHiring('h2')], 'mcp');
    await s1.upsert('a2', [hiring('h3', { status: 'completed' })], 'webhook');
    await s1.claim('h1', 'alice');
    await s1.setPhase('h1', 'awaiting_review');
    await s1.addChunk('h1', { content: 'step 1', kind: 'log' });
    await s1.addRelayMessage('h1', { content: 'add tests please', from: 'review' });
    await s1.linkSubmission('h1', 'sub-1');
    await s1.setWorkspace('h2', { dir: '/tmp/w', branch: 'agrenting/h2', baseBranch: 'main', baseSha: 'abc' });
    const before = s1.list();
    await s1.close();

    const s2 = await open(d);
    expect(s2.list()).toEqual(before);
    const h1 = s2.get('h1');
    expect(h1).toMatchObject({ agent: 'a1', phase: 'awaiting_review', claimedBy: 'alice', submissions: ['sub-1'] });
    expect(h1?.chunks.map((c) => c.content)).toEqual(['step 1']);
    expect(h1?.relayMessages[0]).toMatchObject({ content: 'add tests please', from: 'review' });
    expect(s2.get('h2')?.workspace?.branch).toBe('agrenting/h2');
    expect(s2.history('a2').map((r) => r.hiring.id)).toEqual(['h3']);
    // The token was memory-only: the Relay must re-read the hiring.
    expect(s2.tokenKnown('h2')).toBe(false);
    await s2.upsert('a1', [pushHiring('h2')], 'rest');
    expect(s2.tokenKnown('h2')).toBe(true);
    expect(s2.hiringWithToken('h2')?.repo_access_token).toBe(PUSH_TOKEN);
  });

  it('never writes the repository token to disk, but keeps it in memory', async () => {
    const d = dir();
    const store = await open(d);
    await store.upsert('a1', [pushHiring('h1')], 'mcp');
    await store.upsert('a1', [pushHiring('h1', { status: 'in_progress', client_message: 'changed' })], 'mcp');
    await store.compact();
    await store.upsert('a1', [pushHiring('h2')], 'mcp');
    expect(journalText(d)).not.toContain(PUSH_TOKEN);
    expect(statSync(path.join(d, 'hirings.jsonl')).mode & 0o777).toBe(0o600);
    expect(store.get('h1')?.hiring.repo_access_token).toBeNull();
    expect(store.get('h1')?.hiring.task_input.repo_access_token).toBeUndefined();
    expect(store.repoToken('h1')).toBe(PUSH_TOKEN);
    expect(store.hiringWithToken('h1')?.repo_url).toBe('http://127.0.0.1:1/git/o/r.git');
  });

  it('a token update alone is not a change', async () => {
    const store = await open(dir());
    await store.upsert('a1', [pushHiring('h1')], 'mcp');
    const r = await store.upsert(
      'a1',
      [pushHiring('h1', { repo_access_token: 'ghs_OTHERTOKENabcdefghijklmn1234' })],
      'mcp',
    );
    expect(r).toEqual({ added: [], changed: [] });
    expect(store.repoToken('h1')).toBe('ghs_OTHERTOKENabcdefghijklmn1234');
  });

  it('allows one worker per hiring', async () => {
    const store = await open(dir());
    await store.upsert('a1', [hiring('h1'), hiring('h2', { status: 'completed' })], 'mcp');
    const rec = await store.claim('h1', 'alice');
    expect(rec).toMatchObject({ claimedBy: 'alice', phase: 'claimed' });
    await expect(store.claim('h1', 'alice')).resolves.toMatchObject({ claimedBy: 'alice' });
    const err = await store.claim('h1', 'bob').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('conflict');
    expect((err as RelayError).message).toContain('alice');
    await expect(store.claim('h2', 'bob')).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.claim('nope', 'bob')).rejects.toMatchObject({ code: 'not_found' });
    await store.release('h1');
    expect(store.get('h1')).toMatchObject({ phase: 'new' });
    expect(store.get('h1')?.claimedBy).toBeUndefined();
    await expect(store.claim('h1', 'bob')).resolves.toMatchObject({ claimedBy: 'bob' });
  });

  it('bounds progress chunks, relay messages and history', async () => {
    const d = dir();
    const opts = { chunkLimit: 3, messageLimit: 2, historyLimit: 2 };
    const store = await open(d, opts);
    await store.upsert('a1', [hiring('h1')], 'mcp');
    for (let i = 0; i < 10; i++) await store.addChunk('h1', { content: `c${i}` });
    for (let i = 0; i < 5; i++) await store.addRelayMessage('h1', { content: `m${i}`, from: 'relay' });
    expect(store.get('h1')?.chunks.map((c) => c.content)).toEqual(['c7', 'c8', 'c9']);
    expect(store.get('h1')?.relayMessages.map((m) => m.content)).toEqual(['m3', 'm4']);
    await store.upsert(
      'a1',
      ['t1', 't2', 't3', 't4'].map((id) => hiring(id, { status: 'completed' })),
      'mcp',
    );
    expect(store.history().map((r) => r.hiring.id)).toEqual(['t3', 't4']);
    await store.close();
    const again = await open(d, opts);
    expect(again.history().map((r) => r.hiring.id)).toEqual(['t3', 't4']);
    expect(again.get('h1')?.chunks.map((c) => c.content)).toEqual(['c7', 'c8', 'c9']);
  });

  it('emits change events only after the journal write resolved', async () => {
    const d = dir();
    const store = await open(d);
    const seen: string[] = [];
    store.onChange((c) => {
      // At event time the record is already on disk.
      seen.push(`${c.kind}:${c.hiringId}:${journalText(d).includes(`"${c.hiringId}"`)}`);
    });
    await store.upsert('a1', [hiring('h1')], 'mcp');
    await store.claim('h1', 'w');
    expect(seen).toEqual(['added:h1:true', 'local:h1:true']);
  });

  it('unsubscribes listeners and survives a throwing listener', async () => {
    const store = await open(dir());
    const calls: string[] = [];
    store.onChange(() => {
      throw new Error('boom');
    });
    const off = store.onChange((c) => calls.push(c.hiringId));
    await store.upsert('a1', [hiring('h1')], 'mcp');
    off();
    await store.upsert('a1', [hiring('h2')], 'mcp');
    expect(calls).toEqual(['h1']);
  });

  it('compacts automatically and replays to the same state', async () => {
    const d = dir();
    const store = await open(d, { compactMinRecords: 20, compactFactor: 2 });
    await store.upsert('a1', [hiring('h1'), hiring('h2')], 'mcp');
    for (let i = 0; i < 100; i++) await store.addChunk(i % 2 ? 'h1' : 'h2', { content: `c${i}` });
    const lines = journalText(d).trim().split('\n').length;
    expect(lines).toBeLessThan(30);
    const before = store.list();
    await store.close();
    const again = await open(d);
    expect(again.list()).toEqual(before);
  });

  it('replays a journal with garbage and a torn tail', async () => {
    const d = dir();
    const s1 = await HiringStore.open(d, { logger: quietLogger() });
    await s1.upsert('a1', [hiring('h1'), hiring('h2')], 'mcp');
    await s1.claim('h2', 'w');
    await s1.close();
    const { appendFileSync } = await import('node:fs');
    appendFileSync(
      path.join(d, 'hirings.jsonl'),
      '{"t":"chunk","id":"h1","at":"x"}\n{"t":"nonsense"}\n{"t":"set","id":"h1","at":"x","phase":"bogus"}\n{"t":"set","id":"h1","phase":"clai',
    );
    const s2 = await open(d);
    expect(s2.get('h2')?.claimedBy).toBe('w');
    expect(s2.get('h1')?.phase).toBe('new');
    expect(s2.get('h1')?.chunks).toEqual([]);
  });

  it('rejects local changes to an unknown hiring with not_found', async () => {
    const store = await open(dir());
    await expect(store.setPhase('x', 'claimed')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.addChunk('x', { content: 'c' })).rejects.toBeInstanceOf(RelayError);
  });
});
