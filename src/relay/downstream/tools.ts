// The tools the relay serves downstream: the platform's four (same names, same
// input schemas, so an Agrenting client works unchanged) plus the relay's own.
// Every result is one text item holding JSON; every failure is `isError: true`
// with a sentence a person can act on.
import { z } from 'zod';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { listedTool } from '../../shared/json-schema';
import { redact } from '../../shared/redact';
import {
  RELAY_TOOLS,
  RUN_TOKEN_TOOLS,
  describeZodError,
  isRelayToolName,
  type RelayToolArgs,
  type RelayToolName,
} from '../../shared/tools';
import type { Logger } from '../../shared/log';
import { RelayError, describeCaller, type Caller, type RelayCore } from '../types';

const ALL_TOOLS: readonly Tool[] = Object.values(RELAY_TOOLS).map(listedTool);
const WORKER_TOOLS: readonly Tool[] = Object.values(RELAY_TOOLS)
  .filter((d) => !('operatorOnly' in d))
  .map(listedTool);

const RUN_TOKEN_LISTED: readonly Tool[] = RUN_TOKEN_TOOLS.map((n) => listedTool(RELAY_TOOLS[n]));

/**
 * Approving, rejecting and runs are offered to the operator only (the core refuses them to anyone
 * else); a run token sees the two tools it may call.
 */
export function listTools(caller: Caller): Tool[] {
  if (caller.role === 'worker' && caller.hiring !== undefined) return [...RUN_TOKEN_LISTED];
  return [...(caller.role === 'operator' ? ALL_TOOLS : WORKER_TOOLS)];
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

const ACTIONS: Record<RelayToolName, string> = {
  submit_hiring_result: 'submit the result',
  report_hiring_failure: 'report the failure',
  add_hiring_message: 'add the message',
  task_emit_chunk: 'send the progress chunk',
  claim_hiring: 'claim the hiring',
  prepare_workspace: 'prepare the workspace',
  approve_submission: 'approve the submission',
  reject_submission: 'reject the submission',
  start_run: 'start the run',
  stop_run: 'stop the run',
};

type Handlers = { [N in RelayToolName]: (args: RelayToolArgs[N], ctx: ToolContext) => unknown };

/** Each tool on the core, with arguments already parsed: from here down they are trusted. */
const HANDLERS: Handlers = {
  submit_hiring_result: ({ push, ...result }, { core, caller }) => core.submitResult(caller, result, push),
  report_hiring_failure: (args, { core, caller }) => core.reportFailure(caller, args),
  add_hiring_message: (args, { core, caller }) => core.addMessage(caller, args),
  task_emit_chunk: (args, { core, caller }) => core.emitChunk(caller, args),
  claim_hiring: ({ hiring_id }, { core, caller }) => core.claim(caller, hiring_id),
  prepare_workspace: ({ hiring_id }, { core, caller, progress }) => core.prepareWorkspace(caller, hiring_id, progress),
  approve_submission: ({ submission_id }, { core, caller }) => core.approve(caller, submission_id),
  reject_submission: ({ submission_id, feedback }, { core, caller }) => core.reject(caller, submission_id, feedback),
  start_run: ({ hiring_id, runner }, { core, caller }) => {
    if (!core.startRun) {
      throw new RelayError('No runner is configured (add "runners" to the relay config).', 'unavailable');
    }
    return core.startRun(caller, hiring_id, runner);
  },
  stop_run: ({ hiring_id }, { core, caller }) => {
    if (!core.stopRun) throw new RelayError(`No run for hiring ${hiring_id}: no runner is configured.`, 'not_found');
    return core.stopRun(caller, hiring_id);
  },
};

function dispatch<N extends RelayToolName>(name: N, raw: Record<string, unknown>, ctx: ToolContext): unknown {
  const args = RELAY_TOOLS[name].args.parse(raw) as RelayToolArgs[N];
  return HANDLERS[name](args, ctx);
}

/** Runs one tool call for a caller; never throws — every failure becomes an isError result. */
export async function callTool(
  name: string,
  rawArgs: Record<string, unknown> | undefined,
  ctx: ToolContext,
): Promise<CallToolResult> {
  const args = rawArgs ?? {};
  if (!isRelayToolName(name)) {
    return fail(`Could not run ${name} (${subjectOf(args)}): there is no tool named "${name}"`);
  }
  const action = ACTIONS[name];
  // A run token works on its own hiring, with the two tools a running agent needs.
  const scope = ctx.caller.role === 'worker' ? ctx.caller.hiring : undefined;
  if (scope !== undefined && !RUN_TOKEN_TOOLS.includes(name)) {
    return fail(
      `Could not ${action}: a run token may only call ${RUN_TOKEN_TOOLS.join(' and ')}; the relay submits what the run leaves behind.`,
    );
  }
  if (scope !== undefined && args.hiring_id !== scope) {
    return fail(`Could not ${action} (${subjectOf(args)}): this run token works only on hiring ${scope}.`);
  }
  try {
    return ok(await dispatch(name, args, ctx));
  } catch (err) {
    const subject = subjectOf(args);
    if (err instanceof z.ZodError) {
      return fail(
        `Could not ${action} (${subject}): the arguments are not valid — ${describeZodError(err)}. Fix them and call ${name} again.`,
      );
    }
    if (err instanceof RelayError) {
      return fail(`Could not ${action} (${subject}): ${err.message}`);
    }
    ctx.log.error(`tool ${name} failed`, { subject, caller: describeCaller(ctx.caller), error: err });
    const msg = err instanceof Error ? err.message : String(err);
    return fail(
      `Could not ${action} (${subject}) because the relay hit an unexpected error: ${msg}. The relay log has details.`,
    );
  }
}
