// Runners as the extension shows them: a hiring's run in a few words, the runners to pick
// from, how many runs are active, and the `agrenting.runner.*` settings turned into the
// runner entry the extension hands the relay (AGRENTING_RELAY_RUNNERS). Pure, no vscode.
import { RUNNERS_ENV, RunnerConfigSchema, type RunnerConfigInput } from '../../relay/runners/config';
import { describeZodError } from '../../shared/tools';
import { isRunActive, type RunState } from '../../shared/constants';
import type { HiringView, RelayStatus, RunInfo } from '../../relay/types';

export { RUNNERS_ENV, isRunActive };

const STATE_WORDS: Record<RunState, string> = {
  starting: 'starting',
  running: 'running',
  succeeded: 'finished, in review',
  failed: 'failed',
  stopped: 'stopped',
};

/** "claude · attempt 2/3 · running" */
export function runDescription(run: RunInfo): string {
  return `${run.runner} · attempt ${run.attempt}/${run.maxAttempts} · ${STATE_WORDS[run.state]}`;
}

/** A sentence for tooltips and the detail view: who works it, which attempt, how it ended. */
export function runSentence(run: RunInfo): string {
  const base = `Runner ${run.runner}, attempt ${run.attempt} of ${run.maxAttempts}: ${STATE_WORDS[run.state]}`;
  const exit = run.exitCode !== undefined && run.exitCode !== null ? ` (exit ${run.exitCode})` : '';
  return `${base}${exit}${run.reason ? ` — ${run.reason}` : ''}.`;
}

/** Active runs: from relay://status when the relay lists them, else from the hirings. */
export function activeRunCount(status: RelayStatus | undefined, hirings: HiringView[]): number {
  if (status?.runs) return status.runs.filter((r) => isRunActive(r.state)).length;
  return hirings.filter((h) => h.run && isRunActive(h.run.state)).length;
}

export interface RunnerPick {
  name: string;
  label: string;
  description: string;
}

/** The runners to offer in "Run with Agent…": busy ones say so (the relay refuses past maxConcurrent). */
export function runnerPicks(status: RelayStatus | undefined): RunnerPick[] {
  return (status?.runners ?? []).map((r) => ({
    name: r.name,
    label: r.name,
    description: [
      `${r.active}/${r.maxConcurrent} running`,
      r.active >= r.maxConcurrent ? 'busy' : undefined,
      r.autoDispatch ? 'takes hirings by itself' : undefined,
    ]
      .filter(Boolean)
      .join(' · '),
  }));
}

/** The `agrenting.runner.*` settings, as read (unvalidated). */
export interface RunnerSettings {
  name: string;
  command: unknown;
  prompt: unknown;
  autoDispatch: boolean;
  env: unknown;
  maxAttempts: unknown;
  timeoutMinutes: unknown;
}

export type RunnerFromSettings =
  { kind: 'none' } | { kind: 'ok'; runner: RunnerConfigInput } | { kind: 'invalid'; message: string };

/**
 * The runner entry for the relay, checked with the relay's own schema so a mistake is named here
 * (which setting, why) instead of as a relay that will not start. No command: no runner.
 */
export function runnerFromSettings(s: RunnerSettings): RunnerFromSettings {
  const command = Array.isArray(s.command) ? s.command.filter((a): a is string => typeof a === 'string') : [];
  if (command.length === 0 || command[0].trim() === '') return { kind: 'none' };
  const entry: Record<string, unknown> = {
    name: s.name,
    command,
    prompt: s.prompt ?? 'stdin',
    autoDispatch: s.autoDispatch,
    env: Array.isArray(s.env) ? s.env : [],
  };
  if (typeof s.maxAttempts === 'number') entry.maxAttempts = s.maxAttempts;
  if (typeof s.timeoutMinutes === 'number') entry.timeoutMs = Math.round(s.timeoutMinutes * 60_000);
  const r = RunnerConfigSchema.safeParse(entry);
  if (!r.success) return { kind: 'invalid', message: `agrenting.runner settings: ${describeZodError(r.error)}.` };
  return { kind: 'ok', runner: entry as RunnerConfigInput };
}
