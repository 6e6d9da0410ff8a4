// Starting and stopping the shared relay: a detached child that outlives window
// reloads and serves every window. A start lock in the state dir keeps two
// windows from starting two relays at once. No vscode import.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/log';
import { redact } from '../shared/redact';
import { readRelayFile } from '../relay/relay-file';
import { findLiveRelay, pidAlive, waitForExit, waitForRelay, type RelayFile } from './relay-info';
import { launchPlan, type LaunchInput } from './relay-launch';

export interface RelayProcessOptions {
  log: Logger;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  pollMs?: number;
}

const LOCK = '.vscode-start.lock';
/** A lock older than this belongs to a window that died while starting. */
const STALE_LOCK_MS = 60_000;

export class RelayStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayStartError';
  }
}

/** The last lines of relay.log, redacted, for an error a person can act on. */
export function logExcerpt(logFile: string, lines = 5): string {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return redact(text);
  } catch {
    return '';
  }
}

export class RelayProcess {
  constructor(private readonly opts: RelayProcessOptions) {}

  find(stateDir: string): Promise<RelayFile | undefined> {
    return findLiveRelay(stateDir);
  }

  /** Starts a relay unless one is alive; resolves with the live relay. */
  async start(input: LaunchInput): Promise<RelayFile> {
    const { stateDir } = input.settings;
    const running = await findLiveRelay(stateDir);
    if (running) return running;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const lockPath = join(stateDir, LOCK);
    if (!this.takeLock(lockPath)) {
      this.opts.log.info('another window is starting the relay; waiting for it');
      const other = await waitForRelay(stateDir, {
        deadlineMs: this.opts.startTimeoutMs ?? 30_000,
        intervalMs: this.opts.pollMs,
      });
      if (other) return other;
      throw new RelayStartError(
        `Another VS Code window started the relay but it did not come up. See ${join(stateDir, 'relay.log')}.`,
      );
    }
    try {
      return await this.spawnRelay(input);
    } finally {
      rmSync(lockPath, { force: true });
    }
  }

  private takeLock(path: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        closeSync(openSync(path, 'wx', 0o600));
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          if (Date.now() - statSync(path).mtimeMs < STALE_LOCK_MS) return false;
          rmSync(path, { force: true });
        } catch {
          // The other window just removed it: try again.
        }
      }
    }
    return false;
  }

  private async spawnRelay(input: LaunchInput): Promise<RelayFile> {
    const plan = launchPlan(input);
    writeFileSync(plan.configFile.path, plan.configFile.content, { mode: 0o600 });
    // The relay writes relay.log itself; its console (and any error before the log opens) goes beside it.
    const logFd = openSync(plan.consoleFile, 'w', 0o600);
    let exited: Error | undefined;
    try {
      this.opts.log.info('starting the relay', {
        mode: input.mode,
        stateDir: input.settings.stateDir,
        listen: input.settings.address,
      });
      const child = spawn(plan.command, plan.args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        env: plan.env,
        windowsHide: true,
      });
      child.on('error', (e) => {
        exited = new RelayStartError(`Could not start the relay (${plan.command}): ${redact(e.message)}.`);
      });
      child.on('exit', (code, signal) => {
        const tail = logExcerpt(plan.consoleFile) || logExcerpt(plan.logFile);
        exited = new RelayStartError(
          `The relay exited at once (${signal ?? `code ${code}`}).${tail ? ` It said:\n${tail}` : ` See ${plan.logFile}.`}`,
        );
      });
      child.unref();
      const info = await waitForRelay(input.settings.stateDir, {
        deadlineMs: this.opts.startTimeoutMs ?? 30_000,
        intervalMs: this.opts.pollMs,
        abort: () => exited,
      });
      if (!info) {
        throw new RelayStartError(
          `The relay did not answer within ${Math.round((this.opts.startTimeoutMs ?? 30_000) / 1000)} s. See ${plan.logFile}.`,
        );
      }
      child.removeAllListeners('exit');
      this.opts.log.info('relay is up', { url: info.url, pid: info.pid });
      return info;
    } finally {
      closeSync(logFd);
    }
  }

  /** SIGTERM to the relay named in relay.json; resolves once it has exited. False when none was running. */
  async stop(stateDir: string): Promise<boolean> {
    const info = readRelayFile(stateDir);
    if (!info || !pidAlive(info.pid)) return false;
    this.opts.log.info('stopping the relay', { pid: info.pid });
    try {
      process.kill(info.pid, 'SIGTERM');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw new RelayStartError(`Could not stop the relay (pid ${info.pid}): ${(e as Error).message}.`);
    }
    if (!(await waitForExit(info.pid, this.opts.stopTimeoutMs ?? 15_000, this.opts.pollMs))) {
      throw new RelayStartError(
        `The relay (pid ${info.pid}) did not stop within ${Math.round((this.opts.stopTimeoutMs ?? 15_000) / 1000)} s; it may be finishing a delivery. Try again, or end the process yourself.`,
      );
    }
    return true;
  }
}
