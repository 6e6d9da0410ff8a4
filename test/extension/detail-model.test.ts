import { describe, expect, it } from 'vitest';
import { detailModel, safeRepoUrl } from '../../src/extension/view-models/detail-model';
import { NOW, submission, view } from './fixtures';

describe('hiring detail', () => {
  it('shows task, money, deadline and repository without credentials', () => {
    const v = view(
      'h1',
      'claimed',
      {
        delivery_mode: 'push',
        repo_url: 'https://x-access-token:ghs_abcdefabcdef1234567890@git.example/o/r.git',
        client_message: 'Thanks!',
      },
      { workspace: { dir: '/w/h1', branch: 'agrenting/h1', baseBranch: 'main', baseSha: 'abc' } },
    );
    const m = detailModel(v, [], NOW);
    expect(m).toMatchObject({
      id: 'h1',
      title: 'Task h1',
      price: '$25.00',
      mode: 'push',
      clientMessage: 'Thanks!',
      deadline: '2026-11-24 15:00 UTC (due in 3h)',
      repoUrl: 'https://git.example/o/r.git',
      branch: 'agrenting/h1',
      phase: 'In progress',
      canMessage: true,
    });
    expect(JSON.stringify(m)).not.toContain('ghs_');
    expect(m.actions.map((a) => a.command)).toEqual([
      'agrenting.submitResult',
      'agrenting.startWork',
      'agrenting.reportFailure',
    ]);
  });

  it('merges the platform conversation and review feedback in time order', () => {
    const v = view(
      'h1',
      'claimed',
      {
        messages: [
          {
            id: 1,
            kind: 'question',
            sender_type: 'agent',
            content: 'Which Node version?',
            created_at: '2026-11-24T10:10:00Z',
          },
          { id: 2, kind: 'answer', sender_type: 'client', content: 'Node 20', created_at: '2026-11-24T10:20:00Z' },
        ],
      },
      {
        relayMessages: [{ content: 'Add tests please', from: 'review', at: '2026-11-24T10:15:00Z' }],
        chunks: [{ content: 'running tests', kind: 'status', at: '2026-11-24T10:30:00Z' }],
      },
    );
    const m = detailModel(v, [], NOW);
    expect(m.conversation.map((c) => [c.from, c.content])).toEqual([
      ['agent', 'Which Node version?'],
      ['review', 'Add tests please'],
      ['client', 'Node 20'],
    ]);
    expect(m.conversation[1].who).toContain('the client does not');
    expect(m.chunks).toEqual([{ content: 'running tests', kind: 'status', when: '2026-11-24 10:30 UTC' }]);
  });

  it('offers review actions only while a submission waits, and none when done', () => {
    const v = view('h1', 'awaiting_review');
    expect(detailModel(v, [submission('s1', 'h1')], NOW).actions.map((a) => a.command)).toEqual([
      'agrenting.openReview',
      'agrenting.approveSubmission',
      'agrenting.rejectSubmission',
    ]);
    const done = detailModel(view('h1', 'done'), [], NOW);
    expect(done.actions).toEqual([]);
    expect(done.canMessage).toBe(false);
    expect(done.deadline).toBe('2026-11-24 15:00 UTC');
  });

  it('strips credentials from odd repository URLs too', () => {
    expect(safeRepoUrl('not a url://tok@host/x')).toBe('not a url://host/x');
    expect(safeRepoUrl(null)).toBeUndefined();
  });
});
