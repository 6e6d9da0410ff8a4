// Small helpers every benchmark module shares: quick mode, quiet loggers,
// temporary folders, and waiting on a condition with a deadline (never a fixed sleep).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createLogger, type Logger } from '../../src/shared/log';
import { startSandbox, type Knobs, type Sandbox } from '../../src/sandbox';
import { waitFor as waitForValue } from '../../test/support/wait';

/** The repository root. (`__filename`, not `__dirname`: tsx defines only the former when an ES module imports this file.) */
export const ROOT = resolve(dirname(__filename), '..', '..');

/** BENCH_QUICK=1: small counts, for a smoke test of the benchmark code itself. */
export const QUICK = process.env.BENCH_QUICK === '1';

/** `full` normally, `quick` under BENCH_QUICK=1. */
export function size(full: number, quick: number): number {
  return QUICK ? quick : full;
}

export const quietLogger = (name = 'bench'): Logger => createLogger(name, { level: 'error', sink: () => undefined });

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Benchmarks wait longer (30 s) and poll faster (5 ms) than tests, so the poll does not blur timings. */
export function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 5,
): Promise<T> {
  return waitForValue(what, fn, timeoutMs, everyMs);
}

/**
 * A sandbox for benchmarks: quiet, and with the per-agent rate limit off — a
 * 1 000-hiring burst would otherwise measure the limiter, not the relay — and a
 * hirer rich enough for every burst.
 */
export function benchSandbox(knobs: Partial<Knobs> = {}): Promise<Sandbox> {
  return startSandbox({
    log: quietLogger('sandbox'),
    knobs: { rateLimitPerMinute: 0, startingBalance: '100000000.00', ...knobs },
  });
}

/** Records when the sandbox hands each hiring to its agent (dispatch after the availability probe). */
export function dispatchClock(sandbox: Sandbox): { at: Map<string, number>; stop(): void } {
  const at = new Map<string, number>();
  const on = (e: { id: string; dispatched: boolean; change: string }) => {
    if (e.dispatched && e.change === 'status' && !at.has(e.id)) at.set(e.id, performance.now());
  };
  sandbox.events.on('hiring', on);
  return { at, stop: () => sandbox.events.off('hiring', on) };
}

/** Whether the sandbox holds an initialized session of the agent subscribed to hiring://pending (other than `not`). */
export function subscribedSession(sandbox: Sandbox, agentId: string, not?: string): string | undefined {
  return sandbox
    .inspect()
    .sessions.find(
      (s) => s.agentId === agentId && s.initialized && s.subscriptions.includes('hiring://pending') && s.id !== not,
    )?.id;
}

/**
 * Ids of the hirings the sandbox dispatched. A hiring whose availability probe
 * went unanswered within the budget fails at once (refunded) and never reaches
 * the agent, so nobody should wait for it; callers report how many failed.
 */
export function dispatched(hirings: { id: string; status: string }[]): { ids: string[]; failed: number } {
  const ids = hirings.filter((h) => h.status !== 'failed').map((h) => h.id);
  return { ids, failed: hirings.length - ids.length };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
