// What every route handler of the sandbox needs, wired once by startSandbox.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../shared/log';
import type { GitHosting } from './git/index';
import type { PlainGitHost } from './git/plain-host';
import type { IdempotencyCache } from './idempotency';
import type { Knobs } from './knobs';
import type { FaultDice, RateLimiter } from './limits';
import type { SessionRegistry } from './sessions';
import type { MarketStore } from './store';
import type { WebhookSender } from './webhooks';

export interface SandboxContext {
  knobs: Knobs;
  knobChanges: EventEmitter;
  store: MarketStore;
  sessions: SessionRegistry;
  idempotency: IdempotencyCache;
  rateLimiter: RateLimiter;
  restFaults: { errors: FaultDice; throttle: FaultDice };
  webhooks: WebhookSender;
  git: GitHosting;
  /** The plain git host (no REST API), started on first use. */
  plainGit: () => Promise<PlainGitHost>;
  log: Logger;
  /** The base URL clients use, e.g. http://127.0.0.1:PORT. */
  baseUrl: () => string;
  userToken: string;
  /** The hirer the user token stands for. */
  customerId: string;
  systemPrompt: string;
}
