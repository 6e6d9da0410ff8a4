// How the core shows its records to callers: tokens removed, a worker limited to
// its own agent, counts for RelayStatus.
import { withoutSecrets, type Hiring } from '../../shared/hiring';
import { RelayError, type Caller, type HiringRecord, type HiringView, type LocalPhase } from '../types';

export const PHASES: readonly LocalPhase[] = ['new', 'claimed', 'awaiting_review', 'delivering', 'done', 'failed'];

export function toView(rec: HiringRecord): HiringView {
  return { ...rec, hiring: withoutSecrets(rec.hiring) };
}

export function canSee(caller: Caller, agent: string, hiringId?: string): boolean {
  if (caller.role === 'operator') return true;
  // A run token (a runner's child process) sees only the hiring of its run.
  return caller.agent === agent && (caller.hiring === undefined || hiringId === undefined || caller.hiring === hiringId);
}

export function requireOperator(caller: Caller, action: string): void {
  if (caller.role !== 'operator') {
    throw new RelayError(`Only the operator (the VS Code extension, with the operator token) can ${action}.`, 'forbidden');
  }
}

export function countPhases(records: Iterable<HiringRecord>): Record<LocalPhase, number> {
  const counts = Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<LocalPhase, number>;
  for (const r of records) counts[r.phase] = (counts[r.phase] ?? 0) + 1;
  return counts;
}

export function isFinished(phase: LocalPhase): boolean {
  return phase === 'done' || phase === 'failed';
}

/** Hiring ids come through the lenient schema; they are always strings once parsed. */
export function hid(rec: { hiring: Hiring }): string {
  return String(rec.hiring.id);
}
