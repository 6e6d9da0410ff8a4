// Parses what the relay serves (resources and tool results) into typed values,
// leniently: a malformed item is dropped and reported, never the whole list.
import { z } from 'zod';
import { parseHiring, withoutSecrets } from '../../shared/hiring';
import { lenient, listOf, parseEach, type Parsed } from '../../shared/lenient';
import { FAILURE_ERRORS } from '../../shared/protocol';
import type { HiringView, LinkStatus, LocalPhase, RelayStatus, Submission, WorkspaceRef } from '../../relay/types';
import { LOCAL_PHASES, REVIEW_MODES, RUN_STATES, SUBMISSION_STATES } from '../../shared/constants';

const LINK_STATES = ['connecting', 'connected', 'reconnecting', 'offline', 'stopped'] as const;

const str = lenient(z.string());

const ChunkSchema = z.object({ content: z.string(), kind: str, at: z.string().catch('') });
const RelayMessageSchema = z.object({
  content: z.string(),
  from: z.enum(['review', 'relay']).catch('relay'),
  at: z.string().catch(''),
});
const WorkspaceSchema = z.object({
  dir: z.string(),
  branch: z.string().catch(''),
  baseBranch: z.string().catch(''),
  baseSha: z.string().catch(''),
});

const RunSchema = z.object({
  runner: z.string(),
  state: z.enum(RUN_STATES),
  attempt: z.number().catch(1),
  maxAttempts: z.number().catch(1),
  startedAt: z.string().catch(''),
  endedAt: str,
  exitCode: lenient(z.number().nullable()),
  reason: str,
});

const LocalSchema = z.object({
  agent: z.string().catch('default'),
  phase: z.enum(LOCAL_PHASES).catch('new'),
  claimedBy: str,
  firstSeenAt: z.string().catch(''),
  updatedAt: z.string().catch(''),
  chunks: listOf(ChunkSchema),
  relayMessages: listOf(RelayMessageSchema),
  workspace: lenient(WorkspaceSchema),
  submissions: listOf(z.string()),
  run: lenient(RunSchema),
});

/** Absent fields are left out rather than set to undefined, as the relay's own values are. */
function present<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * One hiring as the relay serves it. Accepts the extension's shape (`{hiring, phase, ...}`)
 * and the agent-facing shape (a platform hiring with a `relay` object).
 */
export function parseHiringView(raw: unknown): HiringView {
  if (!raw || typeof raw !== 'object') throw new Error('expected an object');
  const obj = raw as Record<string, unknown>;
  const platform = 'hiring' in obj ? obj.hiring : obj;
  const local = 'hiring' in obj ? obj : obj.relay;
  // The relay's core strips tokens (core/views.ts toView); this is the extension's own edge,
  // in another process, and it keeps none even from a relay that sent one by mistake.
  const hiring = withoutSecrets(parseHiring(platform));
  const { run, ...l } = LocalSchema.parse(local && typeof local === 'object' ? local : {});
  return present({ ...l, hiring, ...(run ? { run: present(run) } : {}) });
}

export function parseHiringViews(raw: unknown): Parsed<HiringView> {
  return parseEach(raw, parseHiringView, { list: 'hirings', item: 'hiring' });
}

const SubmissionSchema = z
  .object({
    id: z.string().min(1),
    agent: z.string().catch('default'),
    hiringId: z.string().min(1),
    kind: z.enum(['result', 'failure']).catch('result'),
    result: lenient(
      z
        .object({
          hiring_id: z.string(),
          output: z.union([z.string(), z.record(z.unknown())]),
          artifacts: z
            .array(
              z
                .object({ artifact_type: z.string(), name: z.string(), content: z.string(), content_type: str })
                .passthrough(),
            )
            .optional(),
        })
        .passthrough(),
    ),
    failure: lenient(z.object({ hiring_id: z.string(), reason: z.string(), error: lenient(z.enum(FAILURE_ERRORS)) })),
    push: lenient(
      z.object({
        commitMessage: z.string().catch(''),
        openPullRequest: z.boolean().catch(false),
        summary: z.string().catch(''),
      }),
    ),
    submittedBy: z.string().catch('unknown'),
    state: z.enum(SUBMISSION_STATES).catch('awaiting_review'),
    feedback: str,
    error: str,
    createdAt: z.string().catch(''),
    decidedAt: str,
    deliveredAt: str,
  })
  .passthrough();

/** One submission (a tool result or a review-queue item). */
export function parseSubmission(raw: unknown): Submission {
  // The schema keeps unknown fields and looser artifact shapes than Submission names.
  return present(SubmissionSchema.parse(raw)) as unknown as Submission;
}

export function parseSubmissions(raw: unknown): Parsed<Submission> {
  return parseEach(raw, parseSubmission, { list: 'submissions', item: 'submission' });
}

const LinkSchema = z.object({
  agent: z.string().catch('default'),
  agentId: str,
  state: z.enum(LINK_STATES).catch('offline'),
  lastError: str,
  reconnects: z.number().catch(0),
  connectedSince: str,
  lastEventAt: str,
});

const StatusSchema = z.object({
  version: z.string().catch('?'),
  startedAt: z.string().catch(''),
  review: z.enum(REVIEW_MODES).catch('required'),
  links: listOf(LinkSchema),
  counts: z.record(z.number()).catch({}),
  reviewsWaiting: z.number().catch(0),
  outboxPending: z.number().catch(0),
  runs: listOf(
    z.object({
      hiring_id: z.string(),
      runner: z.string(),
      state: z.enum(RUN_STATES),
      attempt: z.number().catch(1),
      startedAt: z.string().catch(''),
    }),
  ),
  runners: listOf(
    z.object({
      name: z.string(),
      autoDispatch: z.boolean().catch(false),
      maxConcurrent: z.number().catch(1),
      active: z.number().catch(0),
    }),
  ),
});

/** relay://status. Throws only when it is not an object at all. */
export function parseRelayStatus(raw: unknown): RelayStatus {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('expected the relay status object');
  const s = StatusSchema.parse(raw);
  const counts = Object.fromEntries(LOCAL_PHASES.map((p) => [p, s.counts[p] ?? 0])) as Record<LocalPhase, number>;
  const links: LinkStatus[] = s.links.map(present);
  return { ...s, links, counts };
}

/** The workspace a `prepare_workspace` result names: a WorkspaceRef, a HiringView, or `{workspace}`. */
export function parseWorkspaceResult(raw: unknown): WorkspaceRef | undefined {
  const direct = WorkspaceSchema.safeParse(raw);
  if (direct.success) return direct.data;
  if (raw && typeof raw === 'object') {
    const obj = raw as Record<string, unknown>;
    for (const inner of [obj.workspace, (obj.relay as Record<string, unknown> | undefined)?.workspace]) {
      const r = WorkspaceSchema.safeParse(inner);
      if (r.success) return r.data;
    }
  }
  return undefined;
}
