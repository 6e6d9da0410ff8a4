// Results out: one delivery over MCP when the session is up, over REST (with the
// idempotency key) when it is down or the call failed on the way. What the
// answer means is decided in outcome.ts; "not found" is settled here by reading
// the hiring, because REST 404 means "unknown OR already completed" (§3).
import type { Logger } from '../../shared/log';
import type { PlatformToolName } from '../../shared/protocol';
import { redact } from '../../shared/redact';
import type { DeliveryOutcome } from '../types';
import { HttpError, RpcError } from './errors';
import { CHECK_HIRING, outcomeFromHiringCheck, outcomeFromRest, outcomeFromToolResult, restFormOf, type Interpretation } from './outcome';
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
): Promise<DeliveryOutcome> {
  const hiringId = typeof args.hiring_id === 'string' ? args.hiring_id : '';
  if (!hiringId) return { kind: 'rejected', message: `${tool}: hiring_id is required` };
  const s = route.session();
  if (s?.alive) {
    try {
      return await settle(route, tool, hiringId, outcomeFromToolResult(tool, await s.callTool(tool, args, idempotencyKey)));
    } catch (e) {
      if (e instanceof RpcError) {
        const message = `${tool} for hiring ${hiringId}: ${e.message}`;
        return PERMANENT_RPC_CODES.has(e.code) ? { kind: 'rejected', message } : { kind: 'retry', message };
      }
      // The call may or may not have landed; REST with the key is safe for results and
      // failures (a second one answers "already done"). A message may arrive twice.
      route.log.warn('delivery over MCP failed; trying REST', { tool, hiring: hiringId, error: (e as Error).message });
    }
  }
  const form = restFormOf(tool, args);
  if (!form) return { kind: 'retry', message: `${tool} needs the MCP session, which is down for agent ${route.agent}.` };
  const what = `POST /api/v1/hirings/${hiringId}/${form.kind}`;
  try {
    return await settle(route, tool, hiringId, outcomeFromRest(await route.rest.deliver(hiringId, form.kind, form.body, idempotencyKey), what));
  } catch (e) {
    return { kind: 'retry', message: redact(`${what} failed: ${(e as Error).message}`) };
  }
}

/** Resolves "unknown or already done" by reading the hiring over REST. */
async function settle(route: DeliveryRoute, tool: PlatformToolName, hiringId: string, i: Interpretation): Promise<DeliveryOutcome> {
  if (i !== CHECK_HIRING) return i;
  try {
    const h = await route.rest.getHiring(hiringId);
    return outcomeFromHiringCheck(tool, hiringId, h.status);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404) return outcomeFromHiringCheck(tool, hiringId, 'missing');
    return { kind: 'retry', message: redact(`could not check hiring ${hiringId} after a "not found": ${(e as Error).message}`) };
  }
}
