// RelayCore by delegation: the Relay answers for its core, which exists only
// between start() and stop(); before that every call says so.
import type { Hiring } from '../../shared/hiring';
import type { SubmitResultArgs } from '../../shared/tools';
import {
  RelayError,
  type Caller,
  type HiringSource,
  type HiringView,
  type OutboxEntry,
  type PushPlan,
  type RelayCore,
  type RelayEvent,
  type RelayStatus,
  type Submission,
  type WorkspaceRef,
} from '../types';
import type { Core } from './core';

export abstract class DelegatingCore implements RelayCore {
  protected core?: Core;
  /** Listeners that also hear link status changes (the core only knows its own events). */
  protected readonly statusListeners = new Set<(e: RelayEvent) => void>();

  private need(): Core {
    if (!this.core) throw new RelayError('The relay is not started yet.', 'unavailable');
    return this.core;
  }

  // ───────────── RelayCore, delegated ─────────────

  listActive(caller: Caller): HiringView[] {
    return this.need().listActive(caller);
  }
  listAll(caller: Caller): HiringView[] {
    return this.need().listAll(caller);
  }
  getHiring(caller: Caller, id: string): HiringView {
    return this.need().getHiring(caller, id);
  }
  claim(caller: Caller, hiringId: string): HiringView {
    return this.need().claim(caller, hiringId);
  }
  submitResult(caller: Caller, args: SubmitResultArgs, push?: Partial<PushPlan>): Promise<Submission> {
    return this.need().submitResult(caller, args, push);
  }
  reportFailure(caller: Caller, args: Parameters<RelayCore['reportFailure']>[1]): Promise<Submission> {
    return this.need().reportFailure(caller, args);
  }
  addMessage(caller: Caller, args: Parameters<RelayCore['addMessage']>[1]): Promise<OutboxEntry> {
    return this.need().addMessage(caller, args);
  }
  emitChunk(caller: Caller, args: Parameters<RelayCore['emitChunk']>[1]): Promise<OutboxEntry> {
    return this.need().emitChunk(caller, args);
  }
  prepareWorkspace(caller: Caller, hiringId: string, onProgress?: (msg: string) => void): Promise<WorkspaceRef> {
    return this.need().prepareWorkspace(caller, hiringId, onProgress);
  }
  reviewQueue(caller: Caller): Submission[] {
    return this.need().reviewQueue(caller);
  }
  approve(caller: Caller, submissionId: string): Promise<Submission> {
    return this.need().approve(caller, submissionId);
  }
  reject(caller: Caller, submissionId: string, feedback: string): Promise<Submission> {
    return this.need().reject(caller, submissionId, feedback);
  }
  status(): RelayStatus {
    return this.need().status();
  }
  systemPrompt(caller: Caller): Promise<string> {
    return this.need().systemPrompt(caller);
  }
  ingest(agent: string, hirings: Hiring[], source: HiringSource): Promise<void> {
    return this.need().ingest(agent, hirings, source);
  }
  subscribe(listener: (event: RelayEvent) => void): () => void {
    this.statusListeners.add(listener);
    const off = this.need().subscribe(listener);
    return () => {
      this.statusListeners.delete(listener);
      off();
    };
  }
}
