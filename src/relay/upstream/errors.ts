// The failures an agent link tells apart. Messages never hold secrets: they are
// built from status codes and redacted server text.
import { redact } from '../../shared/redact';

/** The platform refused the agent key (401). Retrying fast will not help. */
export class AuthError extends Error {
  constructor(readonly agent: string) {
    super(
      `Agrenting rejected the agent key for agent ${agent} (401). Set it with 'Agrenting: Set Agent Key' or AGRENTING_API_KEY.`,
    );
    this.name = 'AuthError';
  }
}

/** The MCP session is gone (stream ended, 404/410 on a POST, failed ping...): open a new one. */
export class SessionLostError extends Error {
  /** Nothing answered at the network level (connection refused, reset, unreachable). */
  readonly unreachable: boolean;
  constructor(reason: string, opts: { unreachable?: boolean } = {}) {
    super(redact(reason));
    this.name = 'SessionLostError';
    this.unreachable = opts.unreachable ?? false;
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** True for socket errors that mean the platform is not there at all, as opposed to answering badly. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

/** An HTTP answer that was not a success. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfterMs?: number,
    context = 'request',
  ) {
    super(redact(`${context} answered HTTP ${status}${describeBody(body)}`));
    this.name = 'HttpError';
  }
}

/** No answer in time. Whether the request took effect is unknown. */
export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} got no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** A JSON-RPC error answer: the server understood the request and said no. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(redact(message));
    this.name = 'RpcError';
  }
}

/** The envelope's first error message, or a short excerpt of the body. */
export function describeBody(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first && typeof first.message === 'string') {
      return `: ${typeof first.code === 'string' ? `${first.code} ` : ''}${first.message}`;
    }
  } catch {
    // not JSON: fall through to an excerpt
  }
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
