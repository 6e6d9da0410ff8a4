// Contracts between the relay's parts. Each part (upstream/, inbox/, downstream/,
// delivery/, bridge/) implements or consumes these; the Relay class wires them.
import type { Hiring } from '../shared/hiring';
import type { PlatformToolName } from '../shared/protocol';
import type { AddMessageArgs, Artifact, EmitChunkArgs, ReportFailureArgs, SubmitResultArgs } from '../shared/tools';
import type { LocalPhase, ReviewMode, RunState, SubmissionState } from '../shared/constants';

// ───────────────────────────── upstream ─────────────────────────────

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'stopped';

export interface LinkStatus {
  /** Local name of the agent (from config; "default" for the env-configured one). */
  agent: string;
  /** The platform's agent id, when known. */
  agentId?: string;
  state: LinkState;
  /** Last error, already redacted. */
  lastError?: string;
  reconnects: number;
  connectedSince?: string;
  lastEventAt?: string;
}

/** What the platform answered to one delivery. */
export type DeliveryOutcome =
  | { kind: 'confirmed'; result?: unknown }
  /** The platform says the hiring is already completed/failed: done if it was our own earlier delivery. */
  | { kind: 'already-done'; message: string }
  /** Permanent: invalid arguments, not ours, unknown hiring. Not retried. */
  | { kind: 'rejected'; message: string }
  /**
   * Transient: session down, 5xx, 429, network. Retried. `uncertain`: the request went out and no answer came
   * (a timeout, a stream lost mid-call), so it may have reached the platform.
   */
  | { kind: 'retry'; message: string; retryAfterMs?: number; uncertain?: boolean };

/** What the outbox knows about a delivery's earlier attempts when it sends one more. */
export interface DeliveryAttempt {
  /** An earlier attempt may have reached the platform: it got no answer, or the relay died while sending it. */
  earlierMayHaveLanded: boolean;
  /** When the delivery was queued (ISO-8601): what reached the platform before then is not this delivery. */
  since: string;
}

export type HiringSource = 'mcp' | 'rest' | 'webhook' | 'journal';

export interface UpstreamListener {
  /** Hirings read from the platform (a full pending list, or single hirings). */
  onHirings(agent: string, hirings: Hiring[], source: HiringSource): void;
  /** Hirings that were in the last full pending list and are not in this one: they moved on. */
  onVanished?(agent: string, ids: string[]): void;
  onStatus(status: LinkStatus): void;
}

/** One agent's connection to Agrenting (MCP over HTTP+SSE, REST as fallback and safety net). */
export interface UpstreamLink {
  readonly agent: string;
  status(): LinkStatus;
  start(): void;
  stop(): Promise<void>;
  /** Reads hiring://pending and GET /hirings/pending now; results go to onHirings. */
  refresh(): Promise<void>;
  /** Reads one hiring (any status) — also how a repository token is re-read after a restart. */
  getHiring(id: string): Promise<Hiring>;
  /** Sends one delivery; MCP when the session is up, REST (with the idempotency key) otherwise. */
  deliver(
    tool: PlatformToolName,
    args: Record<string, unknown>,
    idempotencyKey: string,
    attempt?: DeliveryAttempt,
  ): Promise<DeliveryOutcome>;
  systemPrompt(): Promise<string>;
}

// ───────────────────────────── inbox ─────────────────────────────

export type { LocalPhase, ReviewMode, SubmissionState } from '../shared/constants';

export interface ProgressChunk {
  content: string;
  kind?: string;
  at: string;
}

/** A relay-local message on a hiring (review feedback). Never sent to the platform. */
export interface RelayMessage {
  content: string;
  from: 'review' | 'relay';
  at: string;
}

export interface WorkspaceRef {
  dir: string;
  branch: string;
  baseBranch: string;
  baseSha: string;
}

export interface HiringRecord {
  agent: string;
  /** Latest platform view. In memory it may hold the repo token; on disk never. */
  hiring: Hiring;
  phase: LocalPhase;
  claimedBy?: string;
  firstSeenAt: string;
  updatedAt: string;
  chunks: ProgressChunk[];
  relayMessages: RelayMessage[];
  workspace?: WorkspaceRef;
  /** Ids of submissions made for this hiring, oldest first. */
  submissions: string[];
}

export interface PushPlan {
  commitMessage: string;
  openPullRequest: boolean;
  summary: string;
}

export interface Submission {
  id: string;
  agent: string;
  hiringId: string;
  kind: 'result' | 'failure';
  /** What will be sent to the platform (for push mode, completed at approval with branch/commit/PR). */
  result?: SubmitResultArgs;
  failure?: ReportFailureArgs;
  push?: PushPlan;
  submittedBy: string;
  state: SubmissionState;
  feedback?: string;
  error?: string;
  createdAt: string;
  decidedAt?: string;
  deliveredAt?: string;
}

export type OutboxState = 'pending' | 'confirmed' | 'rejected';

export interface OutboxEntry {
  /** Also the X-Idempotency-Key. */
  key: string;
  agent: string;
  hiringId: string;
  tool: PlatformToolName;
  args: Record<string, unknown>;
  submissionId?: string;
  state: OutboxState;
  attempts: number;
  lastError?: string;
  createdAt: string;
  confirmedAt?: string;
}

// ───────────────────────────── the core, as clients see it ─────────────────────────────

/**
 * Who is calling: the operator (extension) sees every agent; a worker sees one agent. A runner's child
 * process calls with a run token: a worker limited to the one hiring of its run (`hiring`).
 */
export type Caller =
  { role: 'operator'; name: string } | { role: 'worker'; agent: string; name: string; hiring?: string };

/** The caller in an error sentence: "the operator" or 'worker "alice"'. */
export function describeCaller(caller: Caller): string {
  if (caller.role === 'operator') return 'the operator';
  return caller.hiring === undefined ? `worker "${caller.agent}"` : `the run on hiring ${caller.hiring}`;
}

export interface RelayStatus {
  version: string;
  startedAt: string;
  review: ReviewMode;
  links: LinkStatus[];
  counts: Record<LocalPhase, number>;
  reviewsWaiting: number;
  outboxPending: number;
  /** Runs of coding-agent CLIs (src/relay/runners), newest first. */
  runs?: RunSummary[];
  /** Configured runners. */
  runners?: RunnerSummary[];
}

// ───────────────────────────── runners ─────────────────────────────

export type { RunState } from '../shared/constants';

/** A runner's work on one hiring, as the hiring view's `relay.run` shows it. */
export interface RunInfo {
  runner: string;
  state: RunState;
  /** 1 for the first run; +1 for each re-run after review feedback (or a restart after a crash). */
  attempt: number;
  maxAttempts: number;
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  reason?: string;
}

export interface RunSummary {
  hiring_id: string;
  runner: string;
  state: RunState;
  attempt: number;
  startedAt: string;
}

export interface RunnerSummary {
  name: string;
  autoDispatch: boolean;
  maxConcurrent: number;
  /** Runs in progress now. */
  active: number;
}

/** A hiring as served downstream: the platform view plus local state, never the repo token. */
export interface HiringView extends Omit<HiringRecord, 'hiring'> {
  hiring: Hiring;
  /** The runner working this hiring, when one does (or did). */
  run?: RunInfo;
}

export class RelayError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'forbidden' | 'invalid' | 'conflict' | 'unavailable',
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

export type RelayEvent =
  | { type: 'hiring'; agent: string; hiringId: string }
  | { type: 'pending'; agent: string }
  | { type: 'review'; submissionId: string }
  | { type: 'status' }
  /** A run log grew (bounded rate). */
  | { type: 'run-log'; agent: string; hiringId: string };

/** Everything downstream (MCP server, bridge) needs from the relay. Methods throw RelayError. */
/** hiring://pending?since=<cursor>: what changed in the caller's pending list since the cursor. */
export interface PendingChanges {
  /** The cursor for the next read. */
  cursor: string;
  /** The cursor was unusable (empty, unknown, from before a restart): `hirings` is the whole list. */
  reset: boolean;
  /** Active hirings new or changed since the cursor. */
  hirings: HiringView[];
  /** Ids that left the pending list since the cursor (done, failed, or no longer held). */
  removed: string[];
}

export interface RelayCore {
  listActive(caller: Caller): HiringView[];
  /** Without it (test doubles), every read is a reset: the whole list. */
  pendingSince?(caller: Caller, cursor: string): PendingChanges;
  listAll(caller: Caller): HiringView[];
  getHiring(caller: Caller, id: string): HiringView;
  claim(caller: Caller, hiringId: string): Promise<HiringView>;
  submitResult(caller: Caller, args: SubmitResultArgs, push?: Partial<PushPlan>): Promise<Submission>;
  reportFailure(caller: Caller, args: ReportFailureArgs): Promise<Submission>;
  addMessage(caller: Caller, args: AddMessageArgs): Promise<OutboxEntry>;
  emitChunk(caller: Caller, args: EmitChunkArgs): Promise<OutboxEntry>;
  prepareWorkspace(caller: Caller, hiringId: string, onProgress?: (msg: string) => void): Promise<WorkspaceRef>;
  reviewQueue(caller: Caller): Submission[];
  /** Approve and reject refuse any caller but the operator (RelayError 'forbidden'). */
  approve(caller: Caller, submissionId: string): Promise<Submission>;
  reject(caller: Caller, submissionId: string, feedback: string): Promise<Submission>;
  status(): RelayStatus;
  systemPrompt(caller: Caller): Promise<string>;
  /** Hirings that arrived by other paths (webhook bridge) enter the same store. */
  ingest(agent: string, hirings: Hiring[], source: HiringSource): Promise<void>;
  subscribe(listener: (event: RelayEvent) => void): () => void;
  /** Runners (operator): hand a hiring to a runner now; without a name, the first that matches. */
  startRun?(caller: Caller, hiringId: string, runner?: string): Promise<RunInfo>;
  /** Runners (operator): stop the hiring's run (TERM, then KILL after a grace period). */
  stopRun?(caller: Caller, hiringId: string): Promise<RunInfo>;
  /** The redacted run log of a hiring (its last 256 KiB): the operator, or the run's own token. */
  runLog?(caller: Caller, hiringId: string): string;
}

export type { Artifact };
