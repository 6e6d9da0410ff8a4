// Shared pieces of the upstream integration tests: a sandbox with one agent, a
// link wired to a recording listener, a TCP proxy that can cut the network, and
// a callback server that answers the HEAD availability probe when no session is up.
import { createLogger, memoryLogger } from '../../src/shared/log';
import type { Hiring } from '../../src/shared/hiring';
import type { HiringSource, LinkStatus } from '../../src/relay/types';
import { createAgentLink, type AgentLink, type LinkTiming } from '../../src/relay/upstream';
import { startSandbox, type Knobs, type Sandbox } from '../../src/sandbox/index';

export const FAST_TIMING: Partial<LinkTiming> = {
  requestTimeoutMs: 2000,
  connectTimeoutMs: 1000,
  pingIntervalMs: 60_000,
  pingTimeoutMs: 500,
  backoffBaseMs: 20,
  backoffCapMs: 150,
  stableResetMs: 60_000,
  authRetryMs: 150,
  safetyNetMs: 60_000,
};

export interface Recorder {
  hirings: Map<string, Hiring>;
  batches: { source: HiringSource; ids: string[] }[];
  statuses: LinkStatus[];
}

export interface TestLink {
  link: AgentLink;
  rec: Recorder;
  log: ReturnType<typeof memoryLogger>;
}

export function makeLink(baseUrl: string, apiKey: string, timing: Partial<LinkTiming> = {}, agent = 'a1'): TestLink {
  const rec: Recorder = { hirings: new Map(), batches: [], statuses: [] };
  const log = memoryLogger(`link[${agent}]`);
  const link = createAgentLink({
    agent,
    baseUrl,
    apiKey,
    log,
    timing: { ...FAST_TIMING, ...timing },
    listener: {
      onHirings: (_a, list, source) => {
        rec.batches.push({ source, ids: list.map((h) => String(h.id)) });
        for (const h of list) rec.hirings.set(String(h.id), h);
      },
      onStatus: (s) => rec.statuses.push(s),
    },
  });
  return { link, rec, log };
}

export async function quietSandbox(knobs: Partial<Knobs> = {}): Promise<Sandbox> {
  return startSandbox({ knobs, log: createLogger('sandbox', { level: 'error', sink: () => undefined }) });
}

export { startCallbackServer, startNetSwitch as startProxy, type NetSwitch } from '../support/net';

export const output = (text: string) => ({ summary: text });

/** Collects things to close after each test, in reverse order. */
export class Cleanup {
  private readonly items: (() => Promise<unknown> | unknown)[] = [];
  add<T>(item: T, close: (item: T) => Promise<unknown> | unknown): T {
    this.items.push(() => close(item));
    return item;
  }
  async run(): Promise<void> {
    for (const f of this.items.splice(0).reverse()) await f();
  }
}

export interface World {
  sb: Sandbox;
  agentId: string;
  apiKey: string;
  tl: TestLink;
}

/** A sandbox, one agent, and a started link for it (unless start=false). */
export async function world(
  cleanup: Cleanup,
  knobs: Partial<Knobs> = {},
  timing: Partial<LinkTiming> = {},
  opts: { start?: boolean; callbackUrl?: string; baseUrl?: string } = {},
): Promise<World> {
  const sb = cleanup.add(await quietSandbox(knobs), (s) => s.close());
  const agent = sb.registerAgent({
    name: 'test agent',
    ...(opts.callbackUrl ? { metadata: { callback_url: opts.callbackUrl } } : {}),
  });
  const tl = makeLink(opts.baseUrl ?? sb.url, agent.apiKey, timing);
  cleanup.add(tl.link, (l) => l.stop());
  if (opts.start !== false) tl.link.start();
  return { sb, agentId: agent.id, apiKey: agent.apiKey, tl };
}
