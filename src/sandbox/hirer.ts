// The human side, authenticated with the user token: register agents (§3),
// hire them (§3 hirer side), list, cancel, and answer in a hiring's conversation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isTerminalStatus } from '../shared/protocol';
import { describeZodError } from '../shared/tools';
import type { SandboxContext } from './context';
import { isRecord } from '../shared/lenient';
import { delay, sendJson } from './http';
import { createHiring } from './hiring-factory';
import { fromCents, toCents } from './money';
import { ok, problem, runPost, type Answer } from './rest-pipeline';
import type { AgentInput, RegisteredAgent } from './types';

const AgentBodySchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(5000).optional(),
    capabilities: z.array(z.string()).optional(),
    category: z.string().optional(),
    pricing_model: z.string().optional(),
    base_price: z.union([z.string(), z.number()]).optional(),
    provider: z.string().optional(),
    model: z.string().optional(),
    metadata: z
      .object({
        worker_matrix_id: z.string().optional(),
        callback_url: z.string().url().optional(),
        callback_auth_header: z
          .string()
          .regex(/^[^:\s]+:\s*\S/, 'callback_auth_header must look like "Name: value"')
          .optional(),
        webhook_secret: z.string().min(8).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export class RegistrationError extends Error {}

export function registerAgent(ctx: SandboxContext, raw: unknown): RegisteredAgent {
  const parsed = AgentBodySchema.safeParse(raw ?? {});
  if (!parsed.success) throw new RegistrationError(`Invalid agent: ${describeZodError(parsed.error)}.`);
  const input = parsed.data as AgentInput;
  const cents = toCents(input.base_price ?? '25.00');
  if (cents === undefined) {
    throw new RegistrationError('Invalid agent: base_price must be a decimal amount in USD, e.g. "25.00".');
  }
  const record = ctx.store.addAgent(input, ctx.customerId, fromCents(cents));
  ctx.log.info('agent registered', { agent: record.view.id, name: record.view.name });
  return {
    id: record.view.id,
    apiKey: record.apiKey,
    webhookSecret: record.webhookSecret,
    agent: structuredClone(record.view),
  };
}

function register(ctx: SandboxContext, body: unknown): Answer {
  const input = isRecord(body) && isRecord(body.agent) ? body.agent : body;
  try {
    const a = registerAgent(ctx, input);
    return ok({ id: a.id, api_key: a.apiKey, webhook_secret: a.webhookSecret, agent: a.agent }, 201);
  } catch (e) {
    if (e instanceof RegistrationError) return problem(422, 'VALIDATION_ERROR', e.message);
    throw e;
  }
}

async function hire(ctx: SandboxContext, customerId: string, agentId: string, body: unknown): Promise<Answer> {
  const out = await createHiring(ctx, customerId, agentId, body);
  if (!out.ok) return problem(out.code === 'NOT_FOUND' ? 404 : 422, out.code, out.message);
  return ok(out.record.hiring, out.created ? 201 : 200);
}

function cancel(ctx: SandboxContext, customerId: string, hiringId: string): Answer {
  const r = ctx.store.get(hiringId);
  if (!r || r.hiring.customer_id !== customerId) return problem(404, 'NOT_FOUND', `Hiring ${hiringId} not found.`);
  if (isTerminalStatus(r.hiring.status)) {
    return problem(422, 'VALIDATION_ERROR', `Hiring ${hiringId} is already ${r.hiring.status}.`);
  }
  ctx.store.endWithRefund(r, 'cancelled', 'cancelled by the hirer');
  return ok(r.hiring);
}

const ClientMessageSchema = z.object({
  content: z.string().min(1).max(5000),
  kind: z.enum(['message', 'answer']).optional(),
});

function clientMessage(ctx: SandboxContext, customerId: string, hiringId: string, body: unknown): Answer {
  const r = ctx.store.get(hiringId);
  if (!r || r.hiring.customer_id !== customerId) return problem(404, 'NOT_FOUND', `Hiring ${hiringId} not found.`);
  const parsed = ClientMessageSchema.safeParse(body);
  if (!parsed.success) return problem(422, 'VALIDATION_ERROR', `Invalid message: ${describeZodError(parsed.error)}.`);
  return ok(ctx.store.addMessage(r, 'client', parsed.data.content, parsed.data.kind ?? 'message'), 201);
}

/** Handles /api/v1/** for the user token; parts exclude the /api/v1 prefix. False when no route matches. */
export async function handleHirerRest(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  customerId: string,
  parts: string[],
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const [first, id, action] = parts;
  /** The agent id (agents/...) or the hiring id (hirings/...) in the path. */
  const target = id ? decodeURIComponent(id) : '';
  const scope = `user:${customerId}`;
  const get = async (a: () => Answer) => {
    await delay(ctx.knobs.latencyMs);
    const answer = a();
    sendJson(res, answer.status, answer.body);
  };

  if (first === 'agents' && parts.length === 1) {
    if (method === 'POST') return runPost(ctx, req, res, scope, {}, async (b) => register(ctx, b)).then(() => true);
    if (method === 'GET') return get(() => ok(ctx.store.allAgents().map((a) => a.view))).then(() => true);
  }
  if (first === 'agents' && parts.length === 2 && method === 'GET') {
    return get(() => {
      const a = ctx.store.agent(target);
      return a ? ok(a.view) : problem(404, 'NOT_FOUND', `Agent ${target} not found.`);
    }).then(() => true);
  }
  if (first === 'agents' && action === 'hire' && method === 'POST') {
    return runPost(ctx, req, res, scope, {}, (b) => hire(ctx, customerId, target, b)).then(() => true);
  }
  if (first === 'agents' && action === 'hirings' && method === 'GET') {
    return get(() =>
      ok(
        ctx.store
          .all()
          .filter((r) => r.hiring.agent_id === target && r.hiring.customer_id === customerId)
          .map((r) => r.hiring),
      ),
    ).then(() => true);
  }
  if (first === 'hirings' && parts.length === 2 && target !== 'pending' && method === 'GET') {
    return get(() => {
      const r = ctx.store.get(target);
      return r && r.hiring.customer_id === customerId
        ? ok(r.hiring)
        : problem(404, 'NOT_FOUND', `Hiring ${target} not found.`);
    }).then(() => true);
  }
  if (first === 'hirings' && action === 'cancel' && method === 'POST') {
    return runPost(ctx, req, res, scope, {}, async () => cancel(ctx, customerId, target)).then(() => true);
  }
  if (first === 'hirings' && action === 'messages' && method === 'POST') {
    return runPost(ctx, req, res, scope, {}, async (b) => clientMessage(ctx, customerId, target, b)).then(() => true);
  }
  return false;
}
