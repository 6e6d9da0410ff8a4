// Runners in the extension's view models: the tree row, the detail view, the status bar,
// the runner picks, and the settings turned into the relay's runner entry.
import { describe, expect, it } from 'vitest';
import { detailModel, runLogTail } from '../../src/extension/view-models/detail-model';
import {
  hiringContextValue,
  hiringDescription,
  hiringIcon,
  hiringTooltip,
} from '../../src/extension/view-models/hiring-item';
import { parseRelayStatus } from '../../src/extension/view-models/parse';
import {
  activeRunCount,
  runDescription,
  runnerFromSettings,
  runnerPicks,
  type RunnerSettings,
} from '../../src/extension/view-models/runner';
import { statusBarModel, statusDetails } from '../../src/extension/view-models/status-bar';
import { NOW, status, submission, view } from './fixtures';

const RUN = { runner: 'claude', state: 'running', attempt: 2, maxAttempts: 3, startedAt: '2026-11-24T11:50:00.000Z' };
const running = view('h1', 'claimed', {}, { claimedBy: 'runner:claude', run: RUN });

describe('a hiring a runner works', () => {
  it('keeps the run the relay sends, and drops a malformed one without losing the hiring', () => {
    expect(running.run).toEqual(RUN);
    const odd = view('h2', 'new', {}, { run: { state: 'dancing' } });
    expect(odd.run).toBeUndefined();
    expect(odd.hiring.id).toBe('h2');
  });

  it('shows the runner, the attempt and the state on its row, with a spinning icon and the running context', () => {
    expect(hiringDescription(running, NOW)).toMatch(/^claude · attempt 2\/3 · running · \$25\.00/);
    expect(hiringContextValue(running)).toBe('hiring:output:inProgress:running');
    expect(hiringIcon(running).icon).toBe('loading~spin');
    expect(hiringTooltip(running, NOW)).toContain('**Agent run:** Runner claude, attempt 2 of 3: running');
    const after = view('h3', 'awaiting_review', {}, { run: { ...RUN, state: 'succeeded', exitCode: 0 } });
    expect(hiringContextValue(after)).toBe('hiring:output:awaitingReview');
    expect(hiringDescription(after, NOW)).toContain('claude · attempt 2/3 · finished, in review');
  });

  it('offers Stop Run while it runs, and the log the panel follows, trimmed to the newest output', () => {
    const m = detailModel(running, [], NOW, { runLog: 'line 1\nline 2\n', canRun: true });
    expect(m.actions).toEqual([{ command: 'agrenting.stopRun', label: 'Stop Run' }]);
    expect(m.run).toEqual({
      sentence: 'Runner claude, attempt 2 of 3: running.',
      active: true,
      log: 'line 1\nline 2\n',
    });
    const long = Array.from({ length: 20_000 }, (_, i) => `output line ${i}`).join('\n');
    const tail = runLogTail(long);
    expect(tail.length).toBeLessThan(70 * 1024);
    expect(tail.endsWith('output line 19999')).toBe(true);
    expect(tail.startsWith('… (earlier output')).toBe(true);
  });

  it('offers Run with Agent… on a new hiring only when the relay has a runner; review as usual after it ran', () => {
    const fresh = view('h4', 'new');
    expect(detailModel(fresh, [], NOW, { canRun: true }).actions.map((a) => a.command)).toContain(
      'agrenting.runWithAgent',
    );
    expect(detailModel(fresh, [], NOW).actions.map((a) => a.command)).not.toContain('agrenting.runWithAgent');
    const done = view('h5', 'awaiting_review', {}, { run: { ...RUN, state: 'succeeded' } });
    expect(detailModel(done, [submission('s1', 'h5')], NOW).actions.map((a) => a.label)).toEqual([
      'Review',
      'Approve',
      'Reject…',
    ]);
  });
});

describe('runs in the status bar and the runner picks', () => {
  const st = parseRelayStatus({
    ...status(),
    runs: [
      { hiring_id: 'h1', runner: 'claude', state: 'running', attempt: 1, startedAt: '2026-11-24T11:00:00.000Z' },
      { hiring_id: 'h2', runner: 'claude', state: 'succeeded', attempt: 1, startedAt: '2026-11-24T10:00:00.000Z' },
      { hiring_id: 'h3', runner: 'aider', state: 'starting', attempt: 1, startedAt: '2026-11-24T11:59:00.000Z' },
    ],
    runners: [
      { name: 'claude', autoDispatch: false, maxConcurrent: 1, active: 1 },
      { name: 'aider', autoDispatch: true, maxConcurrent: 2, active: 1 },
    ],
  });

  it('counts the runs in progress', () => {
    expect(activeRunCount(st, [])).toBe(2);
    expect(activeRunCount(undefined, [running, view('h9', 'new')])).toBe(1);
    const m = statusBarModel({ connection: 'connected', status: st, newHirings: 1, reviewsWaiting: 0, runsActive: 2 });
    expect(m.text).toBe('$(plug) Agrenting: 1 new · 2 running');
    const rows = statusDetails({
      connection: 'connected',
      status: st,
      newHirings: 1,
      reviewsWaiting: 0,
      runsActive: 2,
    });
    expect(rows.filter((r) => r.label.includes(' on hiring ')).map((r) => r.label)).toEqual([
      '$(loading~spin) claude on hiring h1',
      '$(loading~spin) aider on hiring h3',
    ]);
  });

  it('lists the runners, busy ones marked', () => {
    expect(runnerPicks(st)).toEqual([
      { name: 'claude', label: 'claude', description: '1/1 running · busy' },
      { name: 'aider', label: 'aider', description: '1/2 running · takes hirings by itself' },
    ]);
    expect(runnerPicks(undefined)).toEqual([]);
    expect(runDescription({ ...RUN, state: 'stopped' })).toBe('claude · attempt 2/3 · stopped');
  });
});

describe('the agrenting.runner settings', () => {
  const base: RunnerSettings = {
    name: 'vscode',
    command: [],
    prompt: 'stdin',
    autoDispatch: false,
    env: [],
    maxAttempts: undefined,
    timeoutMinutes: undefined,
  };

  it('make no runner without a command', () => {
    expect(runnerFromSettings(base)).toEqual({ kind: 'none' });
    expect(runnerFromSettings({ ...base, command: [''] })).toEqual({ kind: 'none' });
  });

  it('make the relay runner entry, checked by the relay schema', () => {
    expect(
      runnerFromSettings({
        ...base,
        command: ['codex', 'exec', '{prompt}'],
        prompt: 'argument',
        autoDispatch: true,
        env: ['OPENAI_API_KEY'],
        timeoutMinutes: 10,
      }),
    ).toEqual({
      kind: 'ok',
      runner: {
        name: 'vscode',
        command: ['codex', 'exec', '{prompt}'],
        prompt: 'argument',
        autoDispatch: true,
        env: ['OPENAI_API_KEY'],
        timeoutMs: 600_000,
      },
    });
  });

  it('name what is wrong', () => {
    const bad = (s: Partial<RunnerSettings>) => runnerFromSettings({ ...base, command: ['claude'], ...s });
    expect(bad({ env: ['NOT A NAME'] })).toMatchObject({ kind: 'invalid', message: /environment variable name/ });
    expect(bad({ name: 'no spaces please' })).toMatchObject({ kind: 'invalid', message: /letters, digits/ });
    expect(bad({ prompt: 'file' })).toMatchObject({ kind: 'invalid', message: /\{promptFile\}/ });
  });
});
