import { describe, expect, it } from 'vitest';
import { OPERATOR, allowed, deadlineNotices, diffNotices, snapshotOf } from '../../src/extension/view-models/notify';
import { NOW, submission, view } from './fixtures';

describe('notifications', () => {
  it('summarises once on the first snapshot instead of replaying old news', () => {
    const notices = diffNotices(
      undefined,
      [view('a', 'new'), view('b', 'new'), view('c', 'done')],
      [submission('s1', 'c')],
    );
    expect(notices).toHaveLength(1);
    expect(notices[0].message).toBe('Agrenting: 2 new hirings and 1 submission to review waiting.');
    expect(diffNotices(undefined, [view('c', 'done')], [])).toEqual([]);
  });

  it('announces new hirings, reviews, deliveries and failures', () => {
    const before = [view('a', 'claimed'), view('b', 'delivering'), view('c', 'claimed')];
    const prev = snapshotOf(before, []);
    const after = [
      view('a', 'awaiting_review'),
      view('b', 'done'),
      view('c', 'failed', { failed_reason: 'deadline missed' }),
      view('d', 'new', { price: '10', task_description: 'Write a parser' }),
    ];
    const notices = diffNotices(prev, after, [submission('s1', 'a', { submittedBy: 'copilot' })]);
    expect(notices.map((n) => n.kind).sort()).toEqual(['delivered', 'failed', 'newHiring', 'reviewWaiting']);
    const byKind = Object.fromEntries(notices.map((n) => [n.kind, n]));
    expect(byKind.newHiring.message).toBe('New hiring "Write a parser" ($10.00, output).');
    expect(byKind.newHiring.hiringId).toBe('d');
    expect(byKind.failed.message).toContain('failed — deadline missed');
    expect(byKind.reviewWaiting.message).toContain('copilot submitted a result for "Task a"');
    expect(byKind.reviewWaiting.submissionId).toBe('s1');
  });

  it('does not ask the operator to review their own submission (the command approves it at once)', () => {
    const prev = snapshotOf([view('a', 'claimed')], []);
    const own = diffNotices(prev, [view('a', 'awaiting_review')], [submission('s1', 'a', { submittedBy: OPERATOR })]);
    expect(own).toEqual([]);
    const agents = diffNotices(
      prev,
      [view('a', 'awaiting_review')],
      [submission('s1', 'a', { submittedBy: 'claude' })],
    );
    expect(agents.map((n) => n.kind)).toEqual(['reviewWaiting']);
  });

  it('does not repeat what did not change', () => {
    const views = [view('a', 'new')];
    const reviews = [submission('s1', 'a')];
    expect(diffNotices(snapshotOf(views, reviews), views, reviews)).toEqual([]);
  });

  it('filters by level', () => {
    const prev = snapshotOf([view('b', 'delivering')], []);
    const [delivered] = diffNotices(prev, [view('b', 'done')], []);
    expect(allowed(delivered, 'all')).toBe(true);
    expect(allowed(delivered, 'important')).toBe(false);
    const [fresh] = diffNotices(snapshotOf([], []), [view('x', 'new')], []);
    expect(allowed(fresh, 'important')).toBe(true);
    expect(allowed(fresh, 'none')).toBe(false);
  });

  it('warns once about deadlines an hour away, for active hirings only', () => {
    const views = [
      view('soon', 'claimed', { deadline_at: '2026-11-24T12:40:00Z' }),
      view('later', 'new', { deadline_at: '2026-11-24T14:00:00Z' }),
      view('done', 'done', { deadline_at: '2026-11-24T12:10:00Z' }),
      view('past', 'new', { deadline_at: '2026-11-24T11:00:00Z' }),
    ];
    const notices = deadlineNotices(views, NOW, new Set());
    expect(notices.map((n) => n.hiringId)).toEqual(['soon']);
    expect(notices[0].message).toBe('Hiring "Task soon" is due in 40m.');
    expect(deadlineNotices(views, NOW, new Set(['soon']))).toEqual([]);
  });
});
