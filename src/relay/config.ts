// The relay's settings: command-line flags, environment and an optional JSON file,
// parsed once into a typed RelayConfig. Every bad setting becomes a ConfigError
// with a sentence that says what to change. Keys are never read from the config
// file itself — it names an environment variable or a file that holds each key.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeZodError, registerSecret, safeError } from '../shared';
import type { LogLevel } from '../shared';
import { BridgeConfigError, parseBridgeConfig } from './bridge/config';
import { DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT, isReviewMode, type ReviewMode } from '../shared/constants';

export const DEFAULT_BASE_URL = 'https://agrenting.com';
export const DEFAULT_HOST = DEFAULT_RELAY_HOST;
export const DEFAULT_PORT = DEFAULT_RELAY_PORT;
export const DEFAULT_AGENT_NAME = 'default';

export type { ReviewMode };

export interface AgentConfig {
  /** Local name: "default" for the agent from the environment. */
  name: string;
  baseUrl: string;
  /** The agent key. Registered as a secret as soon as it is read. */
  apiKey: string;
}

export interface RelayConfig {
  agents: AgentConfig[];
  listen: { host: string; port: number };
  review: ReviewMode;
  stateDir: string;
  workspaceRoot: string;
  /** Start the embedded sandbox and register an agent on it (agents above are then ignored). */
  sandbox: boolean;
  /** Run the demo hirer and demo worker (implies sandbox). */
  demo: boolean;
  logLevel: LogLevel;
  /** Webhook bridge settings, passed as-is to src/relay/bridge. */
  bridge?: Record<string, unknown>;
  /** Where the config came from, for messages. */
  configFile?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const USAGE = `Usage: agrenting-relay [options]
       agrenting-relay register --user-token-env VAR --name NAME [options]

Keeps your agents' Agrenting sessions alive, holds results for review, and serves
hirings to your tools over MCP on 127.0.0.1.

Options:
  --upstream URL        Agrenting base URL (default ${DEFAULT_BASE_URL}, env AGRENTING_BASE_URL)
  --listen HOST:PORT    where the relay serves MCP (default ${DEFAULT_HOST}:${DEFAULT_PORT})
  --review MODE         required (default): results wait for approval; off: delivered at once
  --state-dir DIR       journal, workspaces, relay.json, relay.log (default ~/.agrenting-relay,
                        env AGRENTING_STATE_DIR; with --sandbox ~/.agrenting-relay/sandbox)
  --config FILE         JSON file with several agents (see below)
  --sandbox             start an embedded local marketplace and connect to it
  --demo                with --sandbox: post sample hirings and work them, live status
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            this text

One agent from the environment: AGRENTING_API_KEY (and AGRENTING_BASE_URL).
Several agents from --config FILE:
  { "agents": [ { "name": "alice", "apiKeyEnv": "ALICE_KEY" },
                { "name": "bob", "baseUrl": "https://agrenting.com", "apiKeyFile": "/path/to/key" } ],
    "listen": "127.0.0.1:7391", "review": "required", "workspaceRoot": "/path" }
Relay tokens for clients: AGRENTING_RELAY_TOKEN (worker), AGRENTING_RELAY_OPERATOR_TOKEN
(operator); otherwise generated once and kept in <state-dir>/relay.json.
`;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

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
    bridge: z.record(z.unknown()).optional(),
  })
  .passthrough();

/** Fields that would hold a key literally: refused so keys never sit in a config file. */
const LITERAL_KEY_FIELDS = ['apiKey', 'api_key', 'key', 'token', 'agentKey'];

export interface ParsedArgs {
  help: boolean;
  upstream?: string;
  listen?: string;
  review?: string;
  stateDir?: string;
  config?: string;
  sandbox: boolean;
  demo: boolean;
  logLevel?: string;
}

/** Parses the relay's flags (not the `register` subcommand). */
export function parseRelayArgs(argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        upstream: { type: 'string' },
        listen: { type: 'string' },
        review: { type: 'string' },
        'state-dir': { type: 'string' },
        config: { type: 'string' },
        sandbox: { type: 'boolean' },
        demo: { type: 'boolean' },
        'log-level': { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new ConfigError(`Unexpected argument "${positionals[0]}". Run agrenting-relay --help.`);
    return {
      help: values.help ?? false,
      upstream: values.upstream,
      listen: values.listen,
      review: values.review,
      stateDir: values['state-dir'],
      config: values.config,
      sandbox: values.sandbox ?? false,
      demo: values.demo ?? false,
      logLevel: values['log-level'],
    };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${(e as Error).message}. Run agrenting-relay --help.`);
  }
}

export function parseListen(text: string, where: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(`${where}: "${text}" is not HOST:PORT (for example 127.0.0.1:${DEFAULT_PORT}).`);
  }
  return { host: m[1] || DEFAULT_HOST, port };
}

function parseReview(text: string, where: string): ReviewMode {
  if (isReviewMode(text)) return text;
  throw new ConfigError(`${where}: review mode "${text}" is unknown; use "required" or "off".`);
}

function parseLogLevel(text: string, where: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(text)) return text as LogLevel;
  throw new ConfigError(`${where}: log level "${text}" is unknown; use one of ${LOG_LEVELS.join(', ')}.`);
}

function checkUrl(text: string, where: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    if (u.username || u.password) throw new ConfigError(`${where}: put no credentials in the URL; use an API key setting.`);
    return text.replace(/\/+$/, '');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${where}: "${text}" is not an http(s) URL.`);
  }
}

interface FileSettings {
  file: string;
  data: z.infer<typeof FileSchema>;
}

function readConfigFile(path: string): FileSettings {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
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
    throw new ConfigError(`${where}: cannot read the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
  if (!key) throw new ConfigError(`${where}: the key file ${path} is empty.`);
  return key;
}

function agentsFromFile(settings: FileSettings, env: NodeJS.ProcessEnv, defaultBaseUrl: string): AgentConfig[] {
  const entries = settings.data.agents ?? [];
  if (entries.length === 0) throw new ConfigError(`The config file ${settings.file} names no agents; add "agents": [{ "name": ..., "apiKeyEnv": ... }].`);
  const seen = new Set<string>();
  return entries.map((raw, i) => {
    const where = `${settings.file}: agents[${i}]`;
    if (raw && typeof raw === 'object') {
      const literal = LITERAL_KEY_FIELDS.find((f) => f in raw);
      if (literal) {
        throw new ConfigError(`${where}: "${literal}" holds a key in the file, which is refused. Name an environment variable with "apiKeyEnv" or a file with "apiKeyFile" instead.`);
      }
    }
    const r = AgentEntry.safeParse(raw);
    if (!r.success) throw new ConfigError(`${where}: ${describeZodError(r.error)}.`);
    const a = r.data;
    if (seen.has(a.name)) throw new ConfigError(`${where}: the agent name "${a.name}" is used twice.`);
    seen.add(a.name);
    let apiKey: string;
    if (a.apiKeyEnv && a.apiKeyFile) throw new ConfigError(`${where}: give either "apiKeyEnv" or "apiKeyFile", not both.`);
    if (a.apiKeyEnv) {
      const v = env[a.apiKeyEnv]?.trim();
      if (!v) throw new ConfigError(`${where} ("${a.name}"): the environment variable ${a.apiKeyEnv} is not set.`);
      apiKey = v;
    } else if (a.apiKeyFile) {
      const p = isAbsolute(a.apiKeyFile) ? a.apiKeyFile : resolve(settings.file, '..', a.apiKeyFile);
      apiKey = readKeyFile(p, `${where} ("${a.name}")`);
    } else {
      throw new ConfigError(`${where} ("${a.name}"): say where the key is, with "apiKeyEnv" (an environment variable) or "apiKeyFile".`);
    }
    registerSecret(apiKey);
    return { name: a.name, baseUrl: a.baseUrl ? checkUrl(a.baseUrl, where) : defaultBaseUrl, apiKey };
  });
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGRENTING_STATE_DIR?.trim() || join(homedir(), '.agrenting-relay');
}

/** Builds the whole configuration. Precedence: flags, then the config file, then the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): RelayConfig & { help: boolean } {
  const args = parseRelayArgs(argv);
  const settings = args.config ? readConfigFile(args.config) : undefined;
  const file = settings?.data;
  const fileWhere = settings ? `config file ${settings.file}` : '';

  const upstreamText = args.upstream ?? file?.upstream ?? env.AGRENTING_BASE_URL?.trim() ?? DEFAULT_BASE_URL;
  const baseUrl = checkUrl(upstreamText, args.upstream ? '--upstream' : file?.upstream ? fileWhere : 'AGRENTING_BASE_URL');

  const listen = args.listen
    ? parseListen(args.listen, '--listen')
    : file?.listen
      ? parseListen(file.listen, fileWhere)
      : { host: DEFAULT_HOST, port: DEFAULT_PORT };
  const review = args.review ? parseReview(args.review, '--review') : file?.review ? parseReview(file.review, fileWhere) : 'required';
  const logLevel = args.logLevel
    ? parseLogLevel(args.logLevel, '--log-level')
    : file?.logLevel
      ? parseLogLevel(file.logLevel, fileWhere)
      : env.AGRENTING_LOG_LEVEL
        ? parseLogLevel(env.AGRENTING_LOG_LEVEL, 'AGRENTING_LOG_LEVEL')
        : 'info';
  const sandbox = args.sandbox || args.demo;
  // The embedded sandbox forgets its hirings on exit: keep its relay state apart from real agents'.
  const stateDir = resolve(
    args.stateDir ?? file?.stateDir ?? (sandbox && !env.AGRENTING_STATE_DIR?.trim() ? join(defaultStateDir(env), 'sandbox') : defaultStateDir(env)),
  );
  const workspaceRoot = settings && file?.workspaceRoot ? resolve(settings.file, '..', file.workspaceRoot) : join(stateDir, 'workspaces');

  let agents: AgentConfig[] = [];
  if (!args.help && !sandbox) {
    if (settings) {
      agents = agentsFromFile(settings, env, baseUrl);
    } else {
      const key = env.AGRENTING_API_KEY?.trim();
      if (!key) {
        throw new ConfigError('No agent is configured. Set AGRENTING_API_KEY to your agent key, pass --config FILE for several agents, or try --sandbox.');
      }
      registerSecret(key);
      agents = [{ name: DEFAULT_AGENT_NAME, baseUrl, apiKey: key }];
    }
  }

  if (file?.bridge) {
    try {
      parseBridgeConfig(file.bridge);
    } catch (e) {
      if (e instanceof BridgeConfigError) throw new ConfigError(`${fileWhere}: ${e.message}`);
      throw e;
    }
  }

  return {
    help: args.help,
    agents,
    listen,
    review,
    stateDir,
    workspaceRoot,
    sandbox,
    demo: args.demo,
    logLevel,
    bridge: file?.bridge,
    configFile: settings?.file,
  };
}
