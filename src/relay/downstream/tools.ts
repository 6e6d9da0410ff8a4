// The tools the relay serves downstream: the platform's four (same names, same
// input schemas, so an Agrenting client works unchanged) plus the relay's own.
// Every result is one text item holding JSON; every failure is `isError: true`
// with a sentence a person can act on.
import { z } from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { TOOL } from '../../shared/protocol';
import { redact } from '../../shared/redact';
import { AddMessageArgs, EmitChunkArgs, ReportFailureArgs, SubmitResultArgs, TOOL_INPUT_SCHEMAS, describeZodError } from '../../shared/tools';
import type { Logger } from '../../shared/log';
import { RelayError, type Caller, type RelayCore } from '../types';
import { describeCaller } from './auth';
import { safeView } from './resources';

export const RELAY_TOOL = {
  claim: 'claim_hiring',
  prepareWorkspace: 'prepare_workspace',
  approve: 'approve_submission',
  reject: 'reject_submission',
  startRun: 'start_run',
  stopRun: 'stop_run',
} as const;

const HiringIdArgs = z.object({ hiring_id: z.string().min(1, 'hiring_id is required') });
const StartRunArgs = HiringIdArgs.extend({ runner: z.string().min(1).optional() });
const ApproveArgs = z.object({ submission_id: z.string().min(1, 'submission_id is required') });
const RejectArgs = ApproveArgs.extend({
  feedback: z.string().trim().min(1, 'feedback is required: tell the worker what to change'),
});
/** Optional push-mode details a worker may add to submit_hiring_result (not part of the platform's schema). */
const PushPlanArg = z.object({ commitMessage: z.string(), openPullRequest: z.boolean(), summary: z.string() }).partial().optional();

type InputSchema = Tool['inputSchema'];
const schema = (s: unknown) => s as InputSchema;

const PLATFORM_TOOLS: Tool[] = [
  {
    name: TOOL.submitResult,
    description:
      'Submit the result of a hiring: `output` (object or string) and optional artifacts. With review on, the submission waits for the operator; ' +
      'it reaches Agrenting once approved. Push mode: commit your work in the prepared workspace first; an optional `push` object ' +
      '{commitMessage, openPullRequest, summary} shapes the commit and pull request.',
    inputSchema: schema(TOOL_INPUT_SCHEMAS.submit_hiring_result),
  },
  {
    name: TOOL.reportFailure,
    description: 'Report that a hiring cannot be done (the hirer is refunded). Give a reason a person can understand.',
    inputSchema: schema(TOOL_INPUT_SCHEMAS.report_hiring_failure),
  },
  {
    name: TOOL.addMessage,
    description: "Add a message or question to the hiring's conversation with the hirer.",
    inputSchema: schema(TOOL_INPUT_SCHEMAS.add_hiring_message),
  },
  {
    name: TOOL.emitChunk,
    description: 'Stream live progress (text, log or status) to the hirer.',
    inputSchema: schema(TOOL_INPUT_SCHEMAS.task_emit_chunk),
  },
];

const hiringIdSchema = schema({ type: 'object', properties: { hiring_id: { type: 'string' } }, required: ['hiring_id'] });

const WORKER_TOOLS: Tool[] = [
  { name: RELAY_TOOL.claim, description: 'Claim a hiring so that other workers leave it alone. Returns the hiring.', inputSchema: hiringIdSchema },
  {
    name: RELAY_TOOL.prepareWorkspace,
    description: 'Push mode: clone the hiring repository into a local workspace on branch agrenting/<hiring-id>. Returns {dir, branch, baseBranch, baseSha}.',
    inputSchema: hiringIdSchema,
  },
];

const OPERATOR_TOOLS: Tool[] = [
  {
    name: RELAY_TOOL.approve,
    description: 'Approve a submission waiting for review; the relay then delivers it to Agrenting.',
    inputSchema: schema({ type: 'object', properties: { submission_id: { type: 'string' } }, required: ['submission_id'] }),
  },
  {
    name: RELAY_TOOL.reject,
    description: 'Reject a submission with feedback; the worker sees the feedback on the hiring. Nothing is sent to Agrenting.',
    inputSchema: schema({
      type: 'object',
      properties: { submission_id: { type: 'string' }, feedback: { type: 'string', description: 'What the worker should change' } },
      required: ['submission_id', 'feedback'],
    }),
  },
  {
    name: RELAY_TOOL.startRun,
    description:
      'Hand a hiring to a runner (a coding-agent CLI the relay starts). Without `runner`, the first configured runner that ' +
      'takes the hiring. Returns the run {runner, state, attempt, maxAttempts, startedAt}.',
    inputSchema: schema({
      type: 'object',
      properties: { hiring_id: { type: 'string' }, runner: { type: 'string', description: 'Runner name from the relay config' } },
      required: ['hiring_id'],
    }),
  },
  {
    name: RELAY_TOOL.stopRun,
    description:
      'Stop the run working a hiring (TERM, then KILL after a grace period). Nothing is submitted; the hiring stays ' +
      "with the runner: start_run again, or finish it yourself.",
    inputSchema: hiringIdSchema,
  },
];

/** What a runner's child process may call with its run token. */
const RUN_TOKEN_TOOLS: readonly string[] = [TOOL.addMessage, TOOL.emitChunk];

/** Tools only the operator may call. */
const OPERATOR_ONLY: readonly string[] = OPERATOR_TOOLS.map((t) => t.name);

export function listTools(caller: Caller): Tool[] {
  if (caller.role === 'worker' && caller.hiring !== undefined) return PLATFORM_TOOLS.filter((t) => RUN_TOKEN_TOOLS.includes(t.name));
  return caller.role === 'operator' ? [...PLATFORM_TOOLS, ...WORKER_TOOLS, ...OPERATOR_TOOLS] : [...PLATFORM_TOOLS, ...WORKER_TOOLS];
}

export interface ToolContext {
  core: RelayCore;
  caller: Caller;
  log: Logger;
  /** Reports progress of a long step to the client, when it asked for progress. */
  progress?: (message: string) => void;
}

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

function fail(text: string): CallToolResult {
  return { content: [{ type: 'text', text: redact(text) }], isError: true };
}

/** What the call was about, for error sentences: "hiring H1" or "submission S1". */
function subjectOf(args: Record<string, unknown>): string {
  if (typeof args.hiring_id === 'string' && args.hiring_id) return `hiring ${args.hiring_id}`;
  if (typeof args.submission_id === 'string' && args.submission_id) return `submission ${args.submission_id}`;
  return 'the call';
}

const ACTIONS: Record<string, string> = {
  [TOOL.submitResult]: 'submit the result',
  [TOOL.reportFailure]: 'report the failure',
  [TOOL.addMessage]: 'add the message',
  [TOOL.emitChunk]: 'send the progress chunk',
  [RELAY_TOOL.claim]: 'claim the hiring',
  [RELAY_TOOL.prepareWorkspace]: 'prepare the workspace',
  [RELAY_TOOL.approve]: 'approve the submission',
  [RELAY_TOOL.reject]: 'reject the submission',
  [RELAY_TOOL.startRun]: 'start the run',
  [RELAY_TOOL.stopRun]: 'stop the run',
};

async function dispatch(name: string, args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
  const { core, caller } = ctx;
  switch (name) {
    case TOOL.submitResult: {
      const push = PushPlanArg.parse(args.push);
      return core.submitResult(caller, SubmitResultArgs.parse(args), push);
    }
    case TOOL.reportFailure:
      return core.reportFailure(caller, ReportFailureArgs.parse(args));
    case TOOL.addMessage:
      return core.addMessage(caller, AddMessageArgs.parse(args));
    case TOOL.emitChunk:
      return core.emitChunk(caller, EmitChunkArgs.parse(args));
    case RELAY_TOOL.claim:
      return safeView(core.claim(caller, HiringIdArgs.parse(args).hiring_id));
    case RELAY_TOOL.prepareWorkspace:
      return core.prepareWorkspace(caller, HiringIdArgs.parse(args).hiring_id, ctx.progress);
    case RELAY_TOOL.approve:
      return core.approve(caller, ApproveArgs.parse(args).submission_id);
    case RELAY_TOOL.reject: {
      const { submission_id, feedback } = RejectArgs.parse(args);
      return core.reject(caller, submission_id, feedback);
    }
    case RELAY_TOOL.startRun: {
      const { hiring_id, runner } = StartRunArgs.parse(args);
      if (!core.startRun) throw new RelayError('this relay has no runners configured', 'unavailable');
      return core.startRun(caller, hiring_id, runner);
    }
    case RELAY_TOOL.stopRun: {
      const { hiring_id } = HiringIdArgs.parse(args);
      if (!core.stopRun) throw new RelayError('this relay has no runners configured', 'unavailable');
      return core.stopRun(caller, hiring_id);
    }
  }
  throw new RelayError(`there is no tool named "${name}"`, 'invalid');
}

/** Runs one tool call for a caller; never throws — every failure becomes an isError result. */
export async function callTool(name: string, rawArgs: Record<string, unknown> | undefined, ctx: ToolContext): Promise<CallToolResult> {
  const args = rawArgs ?? {};
  const action = ACTIONS[name] ?? `run ${name}`;
  if (OPERATOR_ONLY.includes(name) && ctx.caller.role !== 'operator') {
    return fail(
      `Only the operator can ${action}; this token belongs to ${describeCaller(ctx.caller)}. ` +
        'Ask the person running the relay to do it in VS Code.',
    );
  }
  const scope = ctx.caller.role === 'worker' ? ctx.caller.hiring : undefined;
  if (scope !== undefined && !RUN_TOKEN_TOOLS.includes(name)) {
    return fail(`Could not ${action}: a run token may only call ${RUN_TOKEN_TOOLS.join(' and ')}; the relay submits what the run leaves behind.`);
  }
  if (scope !== undefined && args.hiring_id !== scope) {
    return fail(`Could not ${action} (${subjectOf(args)}): this run token works only on hiring ${scope}.`);
  }
  try {
    return ok(await dispatch(name, args, ctx));
  } catch (err) {
    const subject = subjectOf(args);
    if (err instanceof z.ZodError) {
      return fail(`Could not ${action} (${subject}): the arguments are not valid — ${describeZodError(err)}. Fix them and call ${name} again.`);
    }
    if (err instanceof RelayError) {
      return fail(`Could not ${action} (${subject}): ${err.message}`);
    }
    ctx.log.error(`tool ${name} failed`, { subject, caller: describeCaller(ctx.caller), error: err });
    const msg = err instanceof Error ? err.message : String(err);
    return fail(`Could not ${action} (${subject}) because the relay hit an unexpected error: ${msg}. The relay log has details.`);
  }
}
