// One CLI process for one run: started in its own process group with the prompt on stdin, as an
// argument or as a file; its output goes line by line to the run log. Stopping it sends TERM to the
// whole group, then KILL after a grace period, so a CLI's own children go too.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LineSplitter, type RunLog } from './run-log';

export interface ChildSpec {
  command: string[];
  prompt: 'stdin' | 'argument' | 'file';
  promptText: string;
  promptFile: string;
  cwd: string;
  env: Record<string, string>;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started at all (ENOENT...). */
  spawnError?: string;
}

/** argv with {prompt} / {promptFile} substituted. */
export function childArgv(spec: Pick<ChildSpec, 'command' | 'promptText' | 'promptFile'>): string[] {
  return spec.command.map((a) => a.split('{promptFile}').join(spec.promptFile).split('{prompt}').join(spec.promptText));
}

export class RunChild {
  private readonly proc: ChildProcess;
  readonly exited: Promise<ChildExit>;
  private killTimer?: NodeJS.Timeout;

  constructor(spec: ChildSpec, log: RunLog) {
    const [program, ...args] = childArgv(spec);
    this.proc = spawn(program, args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: [spec.prompt === 'stdin' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out = new LineSplitter((l) => log.line('stdout', l));
    const err = new LineSplitter((l) => log.line('stderr', l));
    // Decoded as UTF-8 by the stream, so a character split between two reads stays whole.
    this.proc.stdout?.setEncoding('utf8');
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stdout?.on('data', (b: string) => out.push(b));
    this.proc.stderr?.on('data', (b: string) => err.push(b));
    this.exited = new Promise<ChildExit>((resolve) => {
      let spawnError: string | undefined;
      this.proc.once('error', (e: NodeJS.ErrnoException) => {
        spawnError = e.code === 'ENOENT' ? `the program "${program}" was not found on PATH` : e.message;
        // 'close' may not follow an error at spawn time.
        if (this.proc.pid === undefined) resolve({ code: null, signal: null, spawnError });
      });
      this.proc.once('close', (code, signal) => {
        out.end();
        err.end();
        if (this.killTimer) clearTimeout(this.killTimer);
        // Nothing the CLI started outlives its run: what is left of its group goes now.
        if (this.proc.pid !== undefined) killGroupOnly(this.proc.pid);
        resolve({ code, signal, spawnError });
      });
    });
    if (spec.prompt === 'stdin' && this.proc.stdin) {
      this.proc.stdin.on('error', () => undefined); // a CLI that never reads stdin closes it early
      this.proc.stdin.end(spec.promptText);
    }
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** TERM to the process group, KILL after graceMs if it is still there. */
  stop(graceMs: number): void {
    const pid = this.proc.pid;
    if (pid === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    signalGroup(pid, 'SIGTERM');
    this.killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    this.killTimer.unref();
  }
}

/**
 * Ends the process group of a run a crashed relay left behind. Only when /proc shows the process is
 * still that run's CLI (its environment names the hiring), so a reused pid is never touched.
 */
export function killLeftover(pid: number, hiringId: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false;
  }
  if (!environ.split('\0').includes(`AGRENTING_HIRING_ID=${hiringId}`)) return false;
  signalGroup(pid, 'SIGKILL');
  return true;
}

function killGroupOnly(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // The group is empty.
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}
