// The runners of one relay: which runner takes a hiring (dispatch.ts), one run per hiring from claim
// to submission, re-runs after review feedback, stops, and resuming runs a crash cut short. Bound to
// the relay's core; every result goes through the same review queue as any worker's.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log';
import { isTerminalStatus } from '../../shared/protocol';
import { registerSecret, safeError } from '../../shared/redact';
import { isFinished, requireOperator } from '../core/views';
import {
  RelayError,
  type Caller,
  type HiringView,
  type RelayCore,
  type RelayEvent,
  type RunInfo,
  type RunnerSummary,
  type RunSummary,
} from '../types';
import { killLeftover, RunChild } from './child';
import { collectOutput, collectPush, NoResultError } from './collect';
import type { RunnerConfig } from './config';
import { autoHandler, runnerClaimName, runnerMismatch, type AutoHandlers } from './dispatch';
import { childEnv } from './env';
import { RunJournal, type RunRecord } from './journal';
import { buildPrompt } from './prompt';
import { RunLog } from './run-log';
import { isRunActive } from '../../shared/constants';

export interface RunnerManagerOptions {
  /** The relay's core (views without `run`). */
  core: RelayCore;
  runners: readonly RunnerConfig[];
  stateDir: string;
  /** The relay's MCP URL (`…/mcp`), known once the server listens. */
  mcpUrl: () => string;
  /** Agents the HiClaw bridge hands off by itself. */
  bridgeAgents?: ReadonlySet<string>;
  env?: Record<string, string | undefined>;
  emit: (e: RelayEvent) => void;
  log: Logger;
  /** TERM → KILL grace. Default 5 s. */
  graceMs?: number;
  /** Progress chunks to the client at most this often. Default 5 s. */
  chunkIntervalMs?: number;
  /** run://…/log updates at most this often. Default 500 ms. */
  logEventMs?: number;
}

const OPERATOR: Caller = { role: 'operator', name: 'runners' };

interface Active {
  rec: RunRecord;
  child?: RunChild;
  token?: string;
  timers: NodeJS.Timeout[];
  /** Why the relay is ending the run (stop_run, cancelled, deadline, timeout, shutdown). */
  stopping?: { state: 'stopped' | 'failed'; reason: string; report: boolean; error?: 'timeout' | 'other' };
  done: Promise<void>;
}

export class RunnerManager {
  private readonly journal: RunJournal;
  private readonly records = new Map<string, RunRecord>();
  private readonly active = new Map<string, Active>();
  private readonly logs = new Map<string, RunLog>();
  private readonly tokens = new Map<string, Caller>();
  /**
   * Hirings between the claim and the run's record, by runner: the claim's own store event must not start
   * another run, and each already holds a slot of its runner's maxConcurrent.
   */
  private readonly beginning = new Map<string, string>();
  private readonly handlers: AutoHandlers;
  private readonly logEventDue = new Map<string, NodeJS.Timeout>();
  private unsubscribe?: () => void;
  private stopped = false;
  private scanning = false;

  constructor(private readonly o: RunnerManagerOptions) {
    this.journal = new RunJournal(join(o.stateDir, 'runs'));
    this.handlers = { bridgeAgents: o.bridgeAgents ?? new Set(), runners: o.runners };
  }

  get runnerNames(): string[] {
    return this.o.runners.map((r) => r.name);
  }

  // ───────────── views ─────────────

  runInfo(hiringId: string): RunInfo | undefined {
    const r = this.records.get(hiringId);
    if (!r) return undefined;
    const { runner, state, attempt, maxAttempts, startedAt, endedAt, exitCode, reason } = r;
    return { runner, state, attempt, maxAttempts, startedAt, endedAt, exitCode, reason };
  }

  runs(): RunSummary[] {
    return [...this.records.values()]
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))
      .map((r) => ({
        hiring_id: r.hiringId,
        runner: r.runner,
        state: r.state,
        attempt: r.attempt,
        startedAt: r.startedAt,
      }));
  }

  runners(): RunnerSummary[] {
    return this.o.runners.map((r) => ({
      name: r.name,
      autoDispatch: r.autoDispatch,
      maxConcurrent: r.maxConcurrent,
      active: this.activeCount(r.name),
    }));
  }

  /** The caller a run token stands for (the downstream server asks), or undefined. */
  callerForToken(token: string): Caller | undefined {
    return this.tokens.get(token);
  }

  runLog(caller: Caller, hiringId: string): string {
    const rec = this.records.get(hiringId);
    const allowed = caller.role === 'operator' || (caller.hiring === hiringId && rec !== undefined);
    if (!rec || !allowed) throw new RelayError(`No run for hiring ${hiringId}.`, 'not_found');
    return this.logs.get(hiringId)?.text() ?? this.journal.readLog(hiringId).slice(-256 * 1024);
  }

  // ───────────── life cycle ─────────────

  start(): void {
    for (const rec of this.journal.load()) this.records.set(rec.hiringId, rec);
    this.unsubscribe = this.o.core.subscribe((e) => {
      if (e.type === 'hiring') this.onHiring(e.hiringId);
    });
    for (const rec of [...this.records.values()]) this.resume(rec);
    this.scan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.logEventDue.values()) clearTimeout(t);
    // Runs in progress stay "running" in the journal: the next start resumes them once.
    const waits = [...this.active.values()].map((a) => {
      a.stopping ??= { state: 'stopped', reason: 'the relay stopped', report: false };
      a.child?.stop(this.o.graceMs ?? 5000);
      return a.done;
    });
    await Promise.allSettled(waits);
    await Promise.allSettled([...this.logs.values()].map((l) => l.close()));
  }

  // ───────────── operator actions ─────────────

  async startRun(caller: Caller, hiringId: string, runnerName?: string): Promise<RunInfo> {
    requireOperator(caller, 'start a run');
    const view = this.o.core.getHiring(OPERATOR, hiringId);
    const runner = this.pickRunner(view, runnerName);
    const prev = this.records.get(hiringId);
    if (this.active.has(hiringId)) {
      throw new RelayError(`Hiring ${hiringId} is already being run by "${prev?.runner}".`, 'conflict');
    }
    if (isFinished(view.phase)) throw new RelayError(`Hiring ${hiringId} is already ${view.phase}.`, 'conflict');
    if (view.phase === 'awaiting_review' || view.phase === 'delivering') {
      throw new RelayError(
        `Hiring ${hiringId} has a submission ${view.phase.replace('_', ' ')}; decide it first.`,
        'conflict',
      );
    }
    const name = runnerClaimName(runner.name);
    if (view.claimedBy && view.claimedBy !== name && !view.claimedBy.startsWith('runner:')) {
      throw new RelayError(`Hiring ${hiringId} is taken by ${view.claimedBy}; one handler per hiring.`, 'conflict');
    }
    return this.begin(view, runner, prev && prev.runner === runner.name ? prev.attempt + 1 : 1);
  }

  async stopRun(caller: Caller, hiringId: string): Promise<RunInfo> {
    requireOperator(caller, 'stop a run');
    const a = this.active.get(hiringId);
    if (!a) {
      const info = this.runInfo(hiringId);
      if (info) return info;
      throw new RelayError(`No run for hiring ${hiringId}.`, 'not_found');
    }
    this.kill(a, { state: 'stopped', reason: `stopped by ${caller.name}`, report: false });
    await a.done;
    return this.runInfo(hiringId)!;
  }

  // ───────────── dispatch ─────────────

  private pickRunner(view: HiringView, runnerName?: string): RunnerConfig {
    const id = String(view.hiring.id);
    if (runnerName !== undefined) {
      const r = this.o.runners.find((x) => x.name === runnerName);
      if (!r) {
        throw new RelayError(
          `There is no runner "${runnerName}"; configured: ${this.runnerNames.join(', ') || 'none'}.`,
          'invalid',
        );
      }
      const why = runnerMismatch(r, view);
      if (why) throw new RelayError(`Hiring ${id} does not fit: ${why}.`, 'invalid');
      this.checkCapacity(r, id);
      return r;
    }
    if (this.o.runners.length === 0) {
      throw new RelayError('No runner is configured (add "runners" to the relay config).', 'unavailable');
    }
    const fits = this.o.runners.filter((r) => runnerMismatch(r, view) === undefined);
    if (fits.length === 0) {
      throw new RelayError(
        `No runner takes hiring ${id}: ${this.o.runners.map((r) => runnerMismatch(r, view)).join('; ')}.`,
        'invalid',
      );
    }
    const free = fits.find((r) => this.activeCount(r.name) < r.maxConcurrent);
    if (!free) this.checkCapacity(fits[0], id);
    return free ?? fits[0];
  }

  private checkCapacity(r: RunnerConfig, id: string): void {
    if (this.activeCount(r.name) >= r.maxConcurrent) {
      throw new RelayError(
        `Runner "${r.name}" is busy (${r.maxConcurrent} run(s) at once); hiring ${id} can start when one ends.`,
        'conflict',
      );
    }
  }

  /** Runs of this runner in progress, counting those still claiming their hiring. */
  private activeCount(runner: string): number {
    let n = 0;
    for (const a of this.active.values()) if (a.rec.runner === runner) n++;
    for (const [id, name] of this.beginning) if (name === runner && !this.active.has(id)) n++;
    return n;
  }

  /** Auto-dispatch: every unhandled hiring an autoDispatch runner takes, within maxConcurrent. */
  private scan(): void {
    if (this.stopped || this.scanning || !this.o.runners.some((r) => r.autoDispatch)) return;
    this.scanning = true;
    try {
      for (const view of this.o.core.listActive(OPERATOR)) {
        const h = autoHandler(view, this.handlers);
        if (h?.kind !== 'runner' || this.records.has(String(view.hiring.id))) continue;
        if (this.activeCount(h.runner.name) >= h.runner.maxConcurrent) continue;
        this.begin(view, h.runner, 1).catch((e: unknown) =>
          this.o.log.warn(`auto-dispatch of hiring ${String(view.hiring.id)} to runner "${h.runner.name}" failed`, {
            error: safeError(e).message,
          }),
        );
      }
    } finally {
      this.scanning = false;
    }
  }

  /** A hiring changed: stop a run whose hiring ended; re-run after review feedback; dispatch new work. */
  private onHiring(hiringId: string): void {
    if (this.stopped) return;
    let view: HiringView;
    try {
      view = this.o.core.getHiring(OPERATOR, hiringId);
    } catch {
      return;
    }
    if (this.beginning.has(hiringId)) return;
    const a = this.active.get(hiringId);
    if (a && (isFinished(view.phase) || isTerminalStatus(view.hiring.status))) {
      this.kill(a, { state: 'stopped', reason: `the hiring is ${view.hiring.status} on Agrenting`, report: false });
      return;
    }
    const rec = this.records.get(hiringId);
    if (!a && rec) this.maybeRerun(rec, view);
    if (view.phase === 'new') this.scan();
  }

  private maybeRerun(rec: RunRecord, view: HiringView): void {
    const reviews = view.relayMessages.filter((m) => m.from === 'review');
    if (reviews.length <= rec.feedbackSeen) return;
    if (view.phase !== 'claimed' || view.claimedBy !== runnerClaimName(rec.runner)) return;
    const runner = this.o.runners.find((r) => r.name === rec.runner);
    if (!runner) return;
    if (rec.attempt >= rec.maxAttempts) {
      rec.feedbackSeen = reviews.length;
      rec.reason =
        `Review asked for changes after attempt ${rec.attempt} of ${rec.maxAttempts}; the runner will not try again. ` +
        'Work the hiring yourself or start a run.';
      this.save(rec);
      return;
    }
    this.begin(view, runner, rec.attempt + 1).catch((e: unknown) =>
      this.o.log.warn(`re-run of hiring ${rec.hiringId} after review failed to start`, { error: safeError(e).message }),
    );
  }

  // ───────────── one run ─────────────

  private async begin(view: HiringView, runner: RunnerConfig, attempt: number, restarted = false): Promise<RunInfo> {
    const id = String(view.hiring.id);
    if (this.active.has(id)) throw new RelayError(`Hiring ${id} is already being run.`, 'conflict');
    const caller = this.workerCaller(view, runner);
    // The claim is the dispatch point: a person, a worker or the bridge that claimed first keeps it.
    let claimed: HiringView;
    this.beginning.set(id, runner.name);
    try {
      claimed = await this.o.core.claim(caller, id);
    } finally {
      this.beginning.delete(id);
    }
    if (claimed.claimedBy !== caller.name) {
      throw new RelayError(`Hiring ${id} is taken by ${claimed.claimedBy}; one handler per hiring.`, 'conflict');
    }
    const mode = view.hiring.delivery_mode === 'push' ? 'push' : 'output';
    const rec: RunRecord = {
      hiringId: id,
      agent: view.agent,
      runner: runner.name,
      state: 'starting',
      attempt,
      maxAttempts: runner.maxAttempts,
      startedAt: new Date().toISOString(),
      mode,
      dir: mode === 'push' ? (view.workspace?.dir ?? '') : join(this.journal.dirFor(id), 'work'),
      feedbackSeen: view.relayMessages.filter((m) => m.from === 'review').length,
      submissionsAtStart: view.submissions.length,
      ...(restarted ? { restarted: true } : {}),
    };
    this.records.set(id, rec);
    let release!: () => void;
    const a: Active = { rec, timers: [], done: new Promise<void>((r) => (release = r)) };
    this.active.set(id, a);
    this.save(rec);
    const log = this.logFor(id);
    log.newAttempt();
    log.note(
      `attempt ${attempt} of ${rec.maxAttempts} by runner "${runner.name}"${restarted ? ' (again, after a relay restart)' : ''}`,
    );
    void this.execute(a, view, runner, caller, log).finally(() => {
      for (const t of a.timers) clearTimeout(t);
      if (a.token) this.tokens.delete(a.token);
      this.active.delete(id);
      release();
      this.o.emit({ type: 'status' });
      this.scan();
    });
    return this.runInfo(id)!;
  }

  private workerCaller(view: HiringView, runner: RunnerConfig): Caller {
    return { role: 'worker', agent: view.agent, name: runnerClaimName(runner.name) };
  }

  private async execute(a: Active, view: HiringView, runner: RunnerConfig, caller: Caller, log: RunLog): Promise<void> {
    const { rec } = a;
    const id = rec.hiringId;
    try {
      let branch: string | undefined;
      if (rec.mode === 'push') {
        const ws = view.workspace ?? (await this.o.core.prepareWorkspace(caller, id, (m) => log.note(m)));
        rec.dir = ws.dir;
        branch = ws.branch;
      } else {
        mkdirSync(join(rec.dir, 'out'), { recursive: true, mode: 0o700 });
      }
      if (a.stopping) return this.finish(a, caller, log, { code: null, signal: null });
      const feedback = view.relayMessages.filter((m) => m.from === 'review').map((m) => m.content);
      const promptText = buildPrompt({
        hiring: view.hiring,
        mode: rec.mode,
        branch,
        mcpUrl: this.o.mcpUrl(),
        attempt: rec.attempt,
        feedback,
      });
      const promptFile = join(this.journal.dirFor(id), 'PROMPT.md');
      writeFileSync(promptFile, promptText, { mode: 0o600 });
      const token = (a.token = `rr_${randomBytes(24).toString('base64url')}`);
      registerSecret(token);
      this.tokens.set(token, { role: 'worker', agent: rec.agent, name: caller.name, hiring: id });
      const { env, refused } = childEnv(this.o.env ?? process.env, runner.env, {
        AGRENTING_RELAY_URL: this.o.mcpUrl(),
        AGRENTING_RELAY_TOKEN: token,
        AGRENTING_HIRING_ID: id,
      });
      if (refused.length > 0) log.note(`not passed to the agent (they hold relay secrets): ${refused.join(', ')}`);
      const child = (a.child = new RunChild(
        { command: runner.command, prompt: runner.prompt, promptText, promptFile, cwd: rec.dir, env },
        log,
      ));
      rec.state = 'running';
      rec.pid = child.pid;
      this.save(rec);
      this.o.log.info('run started', { hiring: id, runner: runner.name, attempt: rec.attempt, pid: child.pid });
      this.schedule(a, runner, view, caller, log);
      const exit = await child.exited;
      await this.finish(a, caller, log, exit);
    } catch (e) {
      const msg = safeError(e).message;
      log.note(`the run could not start: ${msg}`);
      await this.fail(a, caller, log, `Runner "${runner.name}" could not start on hiring ${id}: ${msg}`, 'other', null);
    }
  }

  /** Timeout, deadline and progress chunks for a running child. */
  private schedule(a: Active, runner: RunnerConfig, view: HiringView, caller: Caller, log: RunLog): void {
    const t = setTimeout(
      () =>
        this.kill(a, {
          state: 'failed',
          reason: `timed out after ${runner.timeoutMs} ms`,
          report: true,
          error: 'timeout',
        }),
      runner.timeoutMs,
    );
    a.timers.push(t);
    const deadline = view.hiring.deadline_at ? Date.parse(view.hiring.deadline_at) : NaN;
    if (Number.isFinite(deadline)) {
      const d = setTimeout(
        () =>
          this.kill(a, {
            state: 'failed',
            reason: `the hiring's deadline ${view.hiring.deadline_at} passed`,
            report: true,
            error: 'timeout',
          }),
        Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)),
      );
      a.timers.push(d);
    }
    const every = this.o.chunkIntervalMs ?? 5000;
    const tick = () => {
      const text = log.takeProgress();
      if (text) {
        this.o.core
          .emitChunk(caller, { hiring_id: a.rec.hiringId, content: text, kind: 'log' })
          .catch((e: unknown) =>
            this.o.log.debug('progress chunk not queued', { hiring: a.rec.hiringId, error: safeError(e).message }),
          );
      }
      if (this.active.get(a.rec.hiringId) === a) a.timers.push(setTimeout(tick, every));
    };
    a.timers.push(setTimeout(tick, every));
  }

  private kill(a: Active, why: NonNullable<Active['stopping']>): void {
    if (a.stopping) return;
    a.stopping = why;
    a.rec.reason = why.reason;
    this.o.log.info('stopping run', { hiring: a.rec.hiringId, why: why.reason });
    a.child?.stop(this.o.graceMs ?? 5000);
  }

  private async finish(
    a: Active,
    caller: Caller,
    log: RunLog,
    exit: { code: number | null; signal: NodeJS.Signals | null; spawnError?: string },
  ): Promise<void> {
    const { rec } = a;
    rec.exitCode = exit.code;
    const last = log.takeProgress();
    if (last) {
      await this.o.core
        .emitChunk(caller, { hiring_id: rec.hiringId, content: last, kind: 'log' })
        .catch(() => undefined);
    }
    if (a.stopping) {
      log.note(`run ended: ${a.stopping.reason}`);
      if (this.stopped && a.stopping.reason === 'the relay stopped') {
        // Left "running" on disk on purpose: the next start resumes it. A clean stop is no crash, so it
        // does not count toward the one restart a crashed run gets.
        delete rec.restarted;
        delete rec.pid;
        try {
          this.journal.save(rec);
        } catch (e) {
          this.o.log.warn('could not journal a run at stop', { hiring: rec.hiringId, error: safeError(e).message });
        }
        return;
      }
      if (a.stopping.report) {
        return this.fail(
          a,
          caller,
          log,
          `Runner "${rec.runner}" on hiring ${rec.hiringId}: ${a.stopping.reason}.`,
          a.stopping.error ?? 'other',
          exit.code,
        );
      }
      return this.end(rec, a.stopping.state);
    }
    if (exit.spawnError) {
      return this.fail(a, caller, log, `Runner "${rec.runner}" could not start: ${exit.spawnError}.`, 'other', null);
    }
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal ?? 'a signal'}` : `exited with code ${exit.code}`;
      log.note(`the agent ${how}`);
      const tail = log.stdoutTail().trim().split('\n').slice(-5).join('\n');
      return this.fail(
        a,
        caller,
        log,
        `The agent (runner "${rec.runner}") ${how} on hiring ${rec.hiringId}.${tail ? `\nLast output:\n${tail}` : ''}`,
        'other',
        exit.code,
      );
    }
    log.note('the agent exited with code 0; collecting its work');
    try {
      const summary = `Work by runner "${rec.runner}" (attempt ${rec.attempt}).`;
      if (rec.mode === 'push') {
        const view = this.o.core.getHiring(OPERATOR, rec.hiringId);
        if (!view.workspace) throw new NoResultError('The push-mode workspace is gone.');
        const files = await collectPush(view.workspace);
        const said = log.stdoutTail().trim().slice(-1500);
        const changed = `${files.length} file(s) changed: ${files.slice(0, 20).join(', ')}`;
        const text = `${summary} ${changed}${said ? `\n\n${said}` : ''}`;
        const sub = await this.o.core.submitResult(
          caller,
          { hiring_id: rec.hiringId, output: { summary: text } },
          { summary: text },
        );
        rec.submissionId = sub.id;
      } else {
        const args = await collectOutput(rec.hiringId, rec.dir, log.stdoutTail(), summary);
        const sub = await this.o.core.submitResult(caller, args);
        rec.submissionId = sub.id;
      }
      log.note(`submitted for review (submission ${rec.submissionId})`);
      this.end(rec, 'succeeded');
    } catch (e) {
      if (e instanceof NoResultError) {
        return this.fail(a, caller, log, `Runner "${rec.runner}" on hiring ${rec.hiringId}: ${e.message}`, 'other', 0);
      }
      throw e;
    }
  }

  /** A failure report for the operator to review (sent only once approved when review is on). */
  private async fail(
    a: Active,
    caller: Caller,
    log: RunLog,
    reason: string,
    error: 'timeout' | 'other',
    code: number | null,
  ): Promise<void> {
    const { rec } = a;
    rec.exitCode = code;
    rec.reason = reason.split('\n')[0];
    try {
      const sub = await this.o.core.reportFailure(caller, {
        hiring_id: rec.hiringId,
        reason: reason.slice(0, 2000),
        error,
      });
      rec.submissionId = sub.id;
      log.note(`failure report waiting for review (submission ${sub.id})`);
    } catch (e) {
      log.note(`the failure report could not be filed: ${safeError(e).message}`);
    }
    this.end(rec, a.stopping?.state === 'stopped' ? 'stopped' : 'failed');
  }

  private end(rec: RunRecord, state: RunRecord['state']): void {
    rec.state = state;
    delete rec.pid;
    rec.endedAt = new Date().toISOString();
    this.save(rec);
    this.o.log.info('run ended', { hiring: rec.hiringId, runner: rec.runner, state, exitCode: rec.exitCode });
  }

  // ───────────── restart ─────────────

  /** A run the last relay process left "starting"/"running": started once more, or proposed as a failure. */
  private resume(rec: RunRecord): void {
    if (!isRunActive(rec.state)) return;
    if (rec.pid !== undefined && killLeftover(rec.pid, rec.hiringId)) {
      this.o.log.info('ended the agent a crashed relay left running', { hiring: rec.hiringId, pid: rec.pid });
    }
    let view: HiringView;
    try {
      view = this.o.core.getHiring(OPERATOR, rec.hiringId);
    } catch {
      return this.end(rec, 'stopped');
    }
    const runner = this.o.runners.find((r) => r.name === rec.runner);
    if (isFinished(view.phase) || !runner) {
      rec.reason = runner ? `the hiring is ${view.phase}` : `runner "${rec.runner}" is no longer configured`;
      return this.end(rec, 'stopped');
    }
    if (view.submissions.length > rec.submissionsAtStart) {
      // The crash fell after the submission: it is in the review queue already, never twice.
      rec.submissionId = view.submissions.at(-1);
      return this.end(rec, 'succeeded');
    }
    if (!rec.restarted) {
      this.o.log.info('resuming a run the relay restart interrupted', { hiring: rec.hiringId, runner: rec.runner });
      this.records.delete(rec.hiringId);
      this.begin(view, runner, rec.attempt, true).catch((e: unknown) => {
        this.records.set(rec.hiringId, rec);
        rec.reason = `could not resume after a relay restart: ${safeError(e).message}`;
        this.end(rec, 'failed');
      });
      return;
    }
    const caller = this.workerCaller(view, runner);
    const log = this.logFor(rec.hiringId);
    const a: Active = { rec, timers: [], done: Promise.resolve() };
    void this.fail(
      a,
      caller,
      log,
      `Runner "${rec.runner}" on hiring ${rec.hiringId} was interrupted twice by relay restarts; not starting it again.`,
      'other',
      null,
    );
  }

  // ───────────── helpers ─────────────

  private logFor(hiringId: string): RunLog {
    let log = this.logs.get(hiringId);
    if (!log) {
      const dir = this.journal.dirFor(hiringId);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const earlier = this.journal.readLog(hiringId);
      log = new RunLog(join(dir, 'run.log'), () => this.logGrew(hiringId));
      if (earlier) log.seed(earlier);
      this.logs.set(hiringId, log);
    }
    return log;
  }

  private logGrew(hiringId: string): void {
    if (this.logEventDue.has(hiringId) || this.stopped) return;
    const rec = this.records.get(hiringId);
    if (!rec) return;
    const t = setTimeout(() => {
      this.logEventDue.delete(hiringId);
      this.o.emit({ type: 'run-log', agent: rec.agent, hiringId });
    }, this.o.logEventMs ?? 500);
    t.unref();
    this.logEventDue.set(hiringId, t);
  }

  private save(rec: RunRecord): void {
    try {
      this.journal.save(rec);
    } catch (e) {
      this.o.log.error('could not journal a run', { hiring: rec.hiringId, error: safeError(e).message });
    }
    this.o.emit({ type: 'hiring', agent: rec.agent, hiringId: rec.hiringId });
    this.o.emit({ type: 'status' });
  }
}
