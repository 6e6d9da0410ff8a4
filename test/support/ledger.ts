// The platform's side of "never lose, never double": what the sandbox recorded
// for each hiring. Lost = not finished the way the worker decided. Doubled = the
// platform accepted more than one final delivery, or saw final deliveries under
// more than one idempotency key (a second, different submission — even when the
// platform refused it as "already completed", the relay sent it twice).
import type { DeliveryAttempt, Sandbox, SandboxHiring } from '../../src/sandbox/index';
import { TOOL, isTerminalStatus } from '../../src/shared/protocol';

const FINAL: readonly string[] = [TOOL.submitResult, TOOL.reportFailure];

export interface HiringVerdict {
  id: string;
  status: string;
  accepted: number;
  keys: string[];
  attempts: number;
}

export interface Ledger {
  verdicts: HiringVerdict[];
  /** Hirings not in the status expected for them. */
  lost: HiringVerdict[];
  /** Hirings with more than one accepted final delivery or more than one delivery key. */
  doubled: HiringVerdict[];
  /** Final delivery attempts in all (retries and replays included). */
  attempts: number;
  /** Attempts answered "replayed" (idempotent REST repeat) or refused as already done. */
  repeats: number;
}

function finalAttempts(h: SandboxHiring): DeliveryAttempt[] {
  return h.deliveries.filter((d) => FINAL.includes(d.tool));
}

export function verdictOf(h: SandboxHiring): HiringVerdict {
  const finals = finalAttempts(h);
  return {
    id: h.id,
    status: h.status,
    accepted: finals.filter((d) => d.outcome === 'accepted').length,
    keys: [...new Set(finals.map((d) => d.idempotencyKey ?? '(no key)'))],
    attempts: finals.length,
  };
}

/** Checks every hiring in `ids`; `expected(id)` is the status the worker's decision leads to. */
export function readLedger(sb: Sandbox, ids: readonly string[], expected: (id: string) => string = () => 'completed'): Ledger {
  const verdicts = ids.map((id) => {
    const h = sb.hiring(id);
    return h ? verdictOf(h) : { id, status: 'missing', accepted: 0, keys: [], attempts: 0 };
  });
  return {
    verdicts,
    lost: verdicts.filter((v) => v.status !== expected(v.id) || v.accepted !== 1),
    doubled: verdicts.filter((v) => v.accepted > 1 || v.keys.length > 1),
    attempts: verdicts.reduce((n, v) => n + v.attempts, 0),
    repeats: verdicts.reduce((n, v) => n + v.attempts - v.accepted, 0),
  };
}

/** True once every hiring in `ids` is terminal on the sandbox. */
export function allFinished(sb: Sandbox, ids: readonly string[]): boolean {
  return ids.every((id) => isTerminalStatus(sb.hiring(id)?.status));
}

/** A short, readable line per bad hiring for an assertion message. */
export function describeVerdicts(verdicts: HiringVerdict[], max = 10): string {
  return verdicts
    .slice(0, max)
    .map((v) => `${v.id}: status ${v.status}, ${v.accepted} accepted, keys [${v.keys.join(', ')}], ${v.attempts} attempts`)
    .join('\n');
}
