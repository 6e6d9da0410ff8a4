// The relay as people run it: `node dist/relay.js --config FILE` in its own
// process, agents' keys named by environment variables (never in the file).
// The benchmark learns the relay's URL and tokens from relay.json, as the
// extension does, and reads the process's memory from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRelayFile, type RelayFile } from '../../src/relay/relay-file';
import { ROOT, waitFor } from './util';

export const RELAY_BIN = join(ROOT, 'dist', 'relay.js');

export interface BenchAgent {
  name: string;
  baseUrl: string;
  apiKey: string;
}

export interface RelayProcess {
  readonly pid: number;
  readonly url: string;
  readonly file: RelayFile;
  workerToken(agent: string): string;
  /** Resident set size in bytes (VmRSS). */
  rss(): number;
  /** CPU time used so far, ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface RelayProcessOptions {
  agents: BenchAgent[];
  stateDir: string;
  review?: 'required' | 'off';
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Extra node options for the relay process (e.g. a `--require` test double). */
  nodeArgs?: string[];
}

export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat.
 * Unlike wall-clock figures it does not grow when other work shares the machine.
 */
export function cpuMsOf(pid: number): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ")": utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
}

export async function startRelayProcess(opts: RelayProcessOptions): Promise<RelayProcess> {
  const config = join(opts.stateDir, 'bench-config.json');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.AGRENTING_STATE_DIR;
  delete env.AGRENTING_RELAY_TOKEN;
  delete env.AGRENTING_RELAY_OPERATOR_TOKEN;
  const agents = opts.agents.map((a, i) => {
    env[`BENCH_AGENT_KEY_${i}`] = a.apiKey;
    return { name: a.name, baseUrl: a.baseUrl, apiKeyEnv: `BENCH_AGENT_KEY_${i}` };
  });
  writeFileSync(config, JSON.stringify({ agents }, null, 2), { mode: 0o600 });
  const child: ChildProcess = spawn(
    process.execPath,
    // BENCH_RELAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the relay under a benchmark.
    [
      ...(process.env.BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ...(opts.nodeArgs ?? []),
      RELAY_BIN,
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
      '--state-dir',
      opts.stateDir,
      '--review',
      opts.review ?? 'off',
      '--log-level',
      opts.logLevel ?? 'warn',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) =>
    child.once('exit', (code) => {
      exited = code;
      r();
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the relay process');
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    }
  };
  let file: RelayFile;
  try {
    file = await waitFor(
      'relay.json of the relay process',
      () => {
        if (exited !== undefined) throw new Error(`the relay exited (${String(exited)}): ${stderr.trim()}`);
        const f = readRelayFile(opts.stateDir);
        return f?.pid === pid ? f : undefined;
      },
      30_000,
      10,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid,
    url: file.url,
    file,
    workerToken(agent) {
      const t = file.workerTokens[agent];
      if (!t) throw new Error(`relay.json has no worker token for ${agent}`);
      return t;
    },
    rss: () => rssOf(pid),
    cpuMs: () => cpuMsOf(pid),
    stop,
  };
}
