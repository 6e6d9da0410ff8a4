// The Hiring object (§4), parsed leniently: unknown fields are kept, missing or
// malformed optional fields are tolerated, only `id` is required. Repository
// fields are read from the top level first, then from `task_input`.
import { z } from 'zod';
import { lenient, listOf, parseEach } from './lenient';
import type { DeliveryMode } from './protocol';
import { describeZodError } from './tools';

const nullableString = lenient(z.string().nullable());
const isoDate = nullableString;

/** Prices come as decimal strings; a number is accepted and formatted. */
const price = lenient(z.union([z.string(), z.number().transform((n) => n.toFixed(2))]));

export const HiringMessageSchema = z
  .object({
    id: lenient(z.union([z.string(), z.number().transform(String)])),
    kind: lenient(z.string()),
    sender_type: lenient(z.string()),
    content: z.string().catch(''),
    created_at: isoDate,
  })
  .passthrough();
export type HiringMessage = z.infer<typeof HiringMessageSchema>;

export const ArtifactRefSchema = z
  .object({
    id: lenient(z.union([z.string(), z.number().transform(String)])),
    name: lenient(z.string()),
    artifact_type: lenient(z.string()),
    content_type: lenient(z.string()),
    size_bytes: lenient(z.number()),
  })
  .passthrough();
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

const HiringShape = z.object({
  id: z.union([z.string().min(1), z.number().transform(String)]),
  status: lenient(z.string()),
  agent_id: nullableString,
  customer_id: nullableString,
  task_description: lenient(z.string()),
  capability_requested: nullableString,
  category: nullableString,
  price,
  delivery_mode: nullableString,
  task_input: lenient(z.record(z.unknown()).nullable()),
  repo_url: nullableString,
  repo_access_token: nullableString,
  client_message: nullableString,
  deadline_at: isoDate,
  messages: listOf(HiringMessageSchema),
  task_output: z.unknown().optional(),
  artifacts: listOf(ArtifactRefSchema),
  failed_reason: nullableString,
  created_at: isoDate,
  updated_at: isoDate,
  started_at: isoDate,
  completed_at: isoDate,
  failed_at: isoDate,
});

/** Unknown fields are kept (passthrough), never rejected. */
export const RawHiringSchema = HiringShape.passthrough();

/** The known fields only: `Omit` over a passthrough type would lose them to its index signature. */
type KnownHiringFields = z.infer<typeof HiringShape>;

/** A hiring as the rest of the code sees it: repo fields resolved, defaults filled. */
export type Hiring = Omit<
  KnownHiringFields,
  'delivery_mode' | 'task_input' | 'status' | 'task_description' | 'repo_url' | 'repo_access_token'
> & {
  status: string;
  task_description: string;
  delivery_mode: DeliveryMode;
  task_input: Record<string, unknown>;
  repo_url: string | null;
  repo_access_token: string | null;
  /** Fields the platform added that this version does not know: kept, passed on, never relied upon. */
  [extra: string]: unknown;
};

export class HiringParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HiringParseError';
  }
}

function stringField(obj: Record<string, unknown>, key: string): string | null {
  const v = obj[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Parses one hiring leniently. Throws HiringParseError only when there is no usable id. */
export function parseHiring(raw: unknown): Hiring {
  const r = RawHiringSchema.safeParse(raw);
  if (!r.success) {
    throw new HiringParseError(`not a hiring: ${describeZodError(r.error)}`);
  }
  const h = r.data;
  const taskInput = h.task_input ?? {};
  const mode = h.delivery_mode ?? stringField(taskInput, 'delivery_mode');
  // The tutorial's form puts the token in the URL (https://x-access-token:<token>@host/...):
  // it becomes the hiring's token, and the URL is kept without it.
  const rawUrl = h.repo_url ?? stringField(taskInput, 'repo_url');
  const { url: repoUrl, credential } = splitUrlCredentials(rawUrl);
  return {
    ...h,
    status: h.status ?? 'queued',
    task_description: h.task_description ?? '',
    task_input: taskInput,
    delivery_mode: mode === 'push' ? 'push' : 'output',
    repo_url: repoUrl,
    repo_access_token: h.repo_access_token ?? stringField(taskInput, 'repo_access_token') ?? credential,
  };
}

/**
 * A URL without its user and password, and the secret part of them (the password,
 * or the user name when it stands alone, as in `https://<token>@host/...`).
 */
export function splitUrlCredentials(url: string | null): { url: string | null; credential: string | null } {
  if (url === null) return { url, credential: null };
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return { url, credential: null };
    const credential = decodeURIComponent(u.password || u.username) || null;
    u.username = '';
    u.password = '';
    return { url: u.toString(), credential };
  } catch {
    // Not a URL we can parse: still never keep what looks like credentials before an '@'.
    const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@(.*)$/i.exec(url);
    return m ? { url: `${m[1]}${m[3]}`, credential: m[2].split(':').pop() || null } : { url, credential: null };
  }
}

/** Parses `hiring://pending` contents or a REST list: keeps the good, reports the bad. */
export function parseHiringList(raw: unknown): { hirings: Hiring[]; errors: string[] } {
  const { items, errors } = parseEach(raw, parseHiring, { list: 'hirings', item: 'item' });
  return { hirings: items, errors };
}

/** A copy safe to write to disk or show: the repository token removed everywhere, URLs included. */
export function withoutSecrets(h: Hiring): Hiring {
  const taskInput = { ...h.task_input };
  delete taskInput.repo_access_token;
  if (typeof taskInput.repo_url === 'string') taskInput.repo_url = splitUrlCredentials(taskInput.repo_url).url;
  return { ...h, repo_url: splitUrlCredentials(h.repo_url).url, repo_access_token: null, task_input: taskInput };
}

/** The first line of the task, for labels. */
export function taskTitle(h: Pick<Hiring, 'task_description' | 'id'>, max = 80): string {
  const line =
    h.task_description
      .split(/\r?\n/)
      .find((l) => l.trim().length > 0)
      ?.trim() ?? `Hiring ${h.id}`;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
