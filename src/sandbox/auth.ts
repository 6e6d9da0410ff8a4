// Who is calling: an agent (by its key) or the hirer (by the user token). The
// key may come in any header form the platform accepts (§1); prefixes are
// never inspected. Failures answer 401 with the error envelope.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readApiKey } from '../shared/protocol';
import { safeEqual } from '../shared/safe-equal';
import type { SandboxContext } from './context';
import { sendError } from './http';
import type { AgentRecord } from './store';

export type Caller = { kind: 'agent'; agent: AgentRecord } | { kind: 'user'; customerId: string };

export function identify(ctx: SandboxContext, req: IncomingMessage): Caller | undefined {
  const key = readApiKey(req.headers);
  if (key === undefined) return undefined;
  if (safeEqual(key, ctx.userToken)) return { kind: 'user', customerId: ctx.customerId };
  const agent = ctx.store.agentByKey(key);
  return agent ? { kind: 'agent', agent } : undefined;
}

function unauthorized(res: ServerResponse, req: IncomingMessage, wanted: string): void {
  const had = readApiKey(req.headers) !== undefined;
  sendError(
    res,
    'UNAUTHORIZED',
    had
      ? `The ${wanted} was not accepted.`
      : `Missing ${wanted}: send X-API-Key, Api-Key, or Authorization: Bearer / ApiKey.`,
  );
}

export function requireAgent(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): AgentRecord | undefined {
  const caller = identify(ctx, req);
  if (caller?.kind === 'agent') return caller.agent;
  unauthorized(res, req, 'agent API key');
  return undefined;
}

export function requireUser(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): string | undefined {
  const caller = identify(ctx, req);
  if (caller?.kind === 'user') return caller.customerId;
  unauthorized(res, req, 'user token (Authorization: Bearer ap_...)');
  return undefined;
}
