// The steps every REST request goes through before its handler: rate limit and
// its headers (agents), injected 5xx/429 faults (agents), JSON body, the
// X-Idempotency-Key cache (every POST), and the added latency.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorEnvelope, HEADER } from '../shared/protocol';
import type { SandboxContext } from './context';
import { BodyTooLargeError, delay, parseJson, readBody, sendError, sendJson } from './http';

export interface Answer {
  status: number;
  body: unknown;
}

export type PostOutcome = {
  outcome: 'accepted' | 'rejected' | 'replayed';
  status: number;
  error?: string;
  idempotencyKey?: string;
};

export const ok = (body: unknown, status = 200): Answer => ({ status, body: { data: body } });
export const problem = (status: number, code: string, message: string): Answer => ({
  status,
  body: errorEnvelope(code, message),
});

function errorMessage(body: unknown): string | undefined {
  const errors = (body as { errors?: { message?: string }[] } | null)?.errors;
  return Array.isArray(errors) ? errors[0]?.message : undefined;
}

/**
 * Rate limit and faults for an agent's request. Returns the headers to put on
 * the answer, or undefined when the request has already been answered (429/500).
 */
export function admitAgentRequest(
  ctx: SandboxContext,
  agentId: string,
  res: ServerResponse,
): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  const rate = ctx.rateLimiter.take(agentId);
  if (rate) {
    headers[HEADER.rateLimitLimit] = String(rate.limit);
    headers[HEADER.rateLimitRemaining] = String(rate.remaining);
    if (!rate.allowed) {
      sendError(
        res,
        'RATE_LIMIT_EXCEEDED',
        `Rate limit of ${rate.limit} requests a minute exceeded; retry after ${rate.retryAfterSeconds} s.`,
        undefined,
        {
          ...headers,
          [HEADER.retryAfter]: String(rate.retryAfterSeconds),
        },
      );
      return undefined;
    }
  }
  if (ctx.restFaults.throttle.roll(ctx.knobs.faultRest429Rate)) {
    sendError(res, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded (injected fault); retry after 1 s.', undefined, {
      ...headers,
      [HEADER.retryAfter]: '1',
    });
    return undefined;
  }
  if (ctx.restFaults.errors.roll(ctx.knobs.faultRest5xxRate)) {
    sendError(res, 'INTERNAL_ERROR', 'Internal error (injected fault); retry later.', undefined, headers);
    return undefined;
  }
  return headers;
}

/** A POST: body, idempotency, latency, handler. `report` hears how it ended (for delivery records). */
export async function runPost(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  scope: string,
  headers: Record<string, string>,
  handler: (body: unknown) => Promise<Answer>,
  report?: (o: PostOutcome) => void,
): Promise<void> {
  let text: string;
  try {
    text = await readBody(req);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      return sendError(res, 'VALIDATION_ERROR', 'Request body too large.', undefined, headers);
    }
    throw e;
  }
  const keyHeader = req.headers[HEADER.idempotencyKey];
  const key = (Array.isArray(keyHeader) ? keyHeader[0] : keyHeader)?.trim() || undefined;
  const tag = key ? { idempotencyKey: key } : {};
  const send = (a: Answer, outcome: PostOutcome['outcome']) => {
    report?.({ outcome, status: a.status, ...tag, ...(a.status >= 400 ? { error: errorMessage(a.body) } : {}) });
    sendJson(res, a.status, a.body, headers);
  };
  const finishWith = async (a: Answer, outcome: PostOutcome['outcome']) => {
    await delay(ctx.knobs.latencyMs);
    send(a, outcome);
  };

  const admission = key
    ? ctx.idempotency.admit(scope, key, req.method ?? 'POST', (req.url ?? '').split('?')[0], text)
    : undefined;
  if (admission?.kind === 'replay') return finishWith(admission.answer, 'replayed');
  if (admission?.kind === 'pending') {
    return finishWith(
      problem(
        409,
        'IDEMPOTENCY_PENDING',
        `A request with idempotency key ${key} is still being processed; retry shortly.`,
      ),
      'rejected',
    );
  }
  if (admission?.kind === 'mismatch') {
    return finishWith(
      problem(422, 'IDEMPOTENCY_MISMATCH', `Idempotency key ${key} was already used with a different request body.`),
      'rejected',
    );
  }

  let answer: Answer;
  const json = parseJson(text);
  try {
    await delay(ctx.knobs.latencyMs);
    answer = json.ok ? await handler(json.value) : problem(422, 'VALIDATION_ERROR', json.message);
  } catch (e) {
    if (admission?.kind === 'new') admission.abandon();
    ctx.log.error('REST handler failed', { path: req.url, error: e });
    return finishWith(problem(500, 'INTERNAL_ERROR', 'Internal error in the sandbox.'), 'rejected');
  }
  if (admission?.kind === 'new') {
    if (answer.status >= 500) admission.abandon();
    else admission.finish(answer);
  }
  send(answer, answer.status < 400 ? 'accepted' : 'rejected');
}
