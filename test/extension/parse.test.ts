import { describe, expect, it } from 'vitest';
import {
  parseHiringView,
  parseHiringViews,
  parseRelayStatus,
  parseSubmissions,
  parseWorkspaceResult,
} from '../../src/extension/view-models/parse';

describe('parsing what the relay serves', () => {
  it('keeps good hirings and reports bad ones', () => {
    const r = parseHiringViews([
      { hiring: { id: 'h1', task_description: 'x' }, agent: 'a', phase: 'claimed' },
      { hiring: { task_description: 'no id' } },
      'junk',
    ]);
    expect(r.items.map((v) => [v.hiring.id, v.agent, v.phase])).toEqual([['h1', 'a', 'claimed']]);
    expect(r.errors).toHaveLength(2);
    expect(parseHiringViews({ not: 'a list' }).errors).toEqual(['expected a JSON array of hirings']);
  });

  it('accepts the agent-facing shape (platform hiring with a relay object) and fills defaults', () => {
    const v = parseHiringView({
      id: 'h2',
      delivery_mode: 'push',
      relay: { agent: 'bob', phase: 'bogus', submissions: ['s1', 7] },
    });
    expect(v.hiring.delivery_mode).toBe('push');
    expect(v.agent).toBe('bob');
    expect(v.phase).toBe('new');
    expect(v.submissions).toEqual(['s1']);
    expect(v.chunks).toEqual([]);
  });

  it('parses submissions leniently', () => {
    const r = parseSubmissions([
      { id: 's1', hiringId: 'h1', state: 'weird', result: { hiring_id: 'h1', output: 'x' } },
      { hiringId: 'h1' },
    ]);
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({ id: 's1', state: 'awaiting_review', kind: 'result', submittedBy: 'unknown' });
    expect(r.errors[0]).toContain('submission 1');
  });

  it('parses the status and fills missing counts', () => {
    const s = parseRelayStatus({
      version: '1.2.3',
      links: [{ agent: 'a', state: 'connected' }, 'junk'],
      counts: { new: 2 },
      reviewsWaiting: 1,
    });
    expect(s.counts).toEqual({ new: 2, claimed: 0, awaiting_review: 0, delivering: 0, done: 0, failed: 0 });
    expect(s.links).toEqual([{ agent: 'a', state: 'connected', reconnects: 0 }]);
    expect(() => parseRelayStatus([])).toThrow();
  });

  it('finds the workspace in the shapes prepare_workspace may answer', () => {
    const ws = { dir: '/w', branch: 'agrenting/h', baseBranch: 'main', baseSha: 'abc' };
    expect(parseWorkspaceResult(ws)).toEqual(ws);
    expect(parseWorkspaceResult({ workspace: ws })).toEqual(ws);
    expect(parseWorkspaceResult({ hiring: { id: 'h' }, relay: { workspace: ws } })).toEqual(ws);
    expect(parseWorkspaceResult({ nothing: true })).toBeUndefined();
  });
});
