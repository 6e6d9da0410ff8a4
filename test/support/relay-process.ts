// The built relay (`node dist/relay.js`) as a child process, the way people run
// it: flags, AGRENTING_API_KEY in the environment, port 0, and relay.json in the
// state dir as the only way to learn its URL and tokens.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readRelayFile, type RelayFile } from '../../src/relay/relay-file';
import { waitFor } from './wait';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const RELAY_BIN = path.join(REPO_ROOT, 'dist', 'relay.js');

export interface RelayProcessOptions {
  upstream: string;
  stateDir: string;
  apiKey: string;
  review?: 'off' | 'required';
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for relay.json of this process. */
  readyTimeoutMs?: number;
}

export interface RelayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly info: RelayFile;
  /** Everything the process wrote to stderr (its log lines), for secret checks and diagnostics. */
  stderr(): string;
  /** Resolves with the exit signal or code once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Reads relay.json only when it was written by this pid (a killed relay leaves its own behind). */
export function relayFileOf(stateDir: string, pid?: number): RelayFile | undefined {
  const f = readRelayFile(stateDir);
  return f && (pid === undefined || f.pid === pid) ? f : undefined;
}

export async function startRelayProcess(opts: RelayProcessOptions): Promise<RelayProcess> {
  if (!existsSync(RELAY_BIN)) throw new Error(`${RELAY_BIN} is missing; run npm run build`);
  const args = [
    RELAY_BIN,
    '--upstream',
    opts.upstream,
    '--state-dir',
    opts.stateDir,
    '--listen',
    '127.0.0.1:0',
    '--review',
    opts.review ?? 'off',
    '--log-level',
    opts.logLevel ?? 'info',
    ...(opts.extraArgs ?? []),
  ];
  // The relay's own tokens and state dir never leak in from the test runner's environment;
  // a test that means to set them (a token change) passes them in opts.env.
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.AGRENTING_RELAY_TOKEN;
  delete inherited.AGRENTING_RELAY_OPERATOR_TOKEN;
  delete inherited.AGRENTING_STATE_DIR;
  const env: NodeJS.ProcessEnv = { ...inherited, ...opts.env, AGRENTING_API_KEY: opts.apiKey };
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout?.resume();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    err += d;
    // Keep the tail only: a long run logs a lot.
    if (err.length > 4_000_000) err = err.slice(-2_000_000);
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('the relay process did not start');
  const info = await waitFor(
    `relay.json of relay pid ${pid}`,
    () => {
      if (exitInfo) {
        throw new Error(
          `the relay exited (${exitInfo.code ?? exitInfo.signal}) before it was ready: ${err.slice(-2000)}`,
        );
      }
      return relayFileOf(opts.stateDir, pid);
    },
    opts.readyTimeoutMs ?? 20_000,
  );
  return {
    child,
    pid,
    url: info.url,
    info,
    stderr: () => err,
    exited,
    async kill(signal = 'SIGKILL') {
      if (!exitInfo) child.kill(signal);
      return exited;
    },
  };
}

/** Resident set size of a process in bytes (Linux /proc), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
