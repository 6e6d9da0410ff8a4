// How every git command of push mode runs: the repository token travels as an
// `http.extraHeader` set through GIT_CONFIG_COUNT/KEY/VALUE environment
// variables of that one command — never in argv (visible to `ps`), the URL,
// `.git/config`, the remote, logs or errors.
import { execFile } from 'node:child_process';
import { devNull } from 'node:os';
import type { SimpleGit, SimpleGitProgressEvent } from 'simple-git';
import { redact, registerSecret } from '../../shared/redact';

/**
 * The only variables git inherits from the relay: what it needs to run, find the
 * person's git config, and reach the network through their proxy and certificates.
 * Anything else — AGRENTING_API_KEY, relay tokens, cloud credentials — stays out,
 * so nothing git starts (hooks, helpers, filters) can see it.
 */
const KEPT_ENV =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TMPDIR|TMP|TEMP|XDG_CONFIG_HOME|SYSTEMROOT|WINDIR|COMSPEC|PATHEXT|HTTPS?_PROXY|NO_PROXY|ALL_PROXY|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|GIT_SSL_CAPATH|NODE_EXTRA_CA_CERTS)$/i;

/**
 * Local config keys that decide where a network command connects or what it runs.
 * The agent can edit the workspace's .git/config; before the relay runs a command
 * that carries the repository token there, these keys are removed so that a proxy,
 * URL rewrite, included file or helper planted in it cannot receive the token.
 */
const NETWORK_CONFIG_KEYS =
  /^(https?\.|url\.|credential|include\.|includeif\.|core\.(sshcommand|gitproxy|askpass|hookspath|fsmonitor)$|remote\..*\.(proxy|vcs|receivepack|uploadpack)$)/i;

export interface GitIdentity {
  name: string;
  email: string;
}

export const DEFAULT_AUTHOR: GitIdentity = { name: 'Agrenting Relay', email: 'relay@agrenting.invalid' };

export function basicAuthValue(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** A repository token and the clone URL it is for. */
export interface RepoAuth {
  token: string;
  url: string;
}

/**
 * The environment for one git command. With `auth` it carries the header,
 * scoped to the repository's origin (`http.<origin>/.extraHeader`) so that a
 * rewritten URL (`url.*.insteadOf` in a workspace config the agent could edit)
 * never receives it, and with hooks off, since a hook would inherit this
 * environment.
 */
export function gitEnv(auth?: RepoAuth, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && KEPT_ENV.test(k)) env[k] = v;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  // An empty helper list: a 401 must fail, never fall back to the person's own stored credentials.
  // Hooks are off for every command the relay runs: they are code from the workspace.
  const config: [string, string][] = [
    ['credential.helper', ''],
    ['core.hooksPath', devNull],
  ];
  if (auth) {
    registerSecret(auth.token);
    const header = basicAuthValue(auth.token);
    registerSecret(header.slice('Basic '.length));
    config.push([`http.${new URL(auth.url).origin}/.extraHeader`, `Authorization: ${header}`]);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return { ...env, ...extra };
}

export interface GitRunOptions {
  auth?: RepoAuth;
  onProgress?: (event: SimpleGitProgressEvent) => void;
  /** Kill git after this long without output. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/**
 * A simple-git instance for `dir` whose commands carry the token only in their environment.
 * simple-git is loaded on first use: a relay without push-mode hirings never loads it.
 */
export async function gitIn(dir: string, opts: GitRunOptions = {}): Promise<SimpleGit> {
  const { simpleGit } = await import('simple-git');
  return simpleGit({
    baseDir: dir,
    progress: opts.onProgress,
    timeout: { block: opts.timeoutMs ?? 120_000 },
    // Finish on 'close' (all output read) without simple-git's default 50 ms grace after 'exit'.
    completion: { onClose: true, onExit: false },
    // Our own env carries GIT_CONFIG_COUNT, an empty credential.helper and hooks off on purpose.
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeCredentialHelper: true, allowUnsafeHooksPath: true },
  }).env(gitEnv(opts.auth, opts.env));
}

/**
 * Runs one quick local git command (status, add, commit, config...). simple-git
 * waits an extra 50 ms after every command that prints nothing, which adds up to
 * most of the time of a delivery; network commands (clone, push) keep simple-git
 * for its progress events and result parsing.
 */
export function gitExec(
  dir: string,
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolveOut, reject) => {
    execFile(
      'git',
      args,
      { cwd: dir, env: gitEnv(undefined, opts.env), maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(stderr.trim() || err.message));
        else resolveOut(stdout);
      },
    );
  });
}

/** Removes the local config keys that could redirect a token-carrying command (NETWORK_CONFIG_KEYS). */
export async function sanitizeWorkspaceConfig(dir: string): Promise<string[]> {
  const listed = await gitExec(dir, ['config', '--local', '--name-only', '--list']).catch(() => '');
  const keys = [...new Set(listed.split(/\r?\n/).filter((k) => NETWORK_CONFIG_KEYS.test(k)))];
  for (const key of keys) await gitExec(dir, ['config', '--local', '--unset-all', key]).catch(() => undefined);
  return keys;
}

/** Redacts a git or HTTP error message: the token, its Basic form, anything secret-shaped. */
export function scrub(message: string, token?: string | null): string {
  let out = message;
  if (token) {
    out = out.split(token).join('[REDACTED]');
    out = out.split(basicAuthValue(token).slice('Basic '.length)).join('[REDACTED]');
  }
  return redact(out).trim();
}

/** The most telling line of git's output, for an error sentence: a ref rejection, else the first fatal/error. */
export function gitReason(err: unknown, token?: string | null): string {
  const raw = err instanceof Error ? err.message : String(err);
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.replace(/\t/g, ' ').trim())
    .filter(
      (l) =>
        l &&
        !/^(Cloning into|Pushing to|Done$|remote: (Counting|Compressing|Enumerating|Total)|Receiving|Resolving|To |hint:)/.test(
          l,
        ),
    );
  // simple-git pushes with --porcelain: "!<TAB>local:remote<TAB>[rejected] (fetch first)".
  const rejected = lines.find((l) => /\[(remote )?rejected\]/.test(l));
  const fatal = lines.find((l) => /^(fatal|error|remote: error)/.test(l));
  const picked = rejected ? `rejected: ${rejected.replace(/^!\s*/, '')}` : (fatal ?? lines[0] ?? 'git failed');
  return scrub(picked, token);
}

/**
 * git reports every percent of every stage; a person needs a line per stage and
 * every 10 %. Passes the first event of a stage, each 10 % step, and 100 %.
 */
export function throttledProgress(
  emit: (stage: string, percent: number) => void,
): (stage: string, percent: number) => void {
  let lastStage = '';
  let lastPercent = -1;
  return (stage, percent) => {
    if (stage !== lastStage || percent >= lastPercent + 10 || (percent === 100 && lastPercent !== 100)) {
      lastStage = stage;
      lastPercent = percent;
      emit(stage, percent);
    }
  };
}
