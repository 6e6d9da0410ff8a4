// How the core shows its records to callers: tokens removed, a worker limited to
// its own agent, counts for RelayStatus.
import { withoutSecrets } from '../../shared/hiring';
import { RelayError, describeCaller, type Caller, type HiringRecord, type HiringView, type LocalPhase } from '../types';
import { LOCAL_PHASES } from '../../shared/constants';

/**
 * A hiring as anything outside the relay sees it (MCP clients, the extension, the bridge): the
 * repository token removed everywhere. The one place that owns "a token never leaves the relay";
 * every RelayCore read returns views made here, so no layer after it redacts again.
 */
export function toView(rec: HiringRecord): HiringView {
  return { ...rec, hiring: withoutSecrets(rec.hiring) };
}

/**
 * A worker sees only its own agent's hirings, submissions and events; the operator sees all. A run
 * token (a runner's child process) sees only the hiring of its run.
 */
export function canSee(caller: Caller, agent: string, hiringId?: string): boolean {
  if (caller.role === 'operator') return true;
  return (
    caller.agent === agent && (caller.hiring === undefined || hiringId === undefined || caller.hiring === hiringId)
  );
}

/**
 * The one check that only the operator (the VS Code extension, holding the operator token)
 * decides reviews; every path to approve or reject (MCP tools, the bridge) goes through the core.
 */
export function requireOperator(caller: Caller, action: string): void {
  if (caller.role !== 'operator') {
    throw new RelayError(
      `Only the operator can ${action}; this call comes from ${describeCaller(caller)}. ` +
        'Ask the person running the relay to review it in VS Code.',
      'forbidden',
    );
  }
}

export function countPhases(records: Iterable<HiringRecord>): Record<LocalPhase, number> {
  const counts = Object.fromEntries(LOCAL_PHASES.map((p) => [p, 0])) as Record<LocalPhase, number>;
  for (const r of records) counts[r.phase] = (counts[r.phase] ?? 0) + 1;
  return counts;
}

export function isFinished(phase: LocalPhase): boolean {
  return phase === 'done' || phase === 'failed';
}
