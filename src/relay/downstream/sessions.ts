// The open downstream sessions and the fan-out of relay events to them. A
// notification is a signal, never the data: each session subscribed to an
// affected URI gets `notifications/resources/updated` and reads the resource.
// Sends are started for every session at once and never awaited one after the
// other, so a slow or dead client cannot hold up the rest; a session whose send
// fails is dropped. Signals are coalesced: a session hears each URI at most once
// per turn of the event loop, however many changes a burst made — under a burst of
// hirings this keeps the event loop free for the platform's pings.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../../shared/log';
import { describeCaller, type Caller, type RelayEvent } from '../types';
import type { LegacySseTransport } from './legacy-sse';
import { eventVisibleTo, urisForEvent } from './resources';

interface SessionBase {
  id: string;
  caller: Caller;
  server: Server;
  subscriptions: Set<string>;
  /** Last request seen (ms since epoch), for dropping abandoned Streamable HTTP sessions. */
  lastSeenAt: number;
  /** Open GET streams (Streamable HTTP); a session with one is alive however quiet it is. */
  openStreams: number;
}

export type DownstreamSession = SessionBase &
  (
    { kind: 'streamable'; transport: StreamableHTTPServerTransport } | { kind: 'legacy'; transport: LegacySseTransport }
  );

export class SessionRegistry {
  private readonly sessions = new Map<string, DownstreamSession>();
  /** URIs waiting to be signalled, by session id; sent on the next turn of the event loop. */
  private readonly queued = new Map<string, Set<string>>();
  private flushScheduled = false;

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.sessions.size;
  }

  add(session: DownstreamSession): void {
    this.sessions.set(session.id, session);
    this.log.info('session opened', {
      session: session.id,
      kind: session.kind,
      caller: describeCaller(session.caller),
    });
  }

  get(id: string): DownstreamSession | undefined {
    return this.sessions.get(id);
  }

  /** Forgets a session (called when its server closes). */
  remove(id: string): void {
    if (this.sessions.delete(id)) this.log.info('session closed', { session: id });
  }

  /** Closes a session: its transport ends, and the server's onclose removes it. */
  async drop(id: string, why: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.log.warn('dropping session', { session: id, why });
    this.sessions.delete(id);
    await s.server.close().catch(() => undefined);
  }

  /** Streamable HTTP sessions with no open stream and no request for idleMs are abandoned. */
  sweepIdle(idleMs: number, now = Date.now()): void {
    for (const s of this.sessions.values()) {
      if (s.kind === 'streamable' && s.openStreams === 0 && now - s.lastSeenAt > idleMs) {
        void this.drop(s.id, `idle for more than ${Math.round(idleMs / 1000)} s`);
      }
    }
  }

  publish(event: RelayEvent): void {
    const uris = urisForEvent(event);
    for (const s of this.sessions.values()) {
      if (!eventVisibleTo(s.caller, event)) continue;
      for (const uri of uris) {
        if (!s.subscriptions.has(uri)) continue;
        let waiting = this.queued.get(s.id);
        if (!waiting) this.queued.set(s.id, (waiting = new Set()));
        waiting.add(uri);
      }
    }
    if (this.queued.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends every queued signal now (publish schedules this; tests may call it). */
  flush(): void {
    this.flushScheduled = false;
    const batch = [...this.queued];
    this.queued.clear();
    for (const [id, uris] of batch) {
      const s = this.sessions.get(id);
      if (!s) continue;
      for (const uri of uris) {
        s.server.sendResourceUpdated({ uri }).catch((err: unknown) => {
          void this.drop(s.id, `notification failed: ${err instanceof Error ? err.message : String(err)}`);
        });
      }
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.queued.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }
}
