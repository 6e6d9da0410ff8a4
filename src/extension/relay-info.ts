// Finding a running relay: relay.json in the state dir names it; it is alive when
// its pid exists and its /mcp endpoint answers. No vscode here, so it is tested.
import { readRelayFile, type RelayFile } from '../relay/relay-file';

export type { RelayFile } from '../relay/relay-file';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when anything HTTP answers at <url>/mcp (401, 405 and 400 all count). */
export async function mcpAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/mcp`, {
      method: 'GET',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json, text/event-stream' },
    });
    await res.body?.cancel().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** The running relay of this state dir, or undefined. */
export async function findLiveRelay(stateDir: string, timeoutMs = 2000): Promise<RelayFile | undefined> {
  const info = readRelayFile(stateDir);
  if (!info || !pidAlive(info.pid)) return undefined;
  return (await mcpAnswers(info.url, timeoutMs)) ? info : undefined;
}

export interface WaitOptions {
  deadlineMs: number;
  intervalMs?: number;
  /** Stops waiting early with this error (e.g. the child exited). */
  abort?: () => Error | undefined;
}

/** Polls until a live relay appears in the state dir, or the deadline passes. */
export async function waitForRelay(stateDir: string, opts: WaitOptions): Promise<RelayFile | undefined> {
  const until = Date.now() + opts.deadlineMs;
  const interval = opts.intervalMs ?? 200;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    const info = await findLiveRelay(stateDir, Math.min(2000, interval * 5));
    if (info) return info;
    if (Date.now() >= until) return undefined;
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Polls until the pid is gone, or the deadline passes; true when it is gone. */
export async function waitForExit(pid: number, deadlineMs: number, intervalMs = 100): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (pidAlive(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return true;
}
