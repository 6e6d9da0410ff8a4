// hiring://pending?since=<cursor>: a client reads what changed in its pending list since its
// last read instead of the whole list, through a real MCP client against the real relay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingSinceUri } from '../../src/shared/protocol';
import { key, streamableClient, type TestClient } from '../downstream/helpers';
import { hireAndSee, startWorld, type World } from './helpers';
import { waitFor } from '../support/wait';

interface Changes {
  cursor: string;
  reset: boolean;
  hirings: { id: string; status: string; relay: { phase: string; agent: string } }[];
  removed: string[];
}

async function since(c: TestClient, cursor: string): Promise<Changes> {
  const r = await c.client.readResource({ uri: pendingSinceUri(cursor) });
  const first = r.contents[0];
  return JSON.parse('text' in first ? String(first.text) : '{}') as Changes;
}

describe('hiring://pending?since=<cursor>', () => {
  let w: World;
  let worker: TestClient;
  beforeAll(async () => {
    w = await startWorld({ review: 'off' });
    worker = await streamableClient(w.relay.url, key(w.relay.tokens.workerTokens.alice));
  });
  afterAll(async () => {
    await worker.client.close();
    await w.close();
  });

  it('answers the whole list first, then only what changed, and names what left', async () => {
    const a = await hireAndSee(w);
    const first = await since(worker, '');
    expect(first.reset).toBe(true);
    expect(first.hirings.map((h) => h.id)).toContain(a);
    expect(first.cursor).toMatch(/^[0-9a-f]+\.\d+$/);

    const nothing = await since(worker, first.cursor);
    expect(nothing).toEqual({ cursor: first.cursor, reset: false, hirings: [], removed: [] });

    const b = await hireAndSee(w);
    const next = await since(worker, first.cursor);
    expect(next.reset).toBe(false);
    expect(next.hirings.map((h) => h.id)).toEqual([b]);
    expect(next.hirings[0].relay).toMatchObject({ phase: 'new', agent: 'alice' });

    // A claim changes the hiring: it comes again, with its new phase.
    await w.relay.claim(w.worker, b);
    const claimed = await since(worker, next.cursor);
    expect(claimed.hirings.map((h) => [h.id, h.relay.phase])).toEqual([[b, 'claimed']]);

    // Done: it leaves the list.
    await w.relay.submitResult(w.worker, { hiring_id: b, output: 'done' });
    await waitFor('the hiring to be done', () => w.relay.getHiring(w.worker, b).phase === 'done');
    const done = await since(worker, claimed.cursor);
    expect(done.removed).toContain(b);
    expect(done.hirings.map((h) => h.id)).not.toContain(b);
  });

  it('answers a cursor it does not know (a made-up one, or one from before a restart) with everything', async () => {
    for (const cursor of ['garbage', '00000000.1', `${'f'.repeat(8)}.99999999`]) {
      const r = await since(worker, cursor);
      expect(r.reset).toBe(true);
      expect(r.hirings.length).toBe(w.relay.listActive(w.worker).length);
    }
  });
});
