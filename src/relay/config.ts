// The relay's settings: command-line flags, environment and an optional JSON file,
// parsed once into a typed RelayConfig. Every bad setting becomes a ConfigError
// with a sentence that says what to change. Keys are never read from the config
// file itself — it names an environment variable or a file that holds each key.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { registerSecret } from '../shared';
import type { LogLevel } from '../shared';
import type { BridgeConfig } from './bridge/config';
import { DEFAULT_BASE_URL, parseRelayArgs } from './cli-args';
import { ConfigError } from './config-error';
import { agentsFromFile, bridgeFromFile, checkUrl, readConfigFile, type AgentConfig } from './config-file';
import { RunnerConfigError, parseRunners, type RunnerConfig } from './runners/config';
import { DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT, isReviewMode, type ReviewMode } from '../shared/constants';

export { ConfigError } from './config-error';
export { DEFAULT_BASE_URL, USAGE, parseRelayArgs, type ParsedArgs } from './cli-args';
export type { AgentConfig } from './config-file';
export const DEFAULT_HOST = DEFAULT_RELAY_HOST;
export const DEFAULT_PORT = DEFAULT_RELAY_PORT;
export const DEFAULT_AGENT_NAME = 'default';

export type { ReviewMode };

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
  /** The config file's webhook bridge section, parsed. */
  bridge?: BridgeConfig;
  /** Coding-agent CLIs the relay may start per hiring (config file `runners` and AGRENTING_RELAY_RUNNERS). */
  runners: RunnerConfig[];
  /** Where the config came from, for messages. */
  configFile?: string;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

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

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGRENTING_STATE_DIR?.trim() || join(homedir(), '.agrenting-relay');
}

type Source = readonly [value: string | undefined, where: string];

/**
 * Precedence, in one place: the first source that sets a value (flags, then the config file,
 * then the environment) is parsed, naming that source in any error; otherwise the default.
 */
function setting<T>(sources: readonly Source[], parse: (text: string, where: string) => T, fallback: T): T {
  for (const [value, where] of sources) if (value) return parse(value, where);
  return fallback;
}

/** Builds the whole configuration. Precedence: flags, then the config file, then the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): RelayConfig & { help: boolean } {
  const args = parseRelayArgs(argv);
  const settings = args.config ? readConfigFile(args.config) : undefined;
  const file = settings?.data;
  const fromFile = settings ? `config file ${settings.file}` : '';

  const upstream: Source[] = [
    [args.upstream, '--upstream'],
    [file?.upstream, fromFile],
    [env.AGRENTING_BASE_URL?.trim(), 'AGRENTING_BASE_URL'],
  ];
  const baseUrl = setting(upstream, checkUrl, DEFAULT_BASE_URL);
  const listen = setting(
    [
      [args.listen, '--listen'],
      [file?.listen, fromFile],
    ],
    parseListen,
    { host: DEFAULT_HOST, port: DEFAULT_PORT },
  );
  const review = setting(
    [
      [args.review, '--review'],
      [file?.review, fromFile],
    ],
    parseReview,
    'required',
  );
  const logLevels: Source[] = [
    [args.logLevel, '--log-level'],
    [file?.logLevel, fromFile],
    [env.AGRENTING_LOG_LEVEL, 'AGRENTING_LOG_LEVEL'],
  ];
  const logLevel = setting(logLevels, parseLogLevel, 'info');
  const sandbox = args.sandbox || args.demo;
  // The embedded sandbox forgets its hirings on exit: keep its relay state apart from real agents'.
  const stateDir = resolve(
    args.stateDir ??
      file?.stateDir ??
      (sandbox && !env.AGRENTING_STATE_DIR?.trim() ? join(defaultStateDir(env), 'sandbox') : defaultStateDir(env)),
  );
  const workspaceRoot =
    settings && file?.workspaceRoot ? resolve(settings.file, '..', file.workspaceRoot) : join(stateDir, 'workspaces');

  let agents: AgentConfig[] = [];
  if (!args.help && !sandbox) {
    if (settings) {
      agents = agentsFromFile(settings, env, baseUrl);
    } else {
      const key = env.AGRENTING_API_KEY?.trim();
      if (!key) {
        throw new ConfigError(
          'No agent is configured. Set AGRENTING_API_KEY to your agent key, pass --config FILE for several agents, or try --sandbox.',
        );
      }
      registerSecret(key);
      agents = [{ name: DEFAULT_AGENT_NAME, baseUrl, apiKey: key }];
    }
  }

  let runners: RunnerConfig[];
  try {
    runners = parseRunners(
      file?.runners,
      env,
      fromFile || 'config file',
      settings ? resolve(settings.file, '..') : process.cwd(),
    );
  } catch (e) {
    if (e instanceof RunnerConfigError) throw new ConfigError(e.message);
    throw e;
  }

  return {
    help: args.help,
    agents,
    runners,
    listen,
    review,
    stateDir,
    workspaceRoot,
    sandbox,
    demo: args.demo,
    logLevel,
    bridge: settings ? bridgeFromFile(settings) : undefined,
    configFile: settings?.file,
  };
}
