// Hirings in: turns `notifications/resources/updated` into coalesced reads of
// hiring://pending (or of one hiring), polls the REST list, parses leniently
// (the good ones go on, the bad ones are logged) and registers every repository
// token as a secret before anything can log the hiring.
import type { Hiring } from '../../shared/hiring';
import { parseHiring, parseHiringList } from '../../shared/hiring';
import type { Logger } from '../../shared/log';
import { PENDING_URI, hiringUri, parseHiringUri } from '../../shared/protocol';
import { registerSecret } from '../../shared/redact';
import type { HiringSource, UpstreamListener } from '../types';
import { deepEqual } from '../inbox/equal';
import { Coalescer } from './coalesce';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AgrentingRest } from './rest';
import type { McpSession } from './session';

/** Hirings parsed and handed on per turn of the event loop (see `handList`). */
const HAND_SLICE = 100;

export interface IntakeOptions {
  agent: string;
  listener: UpstreamListener;
  log: Logger;
  rest: AgrentingRest;
  /** The live session, if any. */
  session: () => McpSession | undefined;
  /** A hiring named the platform's agent id. */
  onAgentId: (id: string) => void;
}

export class HiringIntake {
  private readonly pendingReader = new Coalescer(() => this.readPending());
  private readonly restPoller = new Coalescer(() => this.pollRest());
  private readonly hiringReaders = new Map<string, Coalescer>();
  /**
   * Each hiring of the last hiring://pending read, as the platform sent it, by id. A hiring equal
   * to its last read is neither parsed nor handed on again: during a burst every notification
   * re-reads the whole list, and re-validating (or re-serialising) all of it each time made the
   * relay's work per notification grow with what it holds, not with what changed.
   */
  private lastPending = new Map<string, unknown>();

  constructor(private readonly opts: IntakeOptions) {}

  /** Reads hiring://pending now, or once more after the read in flight. */
  readPendingSoon(): Promise<void> {
    return this.pendingReader.trigger();
  }

  /** Lists GET /api/v1/hirings/pending now, or once more after the poll in flight. */
  pollRestSoon(): Promise<void> {
    return this.restPoller.trigger();
  }

  onResourceUpdated(uri: string): void {
    this.opts.log.debug('resource updated', { uri });
    if (uri === PENDING_URI) {
      void this.pendingReader.trigger();
      return;
    }
    const id = parseHiringUri(uri);
    if (!id) return;
    let reader = this.hiringReaders.get(id);
    if (!reader) {
      reader = new Coalescer(() => this.readOne(id));
      this.hiringReaders.set(id, reader);
    }
    void reader.trigger().finally(() => {
      if (!this.hiringReaders.get(id)?.busy) this.hiringReaders.delete(id);
    });
  }

  /** Forgets what the last reads said, so the next read hands on every hiring (after a reconnect). */
  resync(): void {
    this.lastPending.clear();
  }

  /** Registers the repository token before anything can log the hiring; learns the agent id. */
  seen(h: Hiring): Hiring {
    registerSecret(h.repo_access_token);
    const nested = h.task_input.repo_access_token;
    if (typeof nested === 'string') registerSecret(nested);
    if (h.agent_id) this.opts.onAgentId(h.agent_id);
    return h;
  }

  private async readPending(): Promise<void> {
    const s = this.opts.session();
    if (!s?.alive) return;
    this.opts.log.debug('reading hiring://pending');
    try {
      await this.handList(this.changedSinceLastRead(JSON.parse(await s.readText(PENDING_URI))), 'mcp');
    } catch (e) {
      this.opts.log.warn('reading hiring://pending failed', { error: (e as Error).message });
    }
  }

  private async readOne(id: string): Promise<void> {
    const s = this.opts.session();
    if (!s?.alive) return;
    try {
      this.hand([this.seen(parseHiring(JSON.parse(await s.readText(hiringUri(id)))))], 'mcp');
    } catch (e) {
      this.opts.log.warn('reading one hiring failed', { hiring: id, error: (e as Error).message });
    }
  }

  private async pollRest(): Promise<void> {
    try {
      const { hirings, errors } = await this.opts.rest.listPending();
      for (const err of errors) this.opts.log.warn('skipped a malformed hiring', { source: 'rest', error: err });
      this.hand(
        hirings.map((h) => this.seen(h)),
        'rest',
      );
    } catch (e) {
      this.opts.log.warn('GET /api/v1/hirings/pending failed', { error: (e as Error).message });
    }
  }

  /**
   * The items of a pending list that are new or changed since the last read (anything else as it
   * is). A hiring that was in the last read and is not in this one has moved on (completed,
   * cancelled, failed): the listener is told, to re-read it, instead of it lingering as work.
   */
  private changedSinceLastRead(raw: unknown): unknown {
    if (!Array.isArray(raw)) return raw;
    const current = new Map<string, unknown>();
    const changed: unknown[] = [];
    for (const item of raw) {
      const id = item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
      if (typeof id !== 'string' && typeof id !== 'number') {
        changed.push(item); // parseHiringList reports it
        continue;
      }
      const key = String(id);
      current.set(key, item);
      const last = this.lastPending.get(key);
      if (last === undefined || !deepEqual(last, item)) changed.push(item);
    }
    const vanished: string[] = [];
    for (const id of this.lastPending.keys()) if (!current.has(id)) vanished.push(id);
    this.lastPending = current;
    if (vanished.length > 0) this.opts.listener.onVanished?.(this.opts.agent, vanished);
    return changed;
  }

  /**
   * Parses and hands on a list, HAND_SLICE hirings per turn of the event loop: validating a
   * thousand new hirings at once held the loop for a tenth of a second, pings included.
   */
  private async handList(raw: unknown, source: HiringSource): Promise<void> {
    if (Array.isArray(raw) && raw.length > HAND_SLICE) {
      for (let i = 0; i < raw.length; i += HAND_SLICE) {
        if (i > 0) await nextTurn();
        this.handSlice(raw.slice(i, i + HAND_SLICE), source);
      }
      return;
    }
    this.handSlice(raw, source);
  }

  private handSlice(raw: unknown, source: HiringSource): void {
    const { hirings, errors } = parseHiringList(raw);
    for (const err of errors) this.opts.log.warn('skipped a malformed hiring', { source, error: err });
    this.hand(
      hirings.map((h) => this.seen(h)),
      source,
    );
  }

  private hand(hirings: Hiring[], source: HiringSource): void {
    try {
      this.opts.listener.onHirings(this.opts.agent, hirings, source);
    } catch (e) {
      this.opts.log.error('the hiring listener failed', { error: (e as Error).message });
    }
  }
}
