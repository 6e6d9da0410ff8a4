// The relay's JSON config file: its schema, and the agents it names with the key of each read
// from the environment variable or key file it points to (never from the file itself).
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { describeZodError, registerSecret, safeError } from '../shared';
import { BridgeConfigError, parseBridgeConfig, type BridgeConfig } from './bridge/config';
import { ConfigError } from './config-error';

export interface AgentConfig {
  /** Local name: "default" for the agent from the environment. */
  name: string;
  baseUrl: string;
  /** The agent key. Registered as a secret as soon as it is read. */
  apiKey: string;
}

const AgentEntry = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, "-", "_" or "." (at most 64)'),
    baseUrl: z.string().url('must be a URL such as https://agrenting.com').optional(),
    apiKeyEnv: z.string().min(1).optional(),
    apiKeyFile: z.string().min(1).optional(),
  })
  .passthrough();

const FileSchema = z
  .object({
    agents: z.array(z.unknown()).optional(),
    listen: z.string().optional(),
    review: z.string().optional(),
    stateDir: z.string().optional(),
    workspaceRoot: z.string().optional(),
    upstream: z.string().optional(),
    logLevel: z.string().optional(),
    bridge: z.unknown().optional(),
    /** Parsed by runners/config.ts (with AGRENTING_RELAY_RUNNERS). */
    runners: z.unknown().optional(),
  })
  .passthrough();

/** Fields that would hold a key literally: refused so keys never sit in a config file. */
const LITERAL_KEY_FIELDS = ['apiKey', 'api_key', 'key', 'token', 'agentKey'];

export function checkUrl(text: string, where: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    if (u.username || u.password) {
      throw new ConfigError(`${where}: put no credentials in the URL; use an API key setting.`);
    }
    return text.replace(/\/+$/, '');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${where}: "${text}" is not an http(s) URL.`);
  }
}

export interface FileSettings {
  file: string;
  data: z.infer<typeof FileSchema>;
}

export function readConfigFile(path: string): FileSettings {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `Cannot read the config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`The config file ${file} is not valid JSON: ${safeError(e).message}.`);
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`The config file ${file} is invalid: ${describeZodError(parsed.error)}.`);
  return { file, data: parsed.data };
}

function readKeyFile(path: string, where: string): string {
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(
      `${where}: cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
  if (!key) throw new ConfigError(`${where}: the key file ${path} is empty.`);
  return key;
}

export function agentsFromFile(settings: FileSettings, env: NodeJS.ProcessEnv, defaultBaseUrl: string): AgentConfig[] {
  const entries = settings.data.agents ?? [];
  if (entries.length === 0) {
    throw new ConfigError(
      `The config file ${settings.file} names no agents; add "agents": [{ "name": ..., "apiKeyEnv": ... }].`,
    );
  }
  const seen = new Set<string>();
  return entries.map((raw, i) => {
    const where = `${settings.file}: agents[${i}]`;
    if (raw && typeof raw === 'object') {
      const literal = LITERAL_KEY_FIELDS.find((f) => f in raw);
      if (literal) {
        throw new ConfigError(
          `${where}: "${literal}" holds a key in the file, which is refused. Name an environment variable with "apiKeyEnv" or a file with "apiKeyFile" instead.`,
        );
      }
    }
    const r = AgentEntry.safeParse(raw);
    if (!r.success) throw new ConfigError(`${where}: ${describeZodError(r.error)}.`);
    const a = r.data;
    if (seen.has(a.name)) throw new ConfigError(`${where}: the agent name "${a.name}" is used twice.`);
    seen.add(a.name);
    let apiKey: string;
    if (a.apiKeyEnv && a.apiKeyFile) {
      throw new ConfigError(`${where}: give either "apiKeyEnv" or "apiKeyFile", not both.`);
    }
    if (a.apiKeyEnv) {
      const v = env[a.apiKeyEnv]?.trim();
      if (!v) throw new ConfigError(`${where} ("${a.name}"): the environment variable ${a.apiKeyEnv} is not set.`);
      apiKey = v;
    } else if (a.apiKeyFile) {
      const p = isAbsolute(a.apiKeyFile) ? a.apiKeyFile : resolve(settings.file, '..', a.apiKeyFile);
      apiKey = readKeyFile(p, `${where} ("${a.name}")`);
    } else {
      throw new ConfigError(
        `${where} ("${a.name}"): say where the key is, with "apiKeyEnv" (an environment variable) or "apiKeyFile".`,
      );
    }
    registerSecret(apiKey);
    return { name: a.name, baseUrl: a.baseUrl ? checkUrl(a.baseUrl, where) : defaultBaseUrl, apiKey };
  });
}

/** The file's bridge section, typed and checked once here; the bridge takes it as it is. */
export function bridgeFromFile(settings: FileSettings): BridgeConfig | undefined {
  if (settings.data.bridge === undefined) return undefined;
  try {
    return parseBridgeConfig(settings.data.bridge);
  } catch (e) {
    if (e instanceof BridgeConfigError) throw new ConfigError(`config file ${settings.file}: ${e.message}`);
    throw e;
  }
}
