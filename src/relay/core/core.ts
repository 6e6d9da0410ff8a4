// The relay core as its clients see it (RelayCore): hirings from the store,
// claims, submissions through review to the outbox, relay-local feedback,
// workspaces. Submissions' life after creation lives in ./submissions.ts.
import { randomUUID } from 'node:crypto';
import type { Hiring } from '../../shared/hiring';
import { idSample, type Logger } from '../../shared/log';
import { TOOL } from '../../shared/protocol';
import { safeError } from '../../shared/redact';
import type { AddMessageArgs, EmitChunkArgs, ReportFailureArgs, SubmitResultArgs } from '../../shared/tools';
import type { HiringStore } from '../inbox/store';
import {
  RelayError,
  type Caller,
  type HiringRecord,
  type HiringSource,
  type HiringView,
  type OutboxEntry,
  type PendingChanges,
  type PushPlan,
  type RelayCore,
  type RelayEvent,
  type RelayStatus,
  type Submission,
  type WorkspaceRef,
} from '../types';
import type { Outbox } from '../inbox/outbox';
import type { ReviewQueue } from '../inbox/review';
import type { LinkDirectory, PushDelivery } from './ports';
import { ChangeFeed } from './change-feed';
import { Submissions } from './submissions';
import { hiringWithToken } from './token';
import { canSee, countPhases, isFinished, requireOperator, toView } from './views';
import { Emitter } from '../../shared/emitter';
import type { ReviewMode } from '../../shared/constants';

export interface CoreOptions {
  store: HiringStore;
  queue: ReviewQueue;
  outbox: Outbox;
  links: LinkDirectory;
  push: PushDelivery;
  review: ReviewMode;
  workspaceRoot: string;
  version: string;
  logger: Logger;
  now?: () => Date;
}

export class Core implements RelayCore {
  readonly startedAt: string;
  private readonly events = new Emitter<RelayEvent>((e) =>
    this.log.error('a relay event listener failed', { error: e }),
  );
  private readonly submitting = new Set<string>();
  /** What changed since a cursor: hiring://pending?since=<cursor>. */
  private readonly feed: ChangeFeed;
  protected readonly log: Logger;
  private readonly now: () => Date;
  protected readonly submissions: Submissions;

  constructor(private readonly o: CoreOptions) {
    this.now = o.now ?? (() => new Date());
    this.startedAt = this.now().toISOString();
    this.log = o.logger;
    this.feed = new ChangeFeed((id) => o.store.get(id) !== undefined);
    o.store.onChange((c) => {
      this.emit({ type: 'hiring', agent: c.agent, hiringId: c.hiringId });
      this.emit({ type: 'pending', agent: c.agent });
      this.emit({ type: 'status' });
    });
    o.queue.onChange((s) => this.emit({ type: 'review', submissionId: s.id }));
    this.submissions = new Submissions({
      store: o.store,
      queue: o.queue,
      outbox: o.outbox,
      links: o.links,
      push: o.push,
      logger: o.logger,
      workspaceRoot: o.workspaceRoot,
    });
  }

  // ───────────── reading ─────────────

  listActive(caller: Caller): HiringView[] {
    const agent = caller.role === 'worker' ? caller.agent : undefined;
    return this.o.store
      .active(agent)
      .filter((r) => !isFinished(r.phase) && canSee(caller, r.agent, r.hiring.id))
      .map(toView);
  }

  /**
   * The active hirings changed since the cursor and the ids that stopped being active (done,
   * failed, forgotten): what a client needs to keep its copy of hiring://pending current. An
   * unusable cursor (empty, from before a restart) gets the whole list with `reset`.
   */
  pendingSince(caller: Caller, cursor: string): PendingChanges {
    const changes = this.feed.since(cursor);
    if (changes.reset) return { cursor: changes.cursor, reset: true, hirings: this.listActive(caller), removed: [] };
    const hirings: HiringView[] = [];
    const removed: string[] = [];
    for (const { id, agent } of changes.ids) {
      if (!canSee(caller, agent, id)) continue;
      const rec = this.o.store.get(id);
      if (rec && !isFinished(rec.phase) && rec.agent === agent) hirings.push(toView(rec));
      else removed.push(id);
    }
    return { cursor: changes.cursor, reset: false, hirings, removed };
  }

  listAll(caller: Caller): HiringView[] {
    const agent = caller.role === 'worker' ? caller.agent : undefined;
    return this.o.store
      .list(agent)
      .filter((r) => canSee(caller, r.agent, r.hiring.id))
      .map(toView);
  }

  getHiring(caller: Caller, id: string): HiringView {
    return toView(this.visible(caller, id));
  }

  status(): RelayStatus {
    return {
      version: this.o.version,
      startedAt: this.startedAt,
      review: this.o.review,
      links: this.o.links.all().map((l) => l.status()),
      counts: countPhases(this.o.store.list()),
      reviewsWaiting: this.o.queue.waiting(),
      outboxPending: this.o.outbox.entries.pendingCount(),
    };
  }

  reviewQueue(caller: Caller): Submission[] {
    return this.o.queue.list('awaiting_review').filter((s) => canSee(caller, s.agent));
  }

  async systemPrompt(caller: Caller): Promise<string> {
    const link = caller.role === 'worker' ? this.o.links.get(caller.agent) : this.o.links.all()[0];
    if (!link) throw new RelayError('No agent is connected, so there is no system prompt to show.', 'unavailable');
    try {
      return await link.systemPrompt();
    } catch (e) {
      throw new RelayError(
        safeError(e, `Agrenting did not return the system prompt for agent ${link.agent}`).message,
        'unavailable',
      );
    }
  }

  subscribe(listener: (event: RelayEvent) => void): () => void {
    return this.events.on(listener);
  }

  // ───────────── input ─────────────

  async ingest(agent: string, hirings: Hiring[], source: HiringSource): Promise<void> {
    if (hirings.length === 0) return;
    const { added, changed } = await this.o.store.upsert(agent, hirings, source);
    if (added.length > 0) this.log.info('new hirings', { agent, source, ...idSample(added) });
    if (changed.length > 0) this.log.debug('hirings changed', { agent, source, ...idSample(changed) });
  }

  // ───────────── work ─────────────

  /**
   * Answers only once the claim is in the journal: a worker told it holds a hiring keeps it across a crash.
   * The store takes the claim in memory before its first await, so a second claimer already sees a conflict.
   */
  async claim(caller: Caller, hiringId: string): Promise<HiringView> {
    const rec = this.visible(caller, hiringId);
    this.checkClaim(caller, rec);
    // The operator may look at someone else's claim without taking it over.
    if (!rec.claimedBy) {
      await this.o.store.claim(hiringId, caller.name);
      this.log.info('hiring claimed', { hiring: hiringId, by: caller.name });
    }
    return toView(this.o.store.get(hiringId) ?? rec);
  }

  async submitResult(caller: Caller, args: SubmitResultArgs, push?: Partial<PushPlan>): Promise<Submission> {
    return this.oneAtATime(args.hiring_id, async () => {
      const rec = await this.readyToSubmit(caller, args.hiring_id);
      const plan = rec.hiring.delivery_mode === 'push' ? this.pushPlan(rec, args, push) : undefined;
      return this.submissions.create(
        { ...this.owner(caller, rec), kind: 'result', result: args, ...(plan ? { push: plan } : {}) },
        this.o.review,
      );
    });
  }

  async reportFailure(caller: Caller, args: ReportFailureArgs): Promise<Submission> {
    return this.oneAtATime(args.hiring_id, async () => {
      const rec = await this.readyToSubmit(caller, args.hiring_id);
      return this.submissions.create({ ...this.owner(caller, rec), kind: 'failure', failure: args }, this.o.review);
    });
  }

  /** Two submissions racing for one hiring: the second is told to wait, never both queued. */
  private async oneAtATime<T>(hiringId: string, fn: () => Promise<T>): Promise<T> {
    if (this.submitting.has(hiringId)) {
      throw new RelayError(
        `Hiring ${hiringId} is receiving another submission right now; wait for it to be decided.`,
        'conflict',
      );
    }
    this.submitting.add(hiringId);
    try {
      return await fn();
    } finally {
      this.submitting.delete(hiringId);
    }
  }

  async addMessage(caller: Caller, args: AddMessageArgs): Promise<OutboxEntry> {
    const rec = this.visible(caller, args.hiring_id);
    return this.o.outbox.enqueue({
      key: `msg-${randomUUID()}`,
      agent: rec.agent,
      hiringId: rec.hiring.id,
      tool: TOOL.addMessage,
      args,
    });
  }

  async emitChunk(caller: Caller, args: EmitChunkArgs): Promise<OutboxEntry> {
    const rec = this.visible(caller, args.hiring_id);
    await this.o.store.addChunk(rec.hiring.id, { content: args.content, kind: args.kind });
    return this.o.outbox.enqueue({
      key: `chunk-${randomUUID()}`,
      agent: rec.agent,
      hiringId: rec.hiring.id,
      tool: TOOL.emitChunk,
      args,
    });
  }

  async prepareWorkspace(caller: Caller, hiringId: string, onProgress?: (msg: string) => void): Promise<WorkspaceRef> {
    const rec = this.visible(caller, hiringId);
    if (rec.hiring.delivery_mode !== 'push') {
      throw new RelayError(
        `Hiring ${hiringId} is an output-mode hiring: there is no repository to prepare. Submit the result as output.`,
        'invalid',
      );
    }
    if (isFinished(rec.phase)) {
      throw new RelayError(
        `Hiring ${hiringId} is already ${rec.phase}; its workspace is no longer needed.`,
        'conflict',
      );
    }
    this.checkClaim(caller, rec);
    if (!rec.claimedBy) await this.o.store.claim(hiringId, caller.name);
    const hiring = await hiringWithToken(this.o.store, this.o.links, rec);
    const token = hiring.repo_access_token;
    if (!token) {
      throw new RelayError(
        `Agrenting gave no repository token for push-mode hiring ${hiringId}; it cannot be cloned.`,
        'unavailable',
      );
    }
    let ws: WorkspaceRef;
    try {
      ws = await this.o.push.prepareWorkspace({ root: this.o.workspaceRoot, hiring, onProgress });
    } catch (e) {
      throw new RelayError(
        safeError(e, `Preparing the workspace for hiring ${hiringId} failed`).message,
        'unavailable',
      );
    }
    await this.o.store.setWorkspace(hiringId, ws);
    this.log.info('workspace ready', { hiring: hiringId, dir: ws.dir, branch: ws.branch });
    return ws;
  }

  // ───────────── review ─────────────

  async approve(caller: Caller, submissionId: string): Promise<Submission> {
    requireOperator(caller, 'approve submissions');
    return this.submissions.approve(submissionId, caller.name);
  }

  async reject(caller: Caller, submissionId: string, feedback: string): Promise<Submission> {
    requireOperator(caller, 'reject submissions');
    return this.submissions.reject(submissionId, caller.name, feedback);
  }

  // ───────────── helpers ─────────────

  protected emit(event: RelayEvent): void {
    if (event.type === 'hiring') this.feed.record(event.hiringId, event.agent);
    this.events.emit(event);
  }

  private visible(caller: Caller, id: string): HiringRecord {
    const rec = typeof id === 'string' && id ? this.o.store.get(id) : undefined;
    // A worker never learns that another agent's hiring exists.
    if (!rec || !canSee(caller, rec.agent, id)) throw new RelayError(`Unknown hiring ${id}.`, 'not_found');
    return rec;
  }

  private checkClaim(caller: Caller, rec: HiringRecord): void {
    if (isFinished(rec.phase)) {
      throw new RelayError(
        `Hiring ${rec.hiring.id} is already ${rec.phase === 'done' ? 'completed' : 'failed'}.`,
        'conflict',
      );
    }
    if (rec.claimedBy && rec.claimedBy !== caller.name && caller.role !== 'operator') {
      throw new RelayError(
        `Hiring ${rec.hiring.id} is claimed by ${rec.claimedBy}; one worker per hiring.`,
        'conflict',
      );
    }
  }

  private async readyToSubmit(caller: Caller, id: string): Promise<HiringRecord> {
    const rec = this.visible(caller, id);
    this.checkClaim(caller, rec);
    const open = this.submissions.openFor(id);
    if (open) {
      throw new RelayError(
        `Hiring ${id} already has submission ${open.id} (${open.state.replace('_', ' ')}); wait for it to be decided.`,
        'conflict',
      );
    }
    if (!rec.claimedBy) await this.o.store.claim(id, caller.name);
    return this.o.store.get(id) ?? rec;
  }

  private owner(caller: Caller, rec: HiringRecord): { agent: string; hiringId: string; submittedBy: string } {
    return { agent: rec.agent, hiringId: rec.hiring.id, submittedBy: caller.name };
  }

  private pushPlan(rec: HiringRecord, args: SubmitResultArgs, given: Partial<PushPlan> | undefined): PushPlan {
    const out = args.output;
    const summary =
      given?.summary ??
      (typeof out === 'string' ? out : typeof out.summary === 'string' ? out.summary : 'Changes pushed by the agent.');
    const title = rec.hiring.task_description.split('\n')[0].slice(0, 60) || `hiring ${rec.hiring.id}`;
    return {
      commitMessage: given?.commitMessage ?? `${title}\n\nAgrenting hiring ${rec.hiring.id}`,
      openPullRequest: given?.openPullRequest ?? false,
      summary,
    };
  }
}
