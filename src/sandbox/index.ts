// The sandbox marketplace: a local, configurable imitation of Agrenting's agent
// side (MCP over HTTP+SSE, REST, webhooks, hirer side, git hosting for push mode).
// `startSandbox()` is what tests, benchmarks and the CLI use.
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/log';
import { registerSecret } from '../shared/redact';
import type { SandboxContext } from './context';
import { createGitHosting, type GitHosting } from './git/index';
import { startPlainGitHost, type PlainGitHost } from './git/plain-host';
import { createHiring } from './hiring-factory';
import { registerAgent } from './hirer';
import { IdempotencyCache } from './idempotency';
import { sandboxState } from './inspect';
import { liveKnobs, type Knobs } from './knobs';
import { FaultDice, RateLimiter } from './limits';
import { toCents } from './money';
import { createSandboxServer } from './server';
import { SessionRegistry } from './sessions';
import { MarketStore } from './store';
import { SYSTEM_PROMPT } from './system-prompt';
import type { AgentInput, HireInput, PlatformHiring, RegisteredAgent, SandboxHiring, SandboxState } from './types';
import { WebhookSender } from './webhooks';

export type { Knobs } from './knobs';
export { DEFAULT_KNOBS, KnobError, parseKnobAssignment } from './knobs';
export type * from './types';
export type { SessionEvent } from './sessions';
export type { HiringEvent } from './store';
export { signWebhook } from './webhooks';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The hirer's user token; default a random `ap_sandbox_...`. */
  userToken?: string;
  knobs?: Partial<Knobs>;
  /** Where git repositories live; default a temporary directory removed on close. */
  gitRoot?: string;
  log?: Logger;
}

export interface Sandbox {
  /** Base URL, e.g. http://127.0.0.1:PORT. */
  readonly url: string;
  readonly userToken: string;
  /** The hirer the user token stands for. */
  readonly customerId: string;
  /** Live: assignments are validated and take effect at once. */
  readonly knobs: Knobs;
  /** 'hiring' (HiringEvent), 'delivery' (DeliveryAttempt), 'session' (SessionEvent), 'probe', 'webhook'. */
  readonly events: EventEmitter;
  readonly git: GitHosting;
  registerAgent(input?: AgentInput): RegisteredAgent;
  /** Creates a hiring as the hirer (probe included); resolves with the platform-shaped hiring. */
  hire(agentId: string, input: HireInput): Promise<PlatformHiring>;
  /** Cancels as the hirer would; the escrow is refunded. */
  cancel(hiringId: string): PlatformHiring;
  inspect(): SandboxState;
  hiring(id: string): SandboxHiring | undefined;
  dropSessions(agentId?: string): number;
  sessionCount(agentId?: string): number;
  close(): Promise<void>;
}

export class SandboxError extends Error {}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const log = opts.log ?? createLogger('sandbox');
  const { knobs, changes } = liveKnobs(opts.knobs);
  const userToken = opts.userToken ?? `ap_sandbox_${randomBytes(16).toString('hex')}`;
  registerSecret(userToken);
  const ownGitRoot = opts.gitRoot === undefined;
  const gitRoot = opts.gitRoot ?? (await mkdtemp(join(tmpdir(), 'agrenting-sandbox-git-')));
  let baseUrl = '';
  let plainGit: Promise<PlainGitHost> | undefined;
  const store = new MarketStore(() => toCents(knobs.startingBalance) ?? 0);
  const sessions = new SessionRegistry(knobs, changes, log.child('mcp'));
  const ctx: SandboxContext = {
    knobs,
    knobChanges: changes,
    store,
    sessions,
    idempotency: new IdempotencyCache(() => knobs.idempotencyTtlMs),
    rateLimiter: new RateLimiter(() => knobs.rateLimitPerMinute),
    restFaults: {
      errors: new FaultDice(() => knobs.faultSeed + 3),
      throttle: new FaultDice(() => knobs.faultSeed + 5),
    },
    webhooks: new WebhookSender(store, knobs, () => baseUrl, log.child('webhook')),
    git: createGitHosting({ root: gitRoot, baseUrl: () => baseUrl, log: log.child('git') }),
    plainGit: () => (plainGit ??= startPlainGitHost({ root: join(gitRoot, 'plain'), log: log.child('plain-git') })),
    log,
    baseUrl: () => baseUrl,
    userToken,
    customerId: randomUUID(),
    systemPrompt: SYSTEM_PROMPT,
  };
  store.events.on('hiring', (e) => sessions.onHiringChanged(e));

  const events = new EventEmitter();
  events.setMaxListeners(0);
  for (const name of ['hiring', 'delivery', 'probe', 'webhook']) store.events.on(name, (e) => events.emit(name, e));
  sessions.events.on('session', (e) => events.emit('session', e));

  const server = createSandboxServer(ctx);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (e) {
    await ctx.git.close();
    if (ownGitRoot) await rm(gitRoot, { recursive: true, force: true });
    throw new SandboxError(
      `The sandbox cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}: ${(e as Error).message}`,
    );
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
  log.info('sandbox listening', { url: baseUrl });

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    userToken,
    customerId: ctx.customerId,
    knobs,
    events,
    git: ctx.git,
    registerAgent: (input) => registerAgent(ctx, input ?? {}),
    async hire(agentId, input) {
      const out = await createHiring(ctx, ctx.customerId, agentId, input);
      if (!out.ok) throw new SandboxError(out.message);
      return structuredClone(out.record.hiring);
    },
    cancel(hiringId) {
      const r = store.get(hiringId);
      if (!r) throw new SandboxError(`Hiring ${hiringId} not found.`);
      store.endWithRefund(r, 'cancelled', 'cancelled by the hirer');
      return structuredClone(r.hiring);
    },
    inspect: () => sandboxState(ctx, { maskSecrets: false }),
    hiring(id) {
      const r = store.get(id);
      return r ? store.view(r) : undefined;
    },
    dropSessions: (agentId) => sessions.drop(agentId),
    sessionCount: (agentId) => sessions.forAgent(agentId).length,
    close() {
      closing ??= (async () => {
        ctx.webhooks.close();
        sessions.closeAll();
        await ctx.git.close();
        await (await plainGit)?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownGitRoot) await rm(gitRoot, { recursive: true, force: true });
        log.info('sandbox closed');
      })();
      return closing;
    },
  };
}
