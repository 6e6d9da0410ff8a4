// What a platform answer means for the outbox (DeliveryOutcome). Pure functions:
// the link gathers the answers, these decide. The one trap: REST 404 means
// "unknown OR already completed" (§3), and a tool error may say "not found" for
// the same reason — both are settled by looking the hiring up (outcomeFromHiringCheck).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOL, isTerminalStatus, type PlatformToolName } from '../../shared/protocol';
import { redact } from '../../shared/redact';
import type { DeliveryOutcome } from '../types';
import { describeBody } from './errors';
import type { RestAnswer, RestDelivery } from './rest';

/** The answer does not say whether the hiring is unknown or already done: look it up. */
export const CHECK_HIRING = 'check-hiring' as const;
export type Interpretation = DeliveryOutcome | typeof CHECK_HIRING;

/** The REST form of a tool call, or undefined when there is none (task_emit_chunk). */
export function restFormOf(
  tool: PlatformToolName,
  args: Record<string, unknown>,
): { kind: RestDelivery; body: Record<string, unknown> } | undefined {
  const pick = (...keys: string[]) =>
    Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
  switch (tool) {
    case TOOL.submitResult:
      return { kind: 'result', body: pick('output', 'artifacts') };
    case TOOL.reportFailure:
      return { kind: 'failure', body: pick('reason', 'error') };
    case TOOL.addMessage:
      return { kind: 'messages', body: pick('content', 'kind') };
    default:
      return undefined;
  }
}

const ALREADY_DONE =
  /\balready\b.*\b(completed|failed|terminal|done|submitted|finished|cancelled|refunded)\b|\b(is|was) (completed|failed|cancelled|refunded)\b|\bterminal\b/i;
const NOT_FOUND = /\bnot found\b|\bunknown hiring\b|\bno such hiring\b|\bdoes not exist\b/i;
const TRANSIENT = /\b(internal error|temporar\w*|try again|unavailable|rate limit\w*|timed? ?out)\b/i;

export function toolResultText(r: CallToolResult): string {
  return r.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
}

/** "Already done" settles a result or a failure; a message or chunk to a finished hiring simply has nowhere to go. */
function alreadyDone(tool: PlatformToolName, message: string): DeliveryOutcome {
  return tool === TOOL.submitResult || tool === TOOL.reportFailure
    ? { kind: 'already-done', message }
    : { kind: 'rejected', message };
}

/** A `tools/call` result: success, or an isError text explaining why not. */
export function outcomeFromToolResult(tool: PlatformToolName, r: CallToolResult): Interpretation {
  const text = toolResultText(r);
  if (!r.isError) {
    let result: unknown = r.structuredContent ?? text;
    if (r.structuredContent === undefined) {
      try {
        result = JSON.parse(text);
      } catch {
        // plain text result
      }
    }
    return { kind: 'confirmed', result };
  }
  const message = redact(text || 'the platform refused the call without a reason');
  if (ALREADY_DONE.test(text)) return alreadyDone(tool, message);
  if (NOT_FOUND.test(text)) return CHECK_HIRING;
  if (TRANSIENT.test(text)) return { kind: 'retry', message };
  return { kind: 'rejected', message };
}

function envelopeCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { errors?: { code?: unknown }[] }).errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A REST delivery answer. */
export function outcomeFromRest(a: RestAnswer, what: string): Interpretation {
  const why = `${what} answered ${a.status}${describeBody(a.body)}`;
  if (a.status >= 200 && a.status < 300) {
    let result: unknown;
    try {
      result = (JSON.parse(a.body) as { data?: unknown }).data;
    } catch {
      result = undefined;
    }
    return { kind: 'confirmed', result };
  }
  if (a.status === 404) return CHECK_HIRING;
  const code = envelopeCode(a.body);
  if (a.status === 409 || code === 'IDEMPOTENCY_PENDING') {
    return {
      kind: 'retry',
      message: redact(`${why} (an earlier attempt with the same key is still running)`),
      retryAfterMs: a.retryAfterMs,
    };
  }
  if (a.status === 429 || a.status === 408 || a.status >= 500) {
    return { kind: 'retry', message: redact(why), retryAfterMs: a.retryAfterMs };
  }
  if (a.status === 401) {
    // Not permanent: it works again once the key is fixed. The link reports the key problem in its status.
    return { kind: 'retry', message: redact(`${why} (the agent key was rejected)`), retryAfterMs: a.retryAfterMs };
  }
  return { kind: 'rejected', message: redact(why) };
}

/** Settles "unknown or already done" from the hiring itself (`missing` = the platform does not know it). */
export function outcomeFromHiringCheck(
  tool: PlatformToolName,
  hiringId: string,
  status: string | 'missing',
): DeliveryOutcome {
  if (status === 'missing') {
    return { kind: 'rejected', message: `Agrenting does not know hiring ${hiringId}, or it belongs to another agent.` };
  }
  if (isTerminalStatus(status)) {
    return tool === TOOL.submitResult || tool === TOOL.reportFailure
      ? alreadyDone(tool, `Hiring ${hiringId} is already ${status} on Agrenting.`)
      : alreadyDone(
          tool,
          `Hiring ${hiringId} is ${status}; Agrenting takes no more ${tool === TOOL.addMessage ? 'messages' : 'progress'} for it.`,
        );
  }
  // The hiring exists and is active, yet the platform said "not found": a hiccup, try again.
  return {
    kind: 'retry',
    message: `Agrenting answered "not found" for hiring ${hiringId}, which is still ${status}; retrying.`,
  };
}
