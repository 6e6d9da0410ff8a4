// Registering an agent on Agrenting (protocol §3, POST /api/v1/agents) with a user token, for the
// `agrenting-relay register` subcommand and the VS Code extension. MCP mode registers no callback
// (hirings arrive over the agent's MCP session); bridge mode registers the webhook inbox.
// The returned agent key is shown once by the platform: store it with storeAgentKey, never log it.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { registerSecret, safeError } from '../shared/redact';

export interface RegisterAgentOptions {
  baseUrl: string;
  /** The user's ap_… token (Settings > API Keys on Agrenting). */
  userToken: string;
  mode: 'mcp' | 'bridge';
  name: string;
  description?: string;
  capabilities?: string[];
  category?: string;
  pricing_model?: string;
  base_price?: string;
  provider?: string;
  model?: string;
  /** Bridge mode: the public URL of the webhook inbox. */
  callbackUrl?: string;
  /** Bridge mode: the "Name: value" header the platform sends, e.g. "Authorization: ApiKey <key>". */
  callbackAuthHeader?: string;
  /** Bridge mode: the secret for X-Webhook-Signature, when the platform lets the agent choose it. */
  webhookSecret?: string;
  /** The HiClaw worker, e.g. "@alice:hiclaw.example" (also useful in MCP mode for correlation). */
  workerMatrixId?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface RegisteredAgent {
  id: string;
  /** Shown once by the platform. A secret. */
  apiKey: string;
  /** The platform's view of the agent. */
  agent: Record<string, unknown>;
  /** Returned by platforms that generate the webhook secret. A secret. */
  webhookSecret?: string;
}

export class RegistrationError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

function errorMessage(body: unknown): string | undefined {
  const b = body as { errors?: { message?: unknown; details?: unknown }[]; error?: unknown; message?: unknown } | null;
  const first = Array.isArray(b?.errors) ? b.errors[0] : undefined;
  const text = first?.message ?? b?.error ?? b?.message;
  if (typeof text !== 'string') return undefined;
  const details = first?.details === undefined ? '' : ` ${JSON.stringify(first.details)}`;
  return `${text}${details}`.slice(0, 500);
}

export function registrationBody(o: RegisterAgentOptions): { agent: Record<string, unknown> } {
  const metadata: Record<string, unknown> = {};
  if (o.workerMatrixId) metadata.worker_matrix_id = o.workerMatrixId;
  if (o.mode === 'bridge') {
    if (!o.callbackUrl) {
      throw new RegistrationError('Bridge mode needs the webhook URL (callbackUrl) the platform will POST hirings to.');
    }
    metadata.callback_url = o.callbackUrl;
    if (o.callbackAuthHeader) {
      if (!/^[A-Za-z0-9-]+:\s*\S/.test(o.callbackAuthHeader)) {
        throw new RegistrationError(
          'callbackAuthHeader must look like "Name: value", e.g. "Authorization: ApiKey <key>".',
        );
      }
      metadata.callback_auth_header = o.callbackAuthHeader;
    }
    if (o.webhookSecret) metadata.webhook_secret = o.webhookSecret;
  }
  const agent: Record<string, unknown> = {
    name: o.name,
    description: o.description ?? '',
    capabilities: o.capabilities ?? ['coding'],
    category: o.category ?? 'coding',
    pricing_model: o.pricing_model ?? 'fixed',
    base_price: o.base_price ?? '10.00',
    metadata,
  };
  if (o.provider) agent.provider = o.provider;
  if (o.model) agent.model = o.model;
  return { agent };
}

export async function registerAgent(o: RegisterAgentOptions): Promise<RegisteredAgent> {
  registerSecret(o.userToken);
  registerSecret(o.webhookSecret);
  if (o.callbackAuthHeader) {
    registerSecret(
      o.callbackAuthHeader
        .slice(o.callbackAuthHeader.indexOf(':') + 1)
        .trim()
        .replace(/^(ApiKey|Bearer)\s+/i, ''),
    );
  }
  if (!o.name.trim()) throw new RegistrationError('The agent needs a name.');
  const body = registrationBody(o);
  const url = `${o.baseUrl.replace(/\/+$/, '')}/api/v1/agents`;
  let res: Response;
  try {
    res = await (o.fetch ?? fetch)(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${o.userToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
    });
  } catch (e) {
    throw new RegistrationError(safeError(e, `Could not reach Agrenting at ${url}`).message);
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  if (res.status === 401) {
    throw new RegistrationError(
      'Agrenting rejected the user token (401). Create an ap_ token under Settings > API Keys and try again.',
      401,
    );
  }
  if (res.status === 403) {
    throw new RegistrationError(
      `Agrenting refused the registration (403): ${errorMessage(json) ?? 'the token may not allow creating agents'}.`,
      403,
    );
  }
  if (res.status === 422 || res.status === 400) {
    throw new RegistrationError(
      `Agrenting did not accept the agent (${res.status}): ${errorMessage(json) ?? 'invalid fields'}.`,
      res.status,
    );
  }
  if (!res.ok) {
    throw new RegistrationError(
      `Agrenting answered ${res.status} to POST ${url}: ${errorMessage(json) ?? res.statusText}.`,
      res.status,
    );
  }
  const data = (
    json as { data?: { id?: unknown; api_key?: unknown; agent?: unknown; webhook_secret?: unknown } } | undefined
  )?.data;
  if (!data || typeof data.api_key !== 'string' || (typeof data.id !== 'string' && typeof data.id !== 'number')) {
    throw new RegistrationError(
      `Agrenting's answer to POST ${url} has no agent id and api_key; nothing was stored.`,
      res.status,
    );
  }
  registerSecret(data.api_key);
  const webhookSecret = typeof data.webhook_secret === 'string' ? data.webhook_secret : undefined;
  registerSecret(webhookSecret);
  const agent = data.agent && typeof data.agent === 'object' ? (data.agent as Record<string, unknown>) : {};
  return { id: String(data.id), apiKey: data.api_key, agent, ...(webhookSecret ? { webhookSecret } : {}) };
}

export type KeyTarget = { kind: 'env-file'; path: string; variable?: string } | { kind: 'file'; path: string };

export const DEFAULT_KEY_VARIABLE = 'AGRENTING_API_KEY';

/**
 * Stores an agent key with mode 0600: a file holding just the key (for `apiKeyFile`), or a
 * `NAME=value` line in an env file (replacing an earlier line for the same variable).
 */
export async function storeAgentKey(key: string, target: KeyTarget): Promise<void> {
  registerSecret(key);
  if (!key || /[\r\n]/.test(key)) {
    throw new RegistrationError('The agent key is empty or spans lines; nothing was stored.');
  }
  await mkdir(dirname(target.path), { recursive: true, mode: 0o700 });
  let content: string;
  if (target.kind === 'file') {
    content = `${key}\n`;
  } else {
    const variable = target.variable ?? DEFAULT_KEY_VARIABLE;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new RegistrationError(`Not an environment variable name: ${variable}`);
    }
    let existing = '';
    try {
      existing = await readFile(target.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw safeError(e, `Cannot read ${target.path}`);
    }
    const kept = existing
      .split(/\r?\n/)
      .filter((l) => l.length > 0 && !new RegExp(`^\\s*(export\\s+)?${variable}=`).test(l));
    content = `${[...kept, `${variable}=${key}`].join('\n')}\n`;
  }
  const tmp = `${target.path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, target.path);
}
