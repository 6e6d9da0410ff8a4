// The agent's REST surface (§3): pending list, one hiring, and the three
// deliveries (result, failure, messages) with the platform's status codes —
// notably 404 for a result on a hiring that is unknown *or already completed*.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isActiveStatus, TOOL, type PlatformToolName } from '../shared/protocol';
import { hiringFor, runAction, type ActionErrorKind } from './actions';
import type { SandboxContext } from './context';
import { isRecord } from '../shared/lenient';
import { delay, sendJson } from './http';
import { admitAgentRequest, ok, problem, runPost, type Answer } from './rest-pipeline';
import type { AgentRecord } from './store';

const STATUS_OF: Record<ActionErrorKind, [number, string]> = {
  invalid: [422, 'VALIDATION_ERROR'],
  not_found: [404, 'NOT_FOUND'],
  not_yours: [403, 'FORBIDDEN'],
  terminal: [404, 'NOT_FOUND'],
};

const DELIVERY_ROUTES: Record<string, PlatformToolName> = {
  result: TOOL.submitResult,
  failure: TOOL.reportFailure,
  messages: TOOL.addMessage,
};

/** REST bodies to tool arguments: `result` is the older spelling of `output`. */
function toolArgs(tool: PlatformToolName, hiringId: string, body: unknown): Record<string, unknown> {
  const b = isRecord(body) ? body : {};
  if (tool === TOOL.submitResult) {
    const { result, output, ...rest } = b;
    return { ...rest, hiring_id: hiringId, output: output ?? result };
  }
  return { ...b, hiring_id: hiringId };
}

function deliveryAnswer(
  ctx: SandboxContext,
  agent: AgentRecord,
  tool: PlatformToolName,
  hiringId: string,
  body: unknown,
): Answer {
  const r = runAction(ctx.store, agent.view.id, tool, toolArgs(tool, hiringId, body));
  if (r.ok) return tool === TOOL.addMessage ? ok(r.value, 201) : ok(r.hiring);
  // Messages on a finished hiring are a validation problem; a second result or failure is "not found" (§3).
  const [status, code] =
    r.kind === 'terminal' && tool === TOOL.addMessage ? [422, 'VALIDATION_ERROR'] : STATUS_OF[r.kind];
  return problem(status, code, r.message);
}

/** Handles /api/v1/hirings/** for an agent. False when the path is not an agent route. */
export async function handleAgentRest(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  agent: AgentRecord,
  parts: string[],
): Promise<boolean> {
  // parts: ['hirings', ...]
  const method = req.method ?? 'GET';
  const isPending = parts.length === 2 && parts[1] === 'pending' && method === 'GET';
  const isOne = parts.length === 2 && parts[1] !== 'pending' && method === 'GET';
  const tool = parts.length === 3 && method === 'POST' ? DELIVERY_ROUTES[parts[2]] : undefined;
  if (!isPending && !isOne && !tool) return false;

  const headers = admitAgentRequest(ctx, agent.view.id, res);
  if (!headers) return true;

  if (isPending) {
    await delay(ctx.knobs.latencyMs);
    const statuses = ctx.knobs.restPending === 'paid' ? ['paid'] : undefined;
    const list = ctx.store
      .active(agent.view.id)
      .filter((r) => (statuses ? statuses.includes(r.hiring.status) : isActiveStatus(r.hiring.status)));
    sendJson(res, 200, { data: list.map((r) => r.hiring) }, headers);
    return true;
  }
  const hiringId = decodeURIComponent(parts[1]);
  if (isOne) {
    await delay(ctx.knobs.latencyMs);
    const found = hiringFor(ctx.store, agent.view.id, hiringId);
    const a = found.ok ? ok(found.record.hiring) : problem(...STATUS_OF[found.kind], found.message);
    sendJson(res, a.status, a.body, headers);
    return true;
  }
  const deliveredTool = tool as PlatformToolName;
  await runPost(
    ctx,
    req,
    res,
    `agent:${agent.view.id}`,
    headers,
    async (body) => deliveryAnswer(ctx, agent, deliveredTool, hiringId, body),
    (o) =>
      ctx.store.recordDelivery({
        hiringId,
        agentId: agent.view.id,
        tool: deliveredTool,
        via: 'rest',
        outcome: o.outcome,
        status: o.status,
        ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
        ...(o.error ? { error: o.error } : {}),
        at: new Date().toISOString(),
      }),
  );
  return true;
}
