// What the core needs from push-mode delivery and the upstream links. The Relay
// adapts src/relay/delivery and src/relay/upstream to these; tests pass small fakes.
import type { Hiring } from '../../shared/hiring';
import type { SubmitResultArgs } from '../../shared/tools';
import type { PushPlan, UpstreamLink, WorkspaceRef } from '../types';

/** The outcome of committing and pushing a workspace. */
export interface PushOutcome {
  branch: string;
  commit: string;
  files_changed: string[];
  pr_url?: string;
  pr_number?: number;
}

/** Push mode, as the core uses it. */
export interface PushDelivery {
  prepareWorkspace(input: { root: string; hiring: Hiring; onProgress?: (msg: string) => void }): Promise<WorkspaceRef>;
  findWorkspace(root: string, hiringId: string): Promise<WorkspaceRef | undefined>;
  commitAndPush(input: { workspace: WorkspaceRef; hiring: Hiring; plan: PushPlan }): Promise<PushOutcome>;
  /** The result to submit: the worker's output completed with branch, commit, files_changed, pr_url. */
  resultOutput(args: SubmitResultArgs, outcome: PushOutcome, plan: PushPlan): SubmitResultArgs;
}

export interface LinkDirectory {
  get(agent: string): UpstreamLink | undefined;
  all(): UpstreamLink[];
}
