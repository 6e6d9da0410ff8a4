import { describe, expect, it } from 'vitest';
import { TreeRefresh, treeFingerprint } from '../../src/extension/view-models/tree-refresh';
import { buildTree } from '../../src/extension/view-models/tree-model';
import { NOW, submission, view } from './fixtures';

const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

describe('tree fingerprint', () => {
  it('is equal for trees built from equal data, different when a row changes', () => {
    const a = buildTree([view('h1', 'new')], [], NOW);
    expect(treeFingerprint(buildTree([view('h1', 'new')], [], NOW))).toBe(treeFingerprint(a));
    expect(treeFingerprint(buildTree([view('h1', 'claimed')], [], NOW))).not.toBe(treeFingerprint(a));
    expect(treeFingerprint(buildTree([view('h1', 'new', { price: '30.00' })], [], NOW))).not.toBe(treeFingerprint(a));
  });
});

describe('when the Hirings view redraws', () => {
  it('draws the first time', () => {
    const r = new TreeRefresh();
    expect(r.next({ hirings: [], reviews: [], agents: [] }, NOW)).toEqual({ kind: 'groups', groups: [] });
  });

  it('skips a status-only update: the same lists and agents draw nothing new', () => {
    const r = new TreeRefresh();
    const hirings = [view('h1', 'new')];
    const reviews: ReturnType<typeof submission>[] = [];
    expect(r.next({ hirings, reviews, agents: ['default'] }, NOW)).toBeDefined();
    expect(r.next({ hirings, reviews, agents: ['default'] }, NOW)).toBeUndefined();
  });

  it('skips a re-read that brought the same content in a new array', () => {
    const r = new TreeRefresh();
    r.next({ hirings: [view('h1', 'new')], reviews: [], agents: [] }, NOW);
    expect(r.next({ hirings: [view('h1', 'new')], reviews: [], agents: [] }, NOW)).toBeUndefined();
  });

  it('redraws when a submission starts waiting, and when it is decided', () => {
    const r = new TreeRefresh();
    const hirings = [view('h1', 'awaiting_review')];
    r.next({ hirings, reviews: [], agents: [] }, NOW);
    const waiting = r.next({ hirings, reviews: [submission('s1', 'h1')], agents: [] }, NOW);
    expect(waiting?.kind === 'groups' && waiting.groups[0].hirings[0].itemId).toBe('h1:review');
    expect(
      r.next({ hirings, reviews: [submission('s1', 'h1', { state: 'rejected' })], agents: [] }, NOW),
    ).toBeDefined();
  });

  it('redraws when a second agent gets a link: agents become a level', () => {
    const r = new TreeRefresh();
    const hirings = [view('h1', 'new')];
    r.next({ hirings, reviews: [], agents: ['default'] }, NOW);
    expect(r.next({ hirings, reviews: [], agents: ['default', 'other'] }, NOW)?.kind).toBe('agents');
  });

  it('on the clock, redraws only when a countdown moved', () => {
    const r = new TreeRefresh();
    const inputs = { hirings: [view('h1', 'claimed')], reviews: [], agents: [] };
    r.next(inputs, later(10));
    // Without the clock flag the same inputs are not even rebuilt.
    expect(r.next(inputs, later(90))).toBeUndefined();
    // "due in 2h" stays "due in 2h" a minute later; at 13:30 it reads "due in 1h".
    expect(r.next(inputs, later(11), true)).toBeUndefined();
    expect(r.next(inputs, later(90), true)).toBeDefined();
  });
});

describe('noticing a redraw VS Code never fetched', () => {
  it('is stale from a new model until the root rows are fetched', () => {
    const r = new TreeRefresh();
    expect(r.stale).toBe(false);
    r.next({ hirings: [], reviews: [], agents: [] }, NOW);
    expect(r.stale).toBe(true);
    r.served();
    expect(r.stale).toBe(false);
    r.next({ hirings: [view('h1', 'new')], reviews: [], agents: [] }, NOW);
    expect(r.stale).toBe(true);
    r.served();
    // An update that changes nothing shown leaves it fresh.
    expect(r.next({ hirings: [view('h1', 'new')], reviews: [], agents: [] }, NOW)).toBeUndefined();
    expect(r.stale).toBe(false);
  });
});
