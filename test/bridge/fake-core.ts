// An in-memory RelayCore for bridge tests: a store that dedupes by hiring id, claims, and a
// review queue that records what the bridge submits. Only what the bridge calls is real.
import { randomUUID } from 'node:crypto';
import type { Hiring } from '../../src/shared/hiring';
import type { ReportFailureArgs, SubmitResultArgs } from '../../src/shared/tools';
import {
  RelayError,
  type Caller,
  type HiringRecord,
  type HiringSource,
  type HiringView,
  type RelayCore,
  type RelayEvent,
  type RelayStatus,
  type Submission,
} from '../../src/relay/types';
import { toView } from '../../src/relay/core/views';

export class FakeCore implements RelayCore {
  readonly records = new Map<string, HiringRecord>();
  readonly ingests: { agent: string; ids: string[]; source: HiringSource }[] = [];
  readonly submissions: Submission[] = [];
  private readonly listeners = new Set<(e: RelayEvent) => void>();
  /** The next submitResult/reportFailure calls fail like a relay that is shutting down. */
  unavailableTimes = 0;

  private view(r: HiringRecord): HiringView {
    return toView(r);
  }

  private record(caller: Caller, id: string): HiringRecord {
    const r = this.records.get(id);
    if (!r) throw new RelayError(`Hiring ${id} is not known to the relay.`, 'not_found');
    if (caller.role === 'worker' && caller.agent !== r.agent) {
      throw new RelayError(`Hiring ${id} is not yours.`, 'forbidden');
    }
    return r;
  }

  async ingest(agent: string, hirings: Hiring[], source: HiringSource): Promise<void> {
    this.ingests.push({ agent, ids: hirings.map((h) => String(h.id)), source });
    for (const h of hirings) {
      const id = String(h.id);
      const now = new Date().toISOString();
      const prev = this.records.get(id);
      this.records.set(
        id,
        prev
          ? { ...prev, hiring: h, updatedAt: now }
          : {
              agent,
              hiring: h,
              phase: 'new',
              firstSeenAt: now,
              updatedAt: now,
              chunks: [],
              relayMessages: [],
              submissions: [],
            },
      );
      if (!prev) this.emit({ type: 'hiring', agent, hiringId: id });
    }
  }

  listActive(caller: Caller): HiringView[] {
    return this.listAll(caller).filter((v) => v.phase !== 'done' && v.phase !== 'failed');
  }
  listAll(caller: Caller): HiringView[] {
    return [...this.records.values()]
      .filter((r) => caller.role === 'operator' || r.agent === caller.agent)
      .map((r) => this.view(r));
  }
  getHiring(caller: Caller, id: string): HiringView {
    return this.view(this.record(caller, id));
  }
  async claim(caller: Caller, hiringId: string): Promise<HiringView> {
    const r = this.record(caller, hiringId);
    if (r.claimedBy && r.claimedBy !== caller.name) {
      throw new RelayError(`Hiring ${hiringId} is claimed by ${r.claimedBy}.`, 'conflict');
    }
    r.claimedBy = caller.name;
    r.phase = 'claimed';
    return this.view(r);
  }
  private add(
    caller: Caller,
    hiringId: string,
    s: Omit<Submission, 'id' | 'agent' | 'hiringId' | 'submittedBy' | 'state' | 'createdAt'>,
  ): Submission {
    const r = this.record(caller, hiringId);
    if (this.unavailableTimes > 0) {
      this.unavailableTimes--;
      throw new RelayError('The relay is stopping; try again.', 'unavailable');
    }
    const sub: Submission = {
      id: randomUUID(),
      agent: r.agent,
      hiringId,
      submittedBy: caller.name,
      state: 'awaiting_review',
      createdAt: new Date().toISOString(),
      ...s,
    };
    this.submissions.push(sub);
    r.submissions.push(sub.id);
    r.phase = 'awaiting_review';
    this.emit({ type: 'review', submissionId: sub.id });
    return sub;
  }
  async submitResult(caller: Caller, args: SubmitResultArgs): Promise<Submission> {
    return this.add(caller, args.hiring_id, { kind: 'result', result: args });
  }
  async reportFailure(caller: Caller, args: ReportFailureArgs): Promise<Submission> {
    return this.add(caller, args.hiring_id, { kind: 'failure', failure: args });
  }
  /** What the real core does on reject: feedback as a relay-local message, the hiring back to claimed. */
  rejectLatest(hiringId: string, feedback: string): Submission {
    const sub = [...this.submissions].reverse().find((s) => s.hiringId === hiringId);
    const r = this.records.get(hiringId);
    if (!sub || !r) throw new Error(`nothing to reject for ${hiringId}`);
    sub.state = 'rejected';
    sub.feedback = feedback;
    r.relayMessages.push({ content: feedback, from: 'review', at: new Date().toISOString() });
    r.phase = r.claimedBy ? 'claimed' : 'new';
    this.emit({ type: 'hiring', agent: r.agent, hiringId });
    return sub;
  }

  /** The platform ended the hiring (cancelled by the hirer, or delivered). */
  finish(hiringId: string, phase: 'done' | 'failed'): void {
    const r = this.records.get(hiringId);
    if (!r) throw new Error(`no ${hiringId}`);
    r.phase = phase;
    this.emit({ type: 'hiring', agent: r.agent, hiringId });
  }

  reviewQueue(): Submission[] {
    return this.submissions.filter((s) => s.state === 'awaiting_review');
  }
  subscribe(listener: (event: RelayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private emit(e: RelayEvent): void {
    for (const l of this.listeners) l(e);
  }

  // Not used by the bridge.
  addMessage(): never {
    throw new RelayError('not in the fake', 'unavailable');
  }
  emitChunk(): never {
    throw new RelayError('not in the fake', 'unavailable');
  }
  prepareWorkspace(): never {
    throw new RelayError('not in the fake', 'unavailable');
  }
  approve(): never {
    throw new RelayError('not in the fake', 'unavailable');
  }
  reject(): never {
    throw new RelayError('not in the fake', 'unavailable');
  }
  systemPrompt(): Promise<string> {
    return Promise.resolve('');
  }
  status(): RelayStatus {
    return {
      version: 'test',
      startedAt: '',
      review: 'required',
      links: [],
      counts: { new: 0, claimed: 0, awaiting_review: 0, delivering: 0, done: 0, failed: 0 },
      reviewsWaiting: 0,
      outboxPending: 0,
    };
  }
}
