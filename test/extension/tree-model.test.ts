import { describe, expect, it } from 'vitest';
import { buildTree, newHiringsBadge } from '../../src/extension/view-models/tree-model';
import {
  hiringContextValue,
  hiringDescription,
  hiringTooltip,
  hiringLabel,
} from '../../src/extension/view-models/hiring-item';
import { groupOf } from '../../src/extension/view-models/phase';
import { NOW, submission, view } from './fixtures';

describe('grouping by local phase', () => {
  it('maps the six phases onto five groups', () => {
    expect(groupOf('new')).toBe('new');
    expect(groupOf('claimed')).toBe('inProgress');
    expect(groupOf('delivering')).toBe('inProgress');
    expect(groupOf('awaiting_review')).toBe('awaitingReview');
    expect(groupOf('done')).toBe('done');
    expect(groupOf('failed')).toBe('failed');
  });

  it('shows only non-empty groups, in order, with counts, hiring ids as item ids', () => {
    const tree = buildTree(
      [view('h2', 'claimed'), view('h1', 'new'), view('h3', 'delivering'), view('h4', 'done')],
      [],
      NOW,
    );
    expect(tree.kind).toBe('groups');
    if (tree.kind !== 'groups') return;
    expect(tree.groups.map((g) => [g.label, g.description])).toEqual([
      ['New', '1'],
      ['In progress', '2'],
      ['Done', '1'],
    ]);
    expect(tree.groups[1].hirings.map((h) => h.id)).toEqual(['h2', 'h3']);
    expect(tree.groups[1].hirings.map((h) => h.itemId)).toEqual(['h2', 'h3']);
    expect(tree.groups[0].id).toBe('group:new');
  });

  it('adds an agent level when hirings come from several agents', () => {
    const tree = buildTree(
      [view('a1', 'new', {}, { agent: 'alice' }), view('b1', 'done', {}, { agent: 'bob' })],
      [],
      NOW,
    );
    expect(tree.kind).toBe('agents');
    if (tree.kind !== 'agents') return;
    expect(tree.agents.map((a) => [a.id, a.description])).toEqual([
      ['agent:alice', '1 new'],
      ['agent:bob', '1 hiring'],
    ]);
    expect(tree.agents[1].groups[0].id).toBe('group:bob:done');
  });

  it('orders active hirings by nearest deadline, finished ones newest first', () => {
    const tree = buildTree(
      [
        view('late', 'new', { deadline_at: '2026-11-25T12:00:00Z' }),
        view('soon', 'new', { deadline_at: '2026-11-24T12:30:00Z' }),
        view('none', 'new', { deadline_at: null }),
        view('old', 'done', {}, { updatedAt: '2026-11-20T00:00:00Z' }),
        view('recent', 'done', {}, { updatedAt: '2026-11-24T00:00:00Z' }),
      ],
      [],
      NOW,
    );
    if (tree.kind !== 'groups') throw new Error('expected groups');
    expect(tree.groups[0].hirings.map((h) => h.id)).toEqual(['soon', 'late', 'none']);
    expect(tree.groups[1].hirings.map((h) => h.id)).toEqual(['recent', 'old']);
  });

  it('puts submissions waiting for review under their hiring', () => {
    const v = view('h1', 'awaiting_review', { delivery_mode: 'push' });
    const tree = buildTree([v], [submission('s1', 'h1'), submission('s0', 'h1', { state: 'rejected' })], NOW);
    if (tree.kind !== 'groups') throw new Error('expected groups');
    const item = tree.groups[0].hirings[0];
    expect(item.contextValue).toBe('hiring:push:awaitingReview');
    // A row with children has its own item id, so VS Code does not reuse the collapsed state of the leaf it was.
    expect(item.id).toBe('h1');
    expect(item.itemId).toBe('h1:review');
    expect(item.reviews).toEqual([
      expect.objectContaining({
        id: 'review:s1',
        submissionId: 's1',
        label: 'Result by claude',
        contextValue: 'review:push',
      }),
    ]);
  });

  it('gives a hiring its plain id again once nothing of it waits for review', () => {
    const v = view('h1', 'awaiting_review');
    const only = (t: ReturnType<typeof buildTree>) => (t.kind === 'groups' ? t.groups[0].hirings[0] : undefined);
    expect(only(buildTree([v], [submission('s1', 'h1')], NOW))?.itemId).toBe('h1:review');
    expect(only(buildTree([v], [submission('s1', 'h1', { state: 'rejected' })], NOW))?.itemId).toBe('h1');
  });

  it('counts new hirings for the badge', () => {
    expect(newHiringsBadge([view('a', 'new'), view('b', 'new'), view('c', 'claimed')])).toEqual({
      value: 2,
      tooltip: '2 new hirings',
    });
    expect(newHiringsBadge([view('a', 'new')]).tooltip).toBe('1 new hiring');
  });
});

describe('hiring item', () => {
  it('labels with the first line of the task and describes price, mode and deadline', () => {
    const v = view('h1', 'new', {
      task_description: '\n  Fix the login bug  \nDetails',
      price: '25',
      delivery_mode: 'push',
    });
    expect(hiringLabel(v)).toBe('Fix the login bug');
    expect(hiringDescription(v, NOW)).toBe('$25.00 · push · due in 3h');
    expect(hiringContextValue(v)).toBe('hiring:push:new');
  });

  it('says overdue, and drops the countdown once a hiring is finished', () => {
    expect(hiringDescription(view('h', 'claimed', { deadline_at: '2026-11-24T11:55:00Z' }), NOW)).toBe(
      '$25.00 · output · overdue 5m',
    );
    expect(hiringDescription(view('h', 'done', { deadline_at: '2026-11-24T11:55:00Z' }), NOW)).toBe('$25.00 · output');
  });

  it('uses the compound context values the menus match', () => {
    expect(hiringContextValue(view('a', 'claimed'))).toBe('hiring:output:inProgress');
    expect(hiringContextValue(view('a', 'awaiting_review'))).toBe('hiring:output:awaitingReview');
    expect(hiringContextValue(view('a', 'failed', { delivery_mode: 'push' }))).toBe('hiring:push:failed');
  });

  it('shows the whole task, client message and capability in the tooltip, client text escaped', () => {
    const v = view('h1', 'new', {
      task_description: 'Line one\nLine **two** [x](http://evil)',
      client_message: 'Please use <b>TypeScript</b>',
      capability_requested: 'coding',
    });
    const md = hiringTooltip(v, NOW);
    expect(md).toContain('> Line one\n> Line \\*\\*two\\*\\* \\[x\\]\\(http://evil\\)');
    expect(md).toContain('**Client message**');
    expect(md).toContain('\\<b\\>TypeScript\\</b\\>');
    expect(md).toContain('**Capability:** coding');
    expect(md).toContain('**Price:** $25\\.00');
  });

  it('never carries a repository token, even when the relay sent one by mistake', () => {
    const v = view('h1', 'new', {
      delivery_mode: 'push',
      repo_url: 'https://git.example/r.git',
      repo_access_token: 'ghs_secretsecretsecret1234',
      task_input: { repo_access_token: 'tok-in-input' },
    });
    expect(v.hiring.repo_access_token).toBeNull();
    expect(JSON.stringify(v)).not.toContain('secretsecret');
    expect(JSON.stringify(v)).not.toContain('tok-in-input');
  });
});
