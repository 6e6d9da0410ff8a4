// The platform's side of "never lose, never double": what the sandbox recorded
// for each hiring. Lost = not finished the way the worker decided. Doubled = the
// platform accepted more than one final delivery, or saw final deliveries under
// more than one idempotency key (a second, different submission — even when the
// platform refused it as "already completed", the relay sent it twice).
import type { DeliveryAttempt, Sandbox, SandboxHiring } from '../../src/sandbox/index';
import { TOOL, isTerminalStatus } from '../../src/shared/protocol';
import { chatterOf } from './worker';

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
export function readLedger(
  sb: Sandbox,
  ids: readonly string[],
  expected: (id: string) => string = () => 'completed',
): Ledger {
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
    .map(
      (v) => `${v.id}: status ${v.status}, ${v.accepted} accepted, keys [${v.keys.join(', ')}], ${v.attempts} attempts`,
    )
    .join('\n');
}

/** Per hiring, how many times the worker's message and chunk reached the platform, against what the relay acknowledged. */
export function countChatter(sb: Sandbox, ids: string[], acked: { messages: Set<string>; chunks: Set<string> }) {
  const tally = (kind: 'messages' | 'chunks') => {
    const doubled: string[] = [];
    const missing: string[] = [];
    let present = 0;
    let presentAcknowledged = 0;
    for (const id of ids) {
      const h = sb.hiring(id);
      const text = kind === 'messages' ? chatterOf(id).message : chatterOf(id).chunk;
      const n = (kind === 'messages' ? (h?.messages ?? []) : (h?.chunks ?? [])).filter(
        (m) => m.content === text,
      ).length;
      if (n > 0) present += 1;
      if (n > 0 && acked[kind].has(id)) presentAcknowledged += 1;
      if (n > 1) doubled.push(`${id} ×${n}`);
      if (n === 0 && acked[kind].has(id)) missing.push(id);
    }
    return { acknowledged: acked[kind].size, present, presentAcknowledged, doubled, missing };
  };
  return { messages: tally('messages'), chunks: tally('chunks') };
}

export function describeChatter(talk: ReturnType<typeof countChatter>): string {
  const { messages: m, chunks: c } = talk;
  return (
    `messages ${m.acknowledged} acknowledged, ${m.present} on the platform, ${m.doubled.length} doubled, ` +
    `${m.missing.length} acknowledged but missing; chunks ${c.acknowledged} acknowledged, ${c.present} on the platform, ` +
    `${c.doubled.length} doubled, ${c.acknowledged - c.presentAcknowledged} dropped`
  );
}
