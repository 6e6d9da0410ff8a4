// The webhook payload of protocol §7, parsed once at the edge, and its conversion to the Hiring
// the relay's store keeps, so a hiring that also arrives over MCP is the same record.
import { z } from 'zod';
import { parseHiring, type Hiring } from '../../shared/hiring';
import { describeZodError } from '../../shared/tools';

/** A hiring id that is safe as a folder name and an S3 key segment: no dots, slashes or spaces. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id);
}

/** A Matrix user id: `@localpart:domain`. */
export const MATRIX_USER_ID = /^@([a-z0-9._=/+-]+):([A-Za-z0-9.-]+(?::\d+)?)$/;

const price = z.union([z.string().min(1), z.number().transform((n) => n.toFixed(2))]);
const optionalText = z.string().nullable().optional().catch(undefined);

export const WebhookPayloadSchema = z
  .object({
    hiring_id: z
      .string()
      .regex(SAFE_ID, 'hiring_id must be 1-128 letters, digits, "-" or "_", starting with a letter or digit'),
    agent_id: z.union([z.string().min(1), z.number().transform(String)]),
    worker_matrix_id: z.string().regex(MATRIX_USER_ID, 'worker_matrix_id must look like @name:domain').optional(),
    task: z.object({ description: z.string().min(1, 'task.description is required') }).passthrough(),
    customer_id: z.union([z.string().min(1), z.number().transform(String)]),
    price,
    capability: optionalText,
    task_input: z.record(z.unknown()).nullable().optional().catch(undefined),
    client_message: optionalText,
    deadline_at: optionalText,
    callback: optionalText,
    timestamp: z.union([z.string(), z.number()]).optional().catch(undefined),
  })
  .passthrough();

export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

export type PayloadResult = { ok: true; payload: WebhookPayload } | { ok: false; error: string };

/**
 * Validates a delivery. `requireWorker`: the bridge has no configured worker for this agent, so
 * the payload's `worker_matrix_id` is the only way to route it to HiClaw.
 */
export function parseWebhookPayload(raw: unknown, opts: { requireWorker?: boolean } = {}): PayloadResult {
  const r = WebhookPayloadSchema.safeParse(raw);
  if (!r.success) return { ok: false, error: describeZodError(r.error) };
  if (opts.requireWorker && !r.data.worker_matrix_id) {
    return { ok: false, error: 'worker_matrix_id: required to route the hiring to a HiClaw worker' };
  }
  return { ok: true, payload: r.data };
}

/** The §7 payload as a §4 Hiring. Extra fields (worker_matrix_id, callback) are kept. */
export function payloadToHiring(p: WebhookPayload): Hiring {
  const { hiring_id, task, capability, ...rest } = p;
  return parseHiring({
    ...rest,
    id: hiring_id,
    task_description: task.description,
    capability_requested: capability ?? undefined,
    // A delivered webhook means the platform dispatched it to us: work to do.
    status: typeof rest.status === 'string' ? rest.status : 'in_progress',
  });
}
