// A relay on a scripted upstream link, for the delivery tests: answers the real
// sandbox never gives (refusals, answers held back), and restarts on the same
// state dir with the journals prepared by hand (the state a kill -9 leaves).
import { rmSync } from 'node:fs';
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import { memoryLogger } from '../../src/shared/log';
import { startRelay, type Relay } from '../../src/relay/relay';
import {
  RelayError,
  type DeliveryOutcome,
  type LinkStatus,
  type UpstreamLink,
  type UpstreamListener,
} from '../../src/relay/types';
import { tempDir } from './helpers';

export interface Delivered {
  tool: string;
  args: Record<string, unknown>;
  key: string;
}

export class ScriptedLink implements UpstreamLink {
  readonly agent: string;
  delivered: Delivered[] = [];
  /** The next answers, in order; then `answer`. */
  answers: DeliveryOutcome[] = [];
  answer: DeliveryOutcome = { kind: 'confirmed' };
  /** When set, deliver() waits for it before answering. */
  hold: Promise<void> | undefined;
  hirings = new Map<string, Hiring>();
  constructor(
    readonly listener: UpstreamListener,
    agent = 'fake',
  ) {
    this.agent = agent;
  }
  status(): LinkStatus {
    return { agent: this.agent, state: 'connected', reconnects: 0 };
  }
  start(): void {}
  async stop(): Promise<void> {}
  async refresh(): Promise<void> {}
  async getHiring(id: string): Promise<Hiring> {
    const h = this.hirings.get(id);
    if (!h) throw new RelayError(`unknown ${id}`, 'not_found');
    return h;
  }
  async deliver(tool: string, args: Record<string, unknown>, key: string): Promise<DeliveryOutcome> {
    this.delivered.push({ tool, args, key });
    if (this.hold) await this.hold;
    return this.answers.shift() ?? this.answer;
  }
  async systemPrompt(): Promise<string> {
    return 'prompt';
  }
  /** The platform's view changes (kept for getHiring) without telling the relay. */
  set(raw: Record<string, unknown>): Hiring {
    const h = parseHiring(raw);
    this.hirings.set(String(h.id), h);
    return h;
  }
  /** A hiring arrives (as a pending-list read would bring it). */
  push(raw: Record<string, unknown>): Hiring {
    const h = this.set(raw);
    this.listener.onHirings(this.agent, [h], 'mcp');
    return h;
  }
}

export const worker = { role: 'worker' as const, agent: 'fake', name: 'fake' };
export const operator = { role: 'operator' as const, name: 'op' };

export interface Scripted {
  relay: Relay;
  link: ScriptedLink;
  log: ReturnType<typeof memoryLogger>;
}

export class Relays {
  private relays: Relay[] = [];
  private dirs: string[] = [];

  dir(): string {
    const d = tempDir('relay-scripted-');
    this.dirs.push(d);
    return d;
  }

  async start(
    stateDir: string,
    opts: { review?: 'required' | 'off'; hirings?: Record<string, unknown>[] } = {},
  ): Promise<Scripted> {
    let link: ScriptedLink | undefined;
    const log = memoryLogger('relay');
    const relay = await startRelay({
      agents: [{ name: 'fake', baseUrl: 'http://127.0.0.1:9', apiKey: 'scripted-agent-key-123' }],
      stateDir,
      port: 0,
      env: {},
      durable: false,
      writeRelayFile: false,
      review: opts.review ?? 'required',
      logger: log,
      outboxBackoff: { baseMs: 5, capMs: 20 },
      createLink: (_a, listener) => {
        link = new ScriptedLink(listener);
        for (const h of opts.hirings ?? []) link.set(h);
        return link;
      },
    });
    this.relays.push(relay);
    if (!link) throw new Error('no link');
    return { relay, link, log };
  }

  async stop(relay: Relay): Promise<void> {
    await relay.stop();
    this.relays = this.relays.filter((r) => r !== relay);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.stop()));
    this.relays = [];
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
