// An in-memory RelayCore for the downstream tests: just enough behaviour to see
// what a client would see (visibility by caller, review queue, events).
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import { isActiveStatus, isTerminalStatus } from '../../src/shared/protocol';
import type { AddMessageArgs, EmitChunkArgs, ReportFailureArgs, SubmitResultArgs } from '../../src/shared/tools';
import { canSee, requireOperator, toView } from '../../src/relay/core/views';
import {
  RelayError,
  type Caller,
  type HiringRecord,
  type HiringSource,
  type HiringView,
  type OutboxEntry,
  type PushPlan,
  type RelayCore,
  type RelayEvent,
  type RelayStatus,
  type Submission,
  type WorkspaceRef,
} from '../../src/relay/types';

const now = () => new Date().toISOString();

export class FakeRelayCore implements RelayCore {
  readonly records = new Map<string, HiringRecord>();
  readonly submissions = new Map<string, Submission>();
  readonly outbox: OutboxEntry[] = [];
  readonly calls: { method: string; caller: Caller }[] = [];
  private readonly listeners = new Set<(e: RelayEvent) => void>();
  private seq = 0;
  /** When set, prepareWorkspace waits for it before finishing (tests hold a call open). */
  workspaceGate?: Promise<void>;
  /** When set, the next call of this method throws it. */
  failNext?: { method: string; error: Error };

  addHiring(agent: string, raw: Record<string, unknown>): Hiring {
    const hiring = parseHiring({ status: 'in_progress', task_description: 'Fix the bug', ...raw });
    const id = String(hiring.id);
    this.records.set(id, {
      agent,
      hiring,
      phase: 'new',
      firstSeenAt: now(),
      updatedAt: now(),
      chunks: [],
      relayMessages: [],
      submissions: [],
    });
    this.emit({ type: 'hiring', agent, hiringId: id });
    return hiring;
  }

  emit(event: RelayEvent): void {
    for (const l of this.listeners) l(event);
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  private note(method: string, caller: Caller): void {
    this.calls.push({ method, caller });
    if (this.failNext?.method === method) {
      const e = this.failNext.error;
      this.failNext = undefined;
      throw e;
    }
  }

  private visible(caller: Caller, agent: string): boolean {
    return canSee(caller, agent);
  }

  private record(caller: Caller, id: string): HiringRecord {
    const r = this.records.get(id);
    if (!r || !this.visible(caller, r.agent)) {
      throw new RelayError(`hiring ${id} is not known to the relay for this agent`, 'not_found');
    }
    return r;
  }

  private view(r: HiringRecord): HiringView {
    return toView(structuredClone(r));
  }

  listActive(caller: Caller): HiringView[] {
    return [...this.records.values()]
      .filter((r) => this.visible(caller, r.agent) && isActiveStatus(r.hiring.status))
      .map((r) => this.view(r));
  }

  listAll(caller: Caller): HiringView[] {
    return [...this.records.values()].filter((r) => this.visible(caller, r.agent)).map((r) => this.view(r));
  }

  getHiring(caller: Caller, id: string): HiringView {
    return this.view(this.record(caller, id));
  }

  async claim(caller: Caller, hiringId: string): Promise<HiringView> {
    this.note('claim', caller);
    const r = this.record(caller, hiringId);
    if (r.claimedBy && r.claimedBy !== caller.name) {
      throw new RelayError(`hiring ${hiringId} is already claimed by ${r.claimedBy}`, 'conflict');
    }
    r.claimedBy = caller.name;
    r.phase = 'claimed';
    this.emit({ type: 'hiring', agent: r.agent, hiringId });
    return this.view(r);
  }

  private submit(caller: Caller, hiringId: string, fields: Partial<Submission> & Pick<Submission, 'kind'>): Submission {
    const r = this.record(caller, hiringId);
    if (isTerminalStatus(r.hiring.status)) {
      throw new RelayError(`hiring ${hiringId} is already ${r.hiring.status}`, 'conflict');
    }
    const sub: Submission = {
      id: `sub-${++this.seq}`,
      agent: r.agent,
      hiringId,
      submittedBy: caller.name,
      state: 'awaiting_review',
      createdAt: now(),
      ...fields,
    };
    this.submissions.set(sub.id, sub);
    r.submissions.push(sub.id);
    r.phase = 'awaiting_review';
    this.emit({ type: 'review', submissionId: sub.id });
    this.emit({ type: 'hiring', agent: r.agent, hiringId });
    return structuredClone(sub);
  }

  async submitResult(caller: Caller, args: SubmitResultArgs, push?: Partial<PushPlan>): Promise<Submission> {
    this.note('submitResult', caller);
    const plan =
      push && Object.keys(push).length > 0
        ? { commitMessage: '', openPullRequest: false, summary: '', ...push }
        : undefined;
    return this.submit(caller, args.hiring_id, { kind: 'result', result: args, ...(plan ? { push: plan } : {}) });
  }

  async reportFailure(caller: Caller, args: ReportFailureArgs): Promise<Submission> {
    this.note('reportFailure', caller);
    return this.submit(caller, args.hiring_id, { kind: 'failure', failure: args });
  }

  private enqueue(
    caller: Caller,
    tool: OutboxEntry['tool'],
    hiringId: string,
    args: Record<string, unknown>,
  ): OutboxEntry {
    const r = this.record(caller, hiringId);
    const entry: OutboxEntry = {
      key: `key-${++this.seq}`,
      agent: r.agent,
      hiringId,
      tool,
      args,
      state: 'pending',
      attempts: 0,
      createdAt: now(),
    };
    this.outbox.push(entry);
    return entry;
  }

  async addMessage(caller: Caller, args: AddMessageArgs): Promise<OutboxEntry> {
    this.note('addMessage', caller);
    return this.enqueue(caller, 'add_hiring_message', args.hiring_id, args);
  }

  async emitChunk(caller: Caller, args: EmitChunkArgs): Promise<OutboxEntry> {
    this.note('emitChunk', caller);
    const entry = this.enqueue(caller, 'task_emit_chunk', args.hiring_id, args);
    this.record(caller, args.hiring_id).chunks.push({ content: args.content, kind: args.kind, at: now() });
    return entry;
  }

  async prepareWorkspace(caller: Caller, hiringId: string, onProgress?: (msg: string) => void): Promise<WorkspaceRef> {
    this.note('prepareWorkspace', caller);
    const r = this.record(caller, hiringId);
    if (r.hiring.delivery_mode !== 'push') {
      throw new RelayError(`hiring ${hiringId} is in output mode and has no repository`, 'invalid');
    }
    onProgress?.('cloning the repository');
    if (this.workspaceGate) await this.workspaceGate;
    onProgress?.('creating the branch');
    const ws: WorkspaceRef = {
      dir: `/tmp/ws/${hiringId}`,
      branch: `agrenting/${hiringId}`,
      baseBranch: 'main',
      baseSha: 'abc123',
    };
    r.workspace = ws;
    onProgress?.('workspace ready');
    return ws;
  }

  reviewQueue(caller: Caller): Submission[] {
    return [...this.submissions.values()].filter((s) => this.visible(caller, s.agent)).map((s) => structuredClone(s));
  }

  private decide(caller: Caller, submissionId: string, action: string): Submission {
    requireOperator(caller, action);
    const s = this.submissions.get(submissionId);
    if (!s) throw new RelayError(`submission ${submissionId} does not exist`, 'not_found');
    if (s.state !== 'awaiting_review') {
      throw new RelayError(`submission ${submissionId} was already ${s.state}`, 'conflict');
    }
    return s;
  }

  async approve(caller: Caller, submissionId: string): Promise<Submission> {
    this.note('approve', caller);
    const s = this.decide(caller, submissionId, 'approve submissions');
    s.state = 'approved';
    s.decidedAt = now();
    this.emit({ type: 'review', submissionId });
    return structuredClone(s);
  }

  async reject(caller: Caller, submissionId: string, feedback: string): Promise<Submission> {
    this.note('reject', caller);
    const s = this.decide(caller, submissionId, 'reject submissions');
    s.state = 'rejected';
    s.feedback = feedback;
    s.decidedAt = now();
    const r = this.records.get(s.hiringId);
    r?.relayMessages.push({ content: feedback, from: 'review', at: now() });
    this.emit({ type: 'review', submissionId });
    if (r) this.emit({ type: 'hiring', agent: r.agent, hiringId: s.hiringId });
    return structuredClone(s);
  }

  status(): RelayStatus {
    const counts = { new: 0, claimed: 0, awaiting_review: 0, delivering: 0, done: 0, failed: 0 };
    for (const r of this.records.values()) counts[r.phase] += 1;
    return {
      version: '0.1.0-test',
      startedAt: '2026-11-24T10:00:00.000Z',
      review: 'required',
      links: [
        { agent: 'alpha', state: 'connected', reconnects: 0 },
        { agent: 'beta', state: 'offline', reconnects: 2 },
      ],
      counts,
      reviewsWaiting: [...this.submissions.values()].filter((s) => s.state === 'awaiting_review').length,
      outboxPending: this.outbox.length,
    };
  }

  async systemPrompt(caller: Caller): Promise<string> {
    this.note('systemPrompt', caller);
    return 'You are an agent working Agrenting hirings.';
  }

  async ingest(agent: string, hirings: Hiring[], _source: HiringSource): Promise<void> {
    for (const h of hirings) this.addHiring(agent, h as Record<string, unknown>);
  }

  subscribe(listener: (event: RelayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
