// Constants of the Agrenting agent protocol (../shared/docs/agrenting-protocol.md).
// Shared by the sandbox, the relay and the extension so every part speaks the same words.

export const MCP_PROTOCOL_VERSION = '2024-11-05';

export const PENDING_URI = 'hiring://pending';
const HIRING_URI_PREFIX = 'hiring://';

export function hiringUri(id: string): string {
  return `${HIRING_URI_PREFIX}${id}`;
}

/**
 * The relay's incremental form of hiring://pending: `hiring://pending?since=<cursor>` answers
 * only what changed since the cursor of an earlier answer (an empty cursor: everything).
 */
const PENDING_SINCE_PREFIX = `${PENDING_URI}?since=`;

export function pendingSinceUri(cursor = ''): string {
  return `${PENDING_SINCE_PREFIX}${encodeURIComponent(cursor)}`;
}

/** The cursor in `hiring://pending?since=<cursor>` ('' when empty), or undefined for other URIs. */
export function parsePendingSinceUri(uri: string): string | undefined {
  if (!uri.startsWith(PENDING_SINCE_PREFIX)) return undefined;
  try {
    return decodeURIComponent(uri.slice(PENDING_SINCE_PREFIX.length));
  } catch {
    return undefined;
  }
}

const RUN_LOG_URI = /^run:\/\/([^/]+)\/log$/;

/** A runner's log on a hiring (the relay's `run://{hiring_id}/log`). */
export function runLogUri(hiringId: string): string {
  return `run://${encodeURIComponent(hiringId)}/log`;
}

export function parseRunLogUri(uri: string): string | undefined {
  const m = RUN_LOG_URI.exec(uri);
  return m ? decodeURIComponent(m[1]) : undefined;
}

/** The hiring id in `hiring://{id}`, or undefined for `hiring://pending` (any form) and other URIs. */
export function parseHiringUri(uri: string): string | undefined {
  if (!uri.startsWith(HIRING_URI_PREFIX) || uri === PENDING_URI || uri.startsWith(`${PENDING_URI}?`)) return undefined;
  const id = uri.slice(HIRING_URI_PREFIX.length);
  return id.length > 0 ? id : undefined;
}

export const TOOL = {
  submitResult: 'submit_hiring_result',
  reportFailure: 'report_hiring_failure',
  addMessage: 'add_hiring_message',
  emitChunk: 'task_emit_chunk',
} as const;
export type PlatformToolName = (typeof TOOL)[keyof typeof TOOL];

export const SYSTEM_PROMPT_NAME = 'system-prompt';

export const HIRING_STATUSES = [
  'pending_payment',
  'paid',
  'queued',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
  'disputed',
  'refunded',
] as const;
export type HiringStatus = (typeof HIRING_STATUSES)[number];

/** Statuses that mean "work to do" (§5). */
export const ACTIVE_STATUSES: readonly string[] = ['paid', 'queued', 'in_progress'];
/** Statuses that are never work again. */
export const TERMINAL_STATUSES: readonly string[] = ['completed', 'failed', 'cancelled', 'disputed', 'refunded'];

export function isActiveStatus(status: string | undefined): boolean {
  return status !== undefined && ACTIVE_STATUSES.includes(status);
}
export function isTerminalStatus(status: string | undefined): boolean {
  return status !== undefined && TERMINAL_STATUSES.includes(status);
}

export const DELIVERY_MODES = ['output', 'push'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const FAILURE_ERRORS = ['timeout', 'capability_mismatch', 'agent_unresponsive', 'other'] as const;
export type FailureError = (typeof FAILURE_ERRORS)[number];

export const MESSAGE_KINDS = ['message', 'question'] as const;
export const CHUNK_KINDS = ['text', 'log', 'status'] as const;

export const ARTIFACT_TYPES = [
  'code_block',
  'markdown',
  'html',
  'file',
  'diff',
  'image',
  'json',
  'text',
  'link',
] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];
/** Artifact types whose content travels base64-encoded. */
export const BASE64_ARTIFACT_TYPES: readonly ArtifactType[] = ['file', 'image'];

export const LIMITS = {
  maxArtifacts: 50,
  maxInlineArtifactBytes: 1024 * 1024,
  maxMessageChars: 5000,
  maxTaskDescriptionChars: 5000,
} as const;

export const TIMING = {
  /** The platform waits this long for a ping answer before declaring the agent unavailable. */
  pingBudgetMs: 3000,
  /** Budget of the `HEAD callback_url` availability probe. */
  headProbeMs: 2000,
  /** Idempotency keys are remembered this long. */
  idempotencyTtlMs: 24 * 60 * 60 * 1000,
  /** An idle agent is probed after this long. */
  idleProbeMs: 60 * 60 * 1000,
} as const;

export const RATE_LIMIT_PER_MINUTE = 100;

export const HEADER = {
  apiKey: 'x-api-key',
  apiKeyAlt: 'api-key',
  authorization: 'authorization',
  idempotencyKey: 'x-idempotency-key',
  webhookSignature: 'x-webhook-signature',
  rateLimitLimit: 'x-ratelimit-limit',
  rateLimitRemaining: 'x-ratelimit-remaining',
  retryAfter: 'retry-after',
} as const;

export const ERROR_CODES = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_ERROR: 422,
  RATE_LIMIT_EXCEEDED: 429,
  IDEMPOTENCY_PENDING: 409,
  IDEMPOTENCY_MISMATCH: 422,
  INTERNAL_ERROR: 500,
  AGENT_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorEnvelope {
  data: null;
  errors: { code: string; message: string; details?: unknown }[];
}

export function errorEnvelope(code: ErrorCode | string, message: string, details?: unknown): ErrorEnvelope {
  return { data: null, errors: [{ code, message, ...(details === undefined ? {} : { details }) }] };
}

type HeaderBag = Record<string, string | string[] | undefined>;

function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/**
 * The agent key or token a request carries, checked in the platform's order:
 * `X-API-Key`, `Api-Key`, `Authorization: Bearer`, then the tutorial's
 * `Authorization: ApiKey`. Prefixes are never validated (§1).
 * Header names must be lower-case (as Node's IncomingMessage gives them).
 */
export function readApiKey(headers: HeaderBag): string | undefined {
  const direct = headerValue(headers, HEADER.apiKey) ?? headerValue(headers, HEADER.apiKeyAlt);
  if (direct) return direct;
  const auth = headerValue(headers, HEADER.authorization);
  if (!auth) return undefined;
  const m = /^(Bearer|ApiKey)\s+(\S.*)$/i.exec(auth);
  return m ? m[2].trim() : undefined;
}
