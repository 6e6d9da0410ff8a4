// Creating a hiring as the platform does (§4, §5): validate the hirer's request,
// hold the price in escrow, give push-mode hirings a repository and a write
// token on the sandbox's git hosting, probe the agent, then either hand the
// hiring to it (status per the newHiringStatus knob, notification, webhook) or
// fail and refund. Before the probe passes the agent neither sees nor hears of it.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LIMITS } from '../shared/protocol';
import { registerSecret } from '../shared/redact';
import { describeZodError } from '../shared/tools';
import type { SandboxContext } from './context';
import { fromCents, toCents } from './money';
import { probeAgent } from './probe';
import type { HiringRecord } from './store';
import type { HireInput, PlatformHiring } from './types';

export const HireBodySchema = z.object({
  task_description: z.string().min(1, 'task_description is required').max(LIMITS.maxTaskDescriptionChars),
  capability_requested: z.string().min(1).optional(),
  category: z.string().min(1).optional(),
  price: z.union([z.string(), z.number()]).optional(),
  delivery_mode: z.enum(['output', 'push']).optional(),
  repo_url: z.string().url().optional(),
  repo_access_token: z.string().min(1).optional(),
  task_input: z.record(z.unknown()).optional(),
  client_message: z.string().optional(),
  deadline_at: z.string().datetime({ offset: true }).optional(),
  client_idempotency_key: z.string().min(1).optional(),
});

export type HireOutcome =
  | { ok: true; record: HiringRecord; created: boolean }
  | { ok: false; code: 'NOT_FOUND' | 'VALIDATION_ERROR'; message: string };

async function pushRepository(
  ctx: SandboxContext,
  id: string,
  input: HireInput,
): Promise<{ url: string; token: string } | undefined> {
  if (input.delivery_mode !== 'push') return undefined;
  if (input.repo_url) {
    registerSecret(input.repo_access_token);
    return { url: input.repo_url, token: input.repo_access_token ?? '' };
  }
  if (ctx.knobs.repoHost === 'plain') {
    const plain = await ctx.plainGit();
    // Half the repositories without an owner segment, as self-hosted git allows.
    const path = `${parseInt(id.slice(0, 2), 16) % 2 === 0 ? '' : 'sandbox/'}hiring-${id.slice(0, 8)}`;
    const created = await plain.createRepository(path);
    return { url: created.cloneUrl, token: plain.issueToken(path, 'write') };
  }
  const repo = await ctx.git.createRepository('sandbox', `hiring-${id.slice(0, 8)}`);
  // issueToken registers the token with the redactor itself.
  return { url: repo.cloneUrl, token: ctx.git.issueToken(repo.owner, repo.name, 'write') };
}

export async function createHiring(
  ctx: SandboxContext,
  customerId: string,
  agentId: string,
  rawInput: unknown,
): Promise<HireOutcome> {
  const parsed = HireBodySchema.safeParse(rawInput);
  if (!parsed.success) {
    return { ok: false, code: 'VALIDATION_ERROR', message: `Invalid hire request: ${describeZodError(parsed.error)}.` };
  }
  const input: HireInput = parsed.data;
  const agent = ctx.store.agent(agentId);
  if (!agent) return { ok: false, code: 'NOT_FOUND', message: `Agent ${agentId} not found.` };
  if (input.client_idempotency_key) {
    const existing = ctx.store.byClientKey(customerId, input.client_idempotency_key);
    if (existing) return { ok: true, record: existing, created: false };
  }
  const cents = toCents(input.price ?? agent.view.base_price);
  if (cents === undefined) {
    return { ok: false, code: 'VALIDATION_ERROR', message: 'price must be a decimal amount in USD, e.g. "25.00".' };
  }
  if (ctx.store.ledger.balanceOf(customerId) < cents) {
    return { ok: false, code: 'VALIDATION_ERROR', message: `Insufficient balance for a ${fromCents(cents)} hiring.` };
  }

  const id = randomUUID();
  const mode = input.delivery_mode ?? 'output';
  const repo = await pushRepository(ctx, id, input);
  const where = ctx.knobs.repoFields;
  const inTaskInput = repo && where !== 'top_level';
  const onTop = repo && where !== 'task_input';
  const at = new Date().toISOString();
  const hiring: PlatformHiring = {
    id,
    status: ctx.knobs.newHiringStatus === 'paid' ? 'paid' : 'queued',
    agent_id: agentId,
    customer_id: customerId,
    task_description: input.task_description,
    capability_requested: input.capability_requested ?? agent.view.capabilities[0] ?? 'coding',
    category: input.category ?? agent.view.category,
    price: fromCents(cents),
    delivery_mode: mode,
    task_input: {
      ...(input.task_input ?? {}),
      delivery_mode: mode,
      ...(inTaskInput ? { repo_url: repo.url, repo_access_token: repo.token || null } : {}),
    },
    repo_url: onTop ? repo.url : null,
    repo_access_token: onTop ? repo.token || null : null,
    client_message: input.client_message ?? null,
    deadline_at: input.deadline_at ?? null,
    messages: [],
    task_output: null,
    artifacts: [],
    failed_reason: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    completed_at: null,
    failed_at: null,
  };
  const record: HiringRecord = {
    hiring,
    cents,
    artifacts: [],
    chunks: [],
    deliveries: [],
    webhooks: [],
    dispatched: false,
    ...(input.client_idempotency_key ? { clientIdempotencyKey: input.client_idempotency_key } : {}),
  };
  ctx.store.addHiring(record);
  ctx.log.info('hiring created', { hiring: id, agent: agentId, mode, price: hiring.price });

  const probe = await probeAgent(ctx, agent, id);
  if (hiring.status !== 'queued' && hiring.status !== 'paid') return { ok: true, record, created: true }; // cancelled meanwhile
  if (!probe.ok) {
    ctx.store.endWithRefund(record, 'failed', `agent unavailable: ${probe.detail}`);
    ctx.log.info('hiring failed: agent unavailable', { hiring: id, detail: probe.detail });
    return { ok: true, record, created: true };
  }
  ctx.store.dispatch(record, ctx.knobs.newHiringStatus);
  ctx.webhooks.deliver(agent, record);
  return { ok: true, record, created: true };
}
