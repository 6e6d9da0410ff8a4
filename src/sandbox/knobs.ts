// The variant knobs of protocol §8 plus the sandbox's timing budgets. Every
// knob can be set from the CLI (`--knob name=value`) and changed live from code
// (`sandbox.knobs.x = ...`): the live object validates each assignment and tells
// listeners, so timers (keep-alive, ping, session expiry) pick the change up at once.
import { EventEmitter } from 'node:events';
import { RATE_LIMIT_PER_MINUTE, TIMING } from '../shared/protocol';

export interface Knobs {
  /** `endpoint` event data: `/mcp/messages/<id>` (documented) or an absolute URL. */
  endpointEvent: 'relative' | 'absolute';
  /** POST answer: 202 with an empty body, or 200 with the JSON-RPC response in the body as well as on the stream. */
  postAnswer: 'accepted' | 'body';
  /** Status a hiring gets once the availability probe succeeds. */
  newHiringStatus: 'in_progress' | 'queued' | 'paid';
  /** Where push-mode `repo_url` / `repo_access_token` go. */
  repoFields: 'task_input' | 'top_level' | 'both';
  /** Session expiry: none; drop the stream; or forget the session and answer its POSTs 404 / 410. */
  sessionExpiry: 'none' | 'drop' | '404' | '410';
  /** Session lifetime for `sessionExpiry`, from the moment the stream opened. */
  sessionTtlMs: number;
  /** Server → client ping: on each hire (the probe), also every `pingIntervalMs`, or never. */
  ping: 'on_hire' | 'interval' | 'never';
  pingIntervalMs: number;
  /** SSE comment lines every N ms; 0 = none. */
  keepAliveMs: number;
  /** Added delay before each HTTP answer and each MCP response. */
  latencyMs: number;
  /** Probability (0..1) that an SSE event is cut in half and the stream destroyed. */
  faultDropStreamRate: number;
  /** Probability (0..1) that a notification is sent twice. */
  faultDuplicateNotificationRate: number;
  /** Probability (0..1) that an agent REST request answers 500 / 429. */
  faultRest5xxRate: number;
  faultRest429Rate: number;
  /** Seed of the fault PRNG, so runs are reproducible. */
  faultSeed: number;
  /** How long the availability probe waits for a ping answer. */
  probeBudgetMs: number;
  /** Budget of `HEAD callback_url`. */
  headProbeBudgetMs: number;
  /** Agent REST requests per minute per agent; 0 disables the limit (benchmarks). */
  rateLimitPerMinute: number;
  /** Webhook delivery: retries after the first attempt, first backoff (doubles), per-attempt timeout. */
  webhookRetries: number;
  webhookBackoffMs: number;
  webhookTimeoutMs: number;
  /** Probability (0..1) that a successful webhook delivery is sent once more. */
  webhookDuplicateRate: number;
  /** How long idempotency keys are remembered. */
  idempotencyTtlMs: number;
  /** What `GET /api/v1/hirings/pending` lists: only `paid` hirings (as documented) or every active one. */
  restPending: 'paid' | 'active';
  /** What a new hirer starts with, decimal USD. */
  startingBalance: string;
  /**
   * Where a push-mode hiring's repository lives: `github` (this sandbox's GitHub-like hosting with a REST API at
   * /api/v3) or `plain` (a separate plain git host: smart HTTP behind HTTP auth, no REST API, paths with and
   * without an owner segment).
   */
  repoHost: 'github' | 'plain';
}

export const DEFAULT_KNOBS: Readonly<Knobs> = Object.freeze({
  endpointEvent: 'relative',
  // The tutorial's client reads each answer from the POST body: the default serves it (also on the stream).
  postAnswer: 'body',
  newHiringStatus: 'in_progress',
  repoFields: 'both',
  sessionExpiry: 'none',
  sessionTtlMs: 30 * 60 * 1000,
  ping: 'on_hire',
  pingIntervalMs: 60_000,
  keepAliveMs: 0,
  latencyMs: 0,
  faultDropStreamRate: 0,
  faultDuplicateNotificationRate: 0,
  faultRest5xxRate: 0,
  faultRest429Rate: 0,
  faultSeed: 1,
  probeBudgetMs: TIMING.pingBudgetMs,
  headProbeBudgetMs: TIMING.headProbeMs,
  rateLimitPerMinute: RATE_LIMIT_PER_MINUTE,
  webhookRetries: 4,
  webhookBackoffMs: 500,
  webhookTimeoutMs: 5000,
  webhookDuplicateRate: 0,
  idempotencyTtlMs: TIMING.idempotencyTtlMs,
  restPending: 'paid',
  startingBalance: '10000.00',
  repoHost: 'github',
});

const CHOICES: Partial<Record<keyof Knobs, readonly string[]>> = {
  endpointEvent: ['relative', 'absolute'],
  postAnswer: ['accepted', 'body'],
  newHiringStatus: ['in_progress', 'queued', 'paid'],
  repoFields: ['task_input', 'top_level', 'both'],
  sessionExpiry: ['none', 'drop', '404', '410'],
  ping: ['on_hire', 'interval', 'never'],
  restPending: ['paid', 'active'],
  repoHost: ['github', 'plain'],
};

/** Other spellings people type on the command line. */
const ALIASES: Record<string, string> = {
  '202': 'accepted',
  '200': 'body',
  'top-level': 'top_level',
  'in-progress': 'in_progress',
  'on-hire': 'on_hire',
};

const RATES = new Set<keyof Knobs>([
  'faultDropStreamRate',
  'faultDuplicateNotificationRate',
  'faultRest5xxRate',
  'faultRest429Rate',
  'webhookDuplicateRate',
]);

export class KnobError extends Error {}

function isKnob(name: string): name is keyof Knobs {
  return Object.prototype.hasOwnProperty.call(DEFAULT_KNOBS, name);
}

/** Validates one value for one knob; strings from the CLI are converted. */
export function coerceKnob<K extends keyof Knobs>(name: K, value: unknown): Knobs[K] {
  if (name === 'startingBalance') {
    const text = typeof value === 'number' ? value.toFixed(2) : String(value);
    if (!/^\d+(\.\d{1,2})?$/.test(text)) {
      throw new KnobError(`knob startingBalance must be a decimal amount like 1000.00 (got ${text})`);
    }
    return text as Knobs[K];
  }
  const choices = CHOICES[name];
  if (choices) {
    const text = String(value);
    const v = ALIASES[text] ?? text;
    if (!choices.includes(v)) throw new KnobError(`knob ${name} must be one of ${choices.join(', ')} (got ${text})`);
    return v as Knobs[K];
  }
  let n: number;
  if (typeof value === 'boolean') n = value ? 1 : 0;
  else if (value === 'true' || value === 'false') n = value === 'true' ? 1 : 0;
  else n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0) throw new KnobError(`knob ${name} must be a number ≥ 0 (got ${String(value)})`);
  if (RATES.has(name) && n > 1) throw new KnobError(`knob ${name} is a probability between 0 and 1 (got ${n})`);
  return n as Knobs[K];
}

/** Parses `name=value` from the CLI. */
export function parseKnobAssignment(text: string): [keyof Knobs, Knobs[keyof Knobs]] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new KnobError(`--knob expects name=value (got ${text})`);
  const name = text.slice(0, eq).trim();
  if (!isKnob(name)) throw new KnobError(`unknown knob ${name}; knobs: ${Object.keys(DEFAULT_KNOBS).join(', ')}`);
  return [name, coerceKnob(name, text.slice(eq + 1).trim())];
}

export interface LiveKnobs {
  knobs: Knobs;
  /** Emits 'change' (name) after every accepted assignment. */
  changes: EventEmitter;
}

/** A knobs object that validates assignments and announces them. */
export function liveKnobs(initial: Partial<Knobs> = {}): LiveKnobs {
  const target: Knobs = { ...DEFAULT_KNOBS };
  for (const [k, v] of Object.entries(initial)) {
    if (!isKnob(k)) throw new KnobError(`unknown knob ${k}`);
    if (v !== undefined) Object.assign(target, { [k]: coerceKnob(k, v) });
  }
  const changes = new EventEmitter();
  const knobs = new Proxy(target, {
    set(obj, prop, value) {
      if (typeof prop !== 'string' || !isKnob(prop)) throw new KnobError(`unknown knob ${String(prop)}`);
      Object.assign(obj, { [prop]: coerceKnob(prop, value) });
      changes.emit('change', prop);
      return true;
    },
  });
  return { knobs, changes };
}
