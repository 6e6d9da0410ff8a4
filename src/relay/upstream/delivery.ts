// Results out: one delivery over MCP when the session is up, over REST (with the
// idempotency key) when it is down or the call failed on the way. What the
// answer means is decided in outcome.ts; "not found" is settled here by reading
// the hiring, because REST 404 means "unknown OR already completed" (§3).
//
// Exactly once as the platform sees it: results and failure reports settle themselves (a second one answers
// "already done"). A message has no such answer, so an attempt that may have landed (sent, no answer) is
// checked against the hiring's conversation before it is sent again. A chunk cannot be read back at all: the
// outbox drops it rather than repeat it. docs/exactly-once.md has the whole table.
import type { Logger } from '../../shared/log';
import { TOOL, type PlatformToolName } from '../../shared/protocol';
import { redact } from '../../shared/redact';
import type { DeliveryAttempt, DeliveryOutcome } from '../types';
import { HttpError, RpcError, SessionLostError } from './errors';
import {
  CHECK_HIRING,
  outcomeFromHiringCheck,
  outcomeFromRest,
  outcomeFromToolResult,
  restFormOf,
  type Interpretation,
} from './outcome';
import type { AgrentingRest } from './rest';
import type { McpSession } from './session';

/** JSON-RPC codes that mean "your request is wrong", not "try later". */
const PERMANENT_RPC_CODES = new Set([-32600, -32601, -32602]);

export interface DeliveryRoute {
  agent: string;
  log: Logger;
  rest: AgrentingRest;
  /** The live session, if any. */
  session: () => McpSession | undefined;
}

export async function deliverOnce(
  route: DeliveryRoute,
  tool: PlatformToolName,
  args: Record<string, unknown>,
  idempotencyKey: string,
  attempt: DeliveryAttempt = { earlierMayHaveLanded: false, since: new Date(0).toISOString() },
): Promise<DeliveryOutcome> {
  const hiringId = typeof args.hiring_id === 'string' ? args.hiring_id : '';
  if (!hiringId) return { kind: 'rejected', message: `${tool}: hiring_id is required` };
  if (tool === TOOL.addMessage && attempt.earlierMayHaveLanded) {
    const landed = await messageLanded(route, hiringId, args, attempt.since);
    if (landed !== false) return landed;
  }
  const s = route.session();
  if (s?.alive) {
    try {
      return await settle(
        route,
        tool,
        hiringId,
        outcomeFromToolResult(tool, await s.callTool(tool, args, idempotencyKey)),
      );
    } catch (e) {
      if (e instanceof RpcError) {
        const message = `${tool} for hiring ${hiringId}: ${e.message}`;
        return PERMANENT_RPC_CODES.has(e.code) ? { kind: 'rejected', message } : { kind: 'retry', message };
      }
      const message = `${tool} for hiring ${hiringId} over MCP: ${(e as Error).message}`;
      const uncertain = !(e instanceof SessionLostError && e.unreachable);
      // A chunk has no other road and no way to be checked: the outbox decides (it drops an uncertain one).
      if (tool === TOOL.emitChunk) return { kind: 'retry', message, uncertain };
      if (tool === TOOL.addMessage && uncertain) {
        const landed = await messageLanded(route, hiringId, args, attempt.since);
        if (landed !== false) return landed;
      }
      // Results and failures need no check: REST with the same key, and a second one answers "already done".
      route.log.warn('delivery over MCP failed; trying REST', { tool, hiring: hiringId, error: (e as Error).message });
    }
  }
  const form = restFormOf(tool, args);
  if (!form) {
    return { kind: 'retry', message: `${tool} needs the MCP session, which is down for agent ${route.agent}.` };
  }
  const what = `POST /api/v1/hirings/${hiringId}/${form.kind}`;
  try {
    return await settle(
      route,
      tool,
      hiringId,
      outcomeFromRest(await route.rest.deliver(hiringId, form.kind, form.body, idempotencyKey), what),
    );
  } catch (e) {
    // No HTTP answer: the request may have been applied (the key covers REST; the check covers a switch to MCP).
    return { kind: 'retry', message: redact(`${what} failed: ${(e as Error).message}`), uncertain: true };
  }
}

/** Resolves "unknown or already done" by reading the hiring over REST. */
async function settle(
  route: DeliveryRoute,
  tool: PlatformToolName,
  hiringId: string,
  i: Interpretation,
): Promise<DeliveryOutcome> {
  if (i !== CHECK_HIRING) return i;
  try {
    const h = await route.rest.getHiring(hiringId);
    return outcomeFromHiringCheck(tool, hiringId, h.status);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return outcomeFromHiringCheck(tool, hiringId, 'missing');
    return {
      kind: 'retry',
      message: redact(`could not check hiring ${hiringId} after a "not found": ${(e as Error).message}`),
    };
  }
}

/**
 * Whether the agent's message is already in the hiring's conversation (a timed-out attempt that landed):
 * `confirmed` if so, false if not, a retry when the hiring cannot be read. Matched on content and kind among
 * the agent's messages since the delivery was queued; an identical message sent on purpose in that window is
 * taken for this one (the one case where a message could be lost, which the README states).
 */
async function messageLanded(
  route: DeliveryRoute,
  hiringId: string,
  args: Record<string, unknown>,
  since: string,
): Promise<DeliveryOutcome | false> {
  try {
    const h = await route.rest.getHiring(hiringId);
    const kind = typeof args.kind === 'string' ? args.kind : 'message';
    const from = Date.parse(since) - CLOCK_SKEW_MS;
    const seen = h.messages.some(
      (m) =>
        m.sender_type === 'agent' &&
        m.content === args.content &&
        (m.kind ?? 'message') === kind &&
        !(Date.parse(m.created_at ?? '') < from),
    );
    if (seen) {
      route.log.info('an earlier attempt of the message had arrived; not sending it again', { hiring: hiringId });
    }
    return seen ? { kind: 'confirmed' } : false;
  } catch (e) {
    const message = redact(`could not check whether message for hiring ${hiringId} arrived: ${(e as Error).message}`);
    return { kind: 'retry', message, uncertain: true };
  }
}

/** How far the platform's clock may run behind ours when comparing created_at with the queue time. */
const CLOCK_SKEW_MS = 60_000;
