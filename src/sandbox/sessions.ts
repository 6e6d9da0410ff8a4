// All open MCP sessions: opening streams (the `endpoint` event), the knob-driven
// timers (keep-alive comments, periodic ping, session expiry), fan-out of
// `notifications/resources/updated` to the subscribed sessions of an agent, and
// the memory of expired sessions so their POSTs answer 404 or 410.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { hiringUri, PENDING_URI } from '../shared/protocol';
import type { Logger } from '../shared/log';
import type { Knobs } from './knobs';
import { FaultDice } from './limits';
import { McpSession } from './mcp-session';
import { MESSAGES_PREFIX } from './mcp-transport';
import type { HiringEvent } from './store';
import type { SessionView } from './types';

export type SessionEvent =
  | { type: 'opened'; id: string; agentId: string }
  | { type: 'closed'; id: string; agentId: string; reason: string }
  | { type: 'ping'; id: string; agentId: string; ok: boolean; detail: string };

export type SessionLookup =
  { kind: 'live'; session: McpSession } | { kind: 'expired'; status: 404 | 410 } | { kind: 'unknown' };

const KNOBS_THAT_RESCHEDULE: readonly string[] = [
  'keepAliveMs',
  'ping',
  'pingIntervalMs',
  'sessionExpiry',
  'sessionTtlMs',
];

export class SessionRegistry {
  readonly events = new EventEmitter();
  private readonly live = new Map<string, McpSession>();
  private readonly expired = new Map<string, 404 | 410>();
  /** Forgotten sessions whose stream is still open; destroyed on shutdown. */
  private readonly zombies = new Set<McpSession>();
  private readonly dropDice: FaultDice;
  private readonly duplicateDice: FaultDice;

  constructor(
    private readonly knobs: Knobs,
    knobChanges: EventEmitter,
    private readonly log: Logger,
  ) {
    this.events.setMaxListeners(0);
    this.dropDice = new FaultDice(() => knobs.faultSeed);
    this.duplicateDice = new FaultDice(() => knobs.faultSeed + 1);
    knobChanges.on('change', (name: string) => {
      if (KNOBS_THAT_RESCHEDULE.includes(name)) for (const s of this.live.values()) this.schedule(s);
    });
  }

  /** Opens a session on an SSE response and sends the `endpoint` event. */
  open(res: ServerResponse, agentId: string, origin: string): McpSession {
    const id = randomUUID();
    const session = new McpSession(id, agentId, res, {
      knobs: this.knobs,
      dropDice: this.dropDice,
      duplicateDice: this.duplicateDice,
      onClosed: (s, reason) => this.onClosed(s, reason),
    });
    this.live.set(id, session);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const path = `${MESSAGES_PREFIX}${id}`;
    session.writeEvent('endpoint', this.knobs.endpointEvent === 'absolute' ? `${origin}${path}` : path);
    this.schedule(session);
    this.log.info('MCP session opened', { session: id, agent: agentId });
    this.events.emit('session', { type: 'opened', id, agentId } satisfies SessionEvent);
    return session;
  }

  lookup(id: string): SessionLookup {
    const s = this.live.get(id);
    if (s?.alive) return { kind: 'live', session: s };
    const status = this.expired.get(id);
    return status ? { kind: 'expired', status } : { kind: 'unknown' };
  }

  forAgent(agentId?: string): McpSession[] {
    return [...this.live.values()].filter((s) => s.alive && (agentId === undefined || s.agentId === agentId));
  }

  views(): SessionView[] {
    return this.forAgent().map((s) => ({
      id: s.id,
      agentId: s.agentId,
      openedAt: s.openedAt.toISOString(),
      initialized: s.initialized,
      subscriptions: [...s.subscriptions],
    }));
  }

  /** Tells every subscribed session of the hiring's agent that its resources changed. */
  onHiringChanged(event: HiringEvent): void {
    if (!event.dispatched) return;
    for (const s of this.forAgent(event.agentId)) {
      if (s.subscriptions.has(PENDING_URI)) s.notify('notifications/resources/updated', { uri: PENDING_URI });
      const uri = hiringUri(event.id);
      if (s.subscriptions.has(uri)) s.notify('notifications/resources/updated', { uri });
    }
  }

  /** Ends the streams (as a platform restart would). Returns how many were dropped. */
  drop(agentId?: string): number {
    const sessions = this.forAgent(agentId);
    for (const s of sessions) s.end('dropped by the sandbox');
    return sessions.length;
  }

  closeAll(): void {
    for (const s of this.live.values()) s.end('sandbox shutting down');
    for (const z of this.zombies) z.destroy();
    this.zombies.clear();
  }

  private schedule(s: McpSession): void {
    const k = this.knobs;
    if (k.keepAliveMs > 0) s.setTimer('keepalive', k.keepAliveMs, () => s.comment('keep-alive'), true);
    else s.clearTimer('keepalive');

    if (k.ping === 'interval' && k.pingIntervalMs > 0) {
      s.setTimer('ping', k.pingIntervalMs, () => void this.periodicPing(s), true);
    } else s.clearTimer('ping');

    if (k.sessionExpiry === 'none') s.clearTimer('expiry');
    else {
      const left = Math.max(0, s.openedAt.getTime() + k.sessionTtlMs - Date.now());
      s.setTimer('expiry', left, () => this.expire(s), false);
    }
  }

  private expire(s: McpSession): void {
    const mode = this.knobs.sessionExpiry;
    this.log.info('MCP session expired', { session: s.id, agent: s.agentId, mode });
    if (mode === 'drop') return s.end('expired: stream dropped');
    if (mode === '404' || mode === '410') {
      this.expired.set(s.id, mode === '404' ? 404 : 410);
      this.zombies.add(s);
      s.detach(`expired: POSTs answer ${mode}`);
    }
  }

  private async periodicPing(s: McpSession): Promise<void> {
    let ok = true;
    let detail = 'answered';
    try {
      await s.request('ping', undefined, this.knobs.probeBudgetMs);
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
    }
    this.events.emit('session', { type: 'ping', id: s.id, agentId: s.agentId, ok, detail } satisfies SessionEvent);
  }

  private onClosed(s: McpSession, reason: string): void {
    if (this.live.get(s.id) === s) this.live.delete(s.id);
    this.log.info('MCP session closed', { session: s.id, agent: s.agentId, reason });
    this.events.emit('session', { type: 'closed', id: s.id, agentId: s.agentId, reason } satisfies SessionEvent);
  }
}
