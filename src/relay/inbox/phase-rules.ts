// Which platform view of a hiring wins, and which local phase moves are allowed:
// the rules that keep a finished hiring finished (architecture: "a hiring is never
// missed, never lost, never delivered twice"; protocol §5: terminal is never work).
import type { Hiring } from '../../shared/hiring';
import { isTerminalStatus } from '../../shared/protocol';
import type { LocalPhase } from '../types';

/** The local phase a platform status forces, if any. */
export function phaseForStatus(status: string): LocalPhase | undefined {
  if (status === 'completed') return 'done';
  if (isTerminalStatus(status)) return 'failed';
  return undefined;
}

/**
 * Whether `incoming` is an older platform view than the stored one. Reads of the
 * pending list, GET /hirings/pending and getHiring race each other under a slow
 * network: a view that left the platform before the hiring moved on can arrive
 * after it. An older `updated_at` is stale; and a terminal hiring is reopened only
 * by a view proven newer, since "terminal statuses are never work" (protocol §5).
 */
export function isStaleView(stored: Hiring, incoming: Hiring): boolean {
  const before = Date.parse(String(stored.updated_at ?? ''));
  const after = Date.parse(String(incoming.updated_at ?? ''));
  const known = Number.isFinite(before) && Number.isFinite(after);
  if (known && after < before) return true;
  if (isTerminalStatus(stored.status) && !isTerminalStatus(incoming.status)) return !(known && after > before);
  return false;
}

/** Whether going from `from` to `to` would take a finished hiring back into work. */
export function reopens(from: LocalPhase, to: LocalPhase): boolean {
  const finished = (p: LocalPhase) => p === 'done' || p === 'failed';
  return finished(from) && !finished(to);
}
