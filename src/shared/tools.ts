// Every MCP tool, defined once: its name, the sentence clients show, the zod schema of its
// arguments, and who may call it. The platform's four (§2) are what the sandbox serves; the
// relay serves the same four (with the relay's wording and an optional push plan) plus its own.
// JSON Schemas for tools/list are derived from the zod schemas (json-schema.ts), never written
// beside them, and arguments are parsed with these schemas where a call enters.
import { z } from 'zod';
import { ARTIFACT_TYPES, CHUNK_KINDS, FAILURE_ERRORS, LIMITS, MESSAGE_KINDS, TOOL } from './protocol';

export const ArtifactSchema = z
  .object({
    artifact_type: z.enum(ARTIFACT_TYPES),
    name: z.string().min(1),
    content: z.string().describe('base64 for file and image'),
    content_type: z.string().optional(),
  })
  .passthrough();
export type Artifact = z.infer<typeof ArtifactSchema>;

const hiringId = z.string().min(1, 'hiring_id is required').describe('The hiring');

export const SubmitResultArgs = z.object({
  hiring_id: hiringId,
  output: z.union([z.string(), z.record(z.unknown())]).describe('The result: an object or a string'),
  artifacts: z.array(ArtifactSchema).max(LIMITS.maxArtifacts, `at most ${LIMITS.maxArtifacts} artifacts`).optional(),
});
export type SubmitResultArgs = z.infer<typeof SubmitResultArgs>;

export const ReportFailureArgs = z.object({
  hiring_id: hiringId,
  reason: z.string().min(1, 'reason is required'),
  error: z.enum(FAILURE_ERRORS).optional(),
});
export type ReportFailureArgs = z.infer<typeof ReportFailureArgs>;

export const AddMessageArgs = z.object({
  hiring_id: hiringId,
  content: z.string().min(1).max(LIMITS.maxMessageChars, `content is limited to ${LIMITS.maxMessageChars} characters`),
  kind: z.enum(MESSAGE_KINDS).optional(),
});
export type AddMessageArgs = z.infer<typeof AddMessageArgs>;

export const EmitChunkArgs = z.object({
  hiring_id: hiringId,
  content: z.string(),
  kind: z.enum(CHUNK_KINDS).optional(),
});
export type EmitChunkArgs = z.infer<typeof EmitChunkArgs>;

/** Turns a zod error into one sentence a person can act on. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

export const HiringIdArgs = z.object({ hiring_id: hiringId });
export type HiringIdArgs = z.infer<typeof HiringIdArgs>;

export const SubmissionIdArgs = z.object({ submission_id: z.string().min(1, 'submission_id is required') });
export type SubmissionIdArgs = z.infer<typeof SubmissionIdArgs>;

export const RejectArgs = SubmissionIdArgs.extend({
  feedback: z
    .string()
    .trim()
    .min(1, 'feedback is required: tell the worker what to change')
    .describe('What the worker should change'),
});
export type RejectArgs = z.infer<typeof RejectArgs>;

export const StartRunArgs = HiringIdArgs.extend({
  runner: z.string().min(1).optional().describe('Runner name from the relay config'),
});
export type StartRunArgs = z.infer<typeof StartRunArgs>;

/** Push-mode details a worker may add to submit_hiring_result on the relay (not part of the platform's schema). */
export const PushPlanArgs = z
  .object({ commitMessage: z.string(), openPullRequest: z.boolean(), summary: z.string() })
  .partial();
export type PushPlanArgs = z.infer<typeof PushPlanArgs>;

export const RelaySubmitResultArgs = SubmitResultArgs.extend({ push: PushPlanArgs.optional() });
export type RelaySubmitResultArgs = z.infer<typeof RelaySubmitResultArgs>;

export interface ToolDefinition<N extends string = string, S extends z.ZodTypeAny = z.ZodTypeAny> {
  name: N;
  description: string;
  args: S;
  /** Listed for, and callable by, the operator only (approving and rejecting submissions). */
  operatorOnly?: true;
}

function tool<N extends string, S extends z.ZodTypeAny>(d: ToolDefinition<N, S>): ToolDefinition<N, S> {
  return d;
}

/** The platform's agent tools as Agrenting describes them (the sandbox serves these). */
export const PLATFORM_TOOLS = [
  tool({
    name: TOOL.submitResult,
    description: 'Submit the result of a hiring. Moves it to completed and releases the escrow.',
    args: SubmitResultArgs,
  }),
  tool({
    name: TOOL.reportFailure,
    description: 'Report that a hiring cannot be completed. Moves it to failed and refunds the hirer.',
    args: ReportFailureArgs,
  }),
  tool({
    name: TOOL.addMessage,
    description: 'Add a message or a question to the hiring conversation.',
    args: AddMessageArgs,
  }),
  tool({
    name: TOOL.emitChunk,
    description: 'Stream live progress (text, log or status) to the hirer.',
    args: EmitChunkArgs,
  }),
] as const;

/** The tools the relay serves downstream: the platform's four, then its own. */
export const RELAY_TOOLS = {
  submit_hiring_result: tool({
    name: TOOL.submitResult,
    description:
      'Submit the result of a hiring: `output` (object or string) and optional artifacts. With review on, the submission ' +
      'waits for the operator; it reaches Agrenting once approved. Push mode: commit your work in the prepared workspace ' +
      'first; an optional `push` object {commitMessage, openPullRequest, summary} shapes the commit and pull request.',
    args: RelaySubmitResultArgs,
  }),
  report_hiring_failure: tool({
    name: TOOL.reportFailure,
    description: 'Report that a hiring cannot be done (the hirer is refunded). Give a reason a person can understand.',
    args: ReportFailureArgs,
  }),
  add_hiring_message: tool({
    name: TOOL.addMessage,
    description: "Add a message or question to the hiring's conversation with the hirer.",
    args: AddMessageArgs,
  }),
  task_emit_chunk: tool({
    name: TOOL.emitChunk,
    description: 'Stream live progress (text, log or status) to the hirer.',
    args: EmitChunkArgs,
  }),
  claim_hiring: tool({
    name: 'claim_hiring',
    description: 'Claim a hiring so that other workers leave it alone. Returns the hiring.',
    args: HiringIdArgs,
  }),
  prepare_workspace: tool({
    name: 'prepare_workspace',
    description:
      'Push mode: clone the hiring repository into a local workspace on branch agrenting/<hiring-id>. ' +
      'Returns {dir, branch, baseBranch, baseSha}.',
    args: HiringIdArgs,
  }),
  approve_submission: tool({
    name: 'approve_submission',
    description: 'Approve a submission waiting for review; the relay then delivers it to Agrenting.',
    args: SubmissionIdArgs,
    operatorOnly: true,
  }),
  reject_submission: tool({
    name: 'reject_submission',
    description:
      'Reject a submission with feedback; the worker sees the feedback on the hiring. Nothing is sent to Agrenting.',
    args: RejectArgs,
    operatorOnly: true,
  }),
  start_run: tool({
    name: 'start_run',
    description:
      'Hand a hiring to a runner (a coding-agent CLI the relay starts). Without `runner`, the first configured runner ' +
      'that takes the hiring. Returns the run {runner, state, attempt, maxAttempts, startedAt}.',
    args: StartRunArgs,
    operatorOnly: true,
  }),
  stop_run: tool({
    name: 'stop_run',
    description:
      'Stop the run working a hiring (TERM, then KILL after a grace period). Nothing is submitted; the hiring stays ' +
      'with the runner: start_run again, or finish it yourself.',
    args: HiringIdArgs,
    operatorOnly: true,
  }),
} as const;

/** What a runner's child process may call with its run token (on its own hiring only). */
export const RUN_TOKEN_TOOLS: readonly RelayToolName[] = ['add_hiring_message', 'task_emit_chunk'];

export type RelayToolName = keyof typeof RELAY_TOOLS;
/** What a client sends to each relay tool (before parsing: e.g. feedback untrimmed). */
export type RelayToolInput = { [N in RelayToolName]: z.input<(typeof RELAY_TOOLS)[N]['args']> };
/** Each relay tool's arguments once parsed where the call enters. */
export type RelayToolArgs = { [N in RelayToolName]: z.infer<(typeof RELAY_TOOLS)[N]['args']> };

export function isRelayToolName(name: string): name is RelayToolName {
  return Object.hasOwn(RELAY_TOOLS, name);
}
