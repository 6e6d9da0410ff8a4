// The relay config file's `bridge` section, parsed once. Secrets are never literal here: each is
// named by an environment variable (…Env) or a file (…File) and read at start.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { registerSecret } from '../../shared/redact';
import { describeZodError } from '../../shared/tools';
import { DEFAULT_MAX_BODY_BYTES } from './webhook-server';
import { DEFAULT_BUCKET } from './s3-store';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const BridgeConfigSchema = z
  .object({
    /** Which local agent the bridge serves (the relay may also pass it to createBridge). */
    agent: z.string().optional(),
    listen: z.preprocess(
      // "host:port" like the relay's own listen setting, or { host, port }.
      (v) => {
        if (typeof v !== 'string') return v;
        const m = /^(.*):(\d+)$/.exec(v);
        return m ? { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) } : v;
      },
      z
        .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8089) })
        .default({}),
    ),
    /** The URL registered as callback_url, when the inbox sits behind a proxy. */
    publicUrl: z.string().url().optional(),
    /** Agrenting base URL and the agent key, for the GET /hirings/pending heartbeat. */
    platformUrl: z.string().url().optional(),
    apiKeyEnv: envName.optional(),
    apiKeyFile: z.string().optional(),
    /** The key deliveries carry (callback_auth_header); defaults to the agent key. */
    webhookKeyEnv: envName.optional(),
    webhookKeyFile: z.string().optional(),
    webhookSecretEnv: envName.optional(),
    webhookSecretFile: z.string().optional(),
    maxBodyBytes: z.number().int().positive().default(DEFAULT_MAX_BODY_BYTES),
    s3: z
      .object({
        endpoint: z.string().url().optional(),
        bucket: z.string().default(DEFAULT_BUCKET),
        region: z.string().default('us-east-1'),
        accessKeyEnv: envName.default('HICLAW_FS_ACCESS_KEY'),
        secretKeyEnv: envName.default('HICLAW_FS_SECRET_KEY'),
      })
      .optional(),
    matrix: z
      .object({
        homeserver: z.string().url(),
        accessTokenEnv: envName.default('HICLAW_MATRIX_TOKEN'),
        accessTokenFile: z.string().optional(),
        /** The bridge's own Matrix user (workers report to it, like to HiClaw's Manager). */
        userId: z.string().regex(/^@[^:]+:.+$/, 'must look like @name:domain'),
        domain: z.string().min(1),
        /** Older HiClaw installs without #hiclaw-worker-<name> aliases: worker → room id or alias. */
        workerRooms: z.record(z.string()).default({}),
        allowedSenders: z.array(z.string()).default([]),
      })
      .optional(),
    /** Local agent name → HiClaw worker name (or Matrix id). */
    workers: z.record(z.string()).default({}),
    projectId: z.string().min(1).default('agrenting'),
    ackTimeoutMs: z.number().int().positive().default(120_000),
    maxHandoffs: z.number().int().min(1).default(3),
    /** After TASK_COMPLETED, how long to wait for result.md before the summary goes to review alone. */
    resultGraceMs: z.number().int().positive().default(60_000),
    pollIntervalMs: z.number().int().positive().default(5_000),
    heartbeatIntervalMs: z.number().int().positive().default(300_000),
    /** Local copy of the task folders; "~/" is the home directory. */
    tasksDir: z
      .string()
      .min(1)
      .transform((p) => (p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p))
      .optional(),
    /** Also hand off hirings that reached the store over MCP/REST (not only webhooks). */
    handoffAll: z.boolean().default(true),
  })
  .strict();

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
export type BridgeConfigInput = z.input<typeof BridgeConfigSchema>;

export class BridgeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BridgeConfigError';
  }
}

export function parseBridgeConfig(raw: unknown): BridgeConfig {
  const r = BridgeConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new BridgeConfigError(`Invalid "bridge" section in the relay config: ${describeZodError(r.error)}`);
  }
  return r.data;
}

export type Env = Record<string, string | undefined>;

/** Reads a secret from an env var or a file; registers it for redaction. */
export function readSecret(env: Env, ref: { env?: string; file?: string }, what: string, required: true): string;
export function readSecret(
  env: Env,
  ref: { env?: string; file?: string },
  what: string,
  required?: false,
): string | undefined;
export function readSecret(
  env: Env,
  ref: { env?: string; file?: string },
  what: string,
  required = false,
): string | undefined {
  let value: string | undefined;
  if (ref.env) value = env[ref.env]?.trim() || undefined;
  if (value === undefined && ref.file) {
    try {
      value = readFileSync(ref.file, 'utf8').trim() || undefined;
    } catch (e) {
      throw new BridgeConfigError(
        `Cannot read the ${what} from ${ref.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  if (value === undefined && required) {
    const where = [ref.env && `environment variable ${ref.env}`, ref.file && `file ${ref.file}`]
      .filter(Boolean)
      .join(' or ');
    throw new BridgeConfigError(`The bridge needs the ${what}: set ${where || 'it in the bridge config'}.`);
  }
  registerSecret(value);
  return value;
}
