// The four things an agent does to a hiring (§2 tools, §3 REST): one
// implementation for both surfaces, so MCP and REST agree on every rule
// (not found, not yours, already terminal, invalid arguments).
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  BASE64_ARTIFACT_TYPES,
  isTerminalStatus,
  LIMITS,
  TOOL,
  type ArtifactType,
  type PlatformToolName,
} from '../shared/protocol';
import {
  describeZodError,
  PLATFORM_TOOLS,
  type AddMessageArgs,
  type Artifact,
  type EmitChunkArgs,
  type ReportFailureArgs,
  type SubmitResultArgs,
} from '../shared/tools';
import type { HiringRecord, MarketStore } from './store';
import type { PlatformHiring, StoredArtifact } from './types';

export type ActionErrorKind = 'invalid' | 'not_found' | 'not_yours' | 'terminal';

export type ActionResult =
  { ok: true; hiring: PlatformHiring; value: unknown } | { ok: false; kind: ActionErrorKind; message: string };

const SCHEMAS = new Map<string, z.ZodTypeAny>(PLATFORM_TOOLS.map((t) => [t.name, t.args]));

export function isPlatformTool(name: string): name is PlatformToolName {
  return SCHEMAS.has(name);
}

function storedArtifact(a: Artifact): StoredArtifact {
  const base64 = BASE64_ARTIFACT_TYPES.includes(a.artifact_type as ArtifactType);
  return {
    id: randomUUID(),
    name: a.name,
    artifact_type: a.artifact_type,
    ...(a.content_type ? { content_type: a.content_type } : {}),
    size_bytes: base64 ? Buffer.from(a.content, 'base64').length : Buffer.byteLength(a.content),
    content: a.content,
  };
}

/** The platform's artifact rules beyond the schema: base64 where required, inline content under 1 MB. */
function artifactProblem(artifacts: Artifact[]): string | undefined {
  for (const a of artifacts) {
    const base64 = BASE64_ARTIFACT_TYPES.includes(a.artifact_type as ArtifactType);
    if (base64 && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(a.content)) {
      return `artifact "${a.name}": ${a.artifact_type} content must be base64`;
    }
    const bytes = base64 ? Buffer.from(a.content, 'base64').length : Buffer.byteLength(a.content);
    if (bytes > LIMITS.maxInlineArtifactBytes) {
      return `artifact "${a.name}" is ${bytes} bytes; inline content is limited to ${LIMITS.maxInlineArtifactBytes}`;
    }
  }
  return undefined;
}

const fail = (kind: ActionErrorKind, message: string): ActionResult => ({ ok: false, kind, message });

/** Looks the hiring up for this agent, with the error the agent would get. */
export function hiringFor(
  store: MarketStore,
  agentId: string,
  hiringId: string,
): { ok: true; record: HiringRecord } | { ok: false; kind: ActionErrorKind; message: string } {
  const record = store.get(hiringId);
  if (!record) return { ok: false, kind: 'not_found', message: `Hiring ${hiringId} not found.` };
  if (record.hiring.agent_id !== agentId) {
    return { ok: false, kind: 'not_yours', message: `Hiring ${hiringId} is not assigned to this agent.` };
  }
  return { ok: true, record };
}

export function runAction(store: MarketStore, agentId: string, tool: PlatformToolName, rawArgs: unknown): ActionResult {
  const parsed = (SCHEMAS.get(tool) as z.ZodTypeAny).safeParse(rawArgs ?? {});
  if (!parsed.success) return fail('invalid', `Invalid arguments for ${tool}: ${describeZodError(parsed.error)}.`);
  const args = parsed.data as { hiring_id: string };
  const found = hiringFor(store, agentId, args.hiring_id);
  if (!found.ok) return found;
  const r = found.record;
  if (isTerminalStatus(r.hiring.status)) {
    return fail(
      'terminal',
      `Hiring ${r.hiring.id} is already ${r.hiring.status}; nothing more can be delivered to it.`,
    );
  }
  switch (tool) {
    case TOOL.submitResult: {
      const a = parsed.data as SubmitResultArgs;
      const bad = artifactProblem(a.artifacts ?? []);
      if (bad) return fail('invalid', `Invalid arguments for ${tool}: ${bad}.`);
      store.complete(r, a.output, (a.artifacts ?? []).map(storedArtifact));
      return { ok: true, hiring: r.hiring, value: r.hiring };
    }
    case TOOL.reportFailure: {
      const a = parsed.data as ReportFailureArgs;
      store.endWithRefund(r, 'failed', a.error ? `${a.error}: ${a.reason}` : a.reason);
      return { ok: true, hiring: r.hiring, value: r.hiring };
    }
    case TOOL.addMessage: {
      const a = parsed.data as AddMessageArgs;
      const message = store.addMessage(r, 'agent', a.content, a.kind ?? 'message');
      return { ok: true, hiring: r.hiring, value: message };
    }
    case TOOL.emitChunk: {
      const a = parsed.data as EmitChunkArgs;
      const chunk = store.addChunk(r, a.content, a.kind ?? 'text');
      return { ok: true, hiring: r.hiring, value: chunk };
    }
  }
}
