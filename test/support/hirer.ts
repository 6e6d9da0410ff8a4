// A hirer on the sandbox creating work over time: at most `window` hirings open
// at once, several hire calls in flight (each waits for the availability probe).
import type { Sandbox } from '../../src/sandbox/index';
import { isTerminalStatus } from '../../src/shared/protocol';

export interface HireOptions {
  total: number;
  /** Most hirings not yet finished on the sandbox at any moment. */
  window: number;
  /** Hire calls in flight at once. */
  parallel?: number;
  mode?: (i: number) => 'output' | 'push';
  /** Called after each hiring is created (kill schedules hang off it). */
  onHired?: (count: number, id: string) => void;
  /** Stops creating when true. */
  stopped?: () => boolean;
}

export interface HireRun {
  readonly ids: string[];
  /** Resolves when `total` hirings exist (or stopped). */
  readonly done: Promise<string[]>;
}

/** Starts hiring in the background. */
export function hireOverTime(sb: Sandbox, agentId: string, opts: HireOptions): HireRun {
  const ids: string[] = [];
  const open = new Set<string>();
  let wake: (() => void) | undefined;
  const onHiring = (e: { id: string; status: string }) => {
    if (open.has(e.id) && isTerminalStatus(e.status)) {
      open.delete(e.id);
      wake?.();
    }
  };
  sb.events.on('hiring', onHiring);
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < opts.total && !opts.stopped?.()) {
      while (open.size >= opts.window && !opts.stopped?.()) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      if (started >= opts.total || opts.stopped?.()) return;
      const i = started++;
      const mode = opts.mode?.(i) ?? 'output';
      const h = await sb.hire(agentId, {
        task_description: `Fault-suite task #${i}: make the failing test pass`,
        price: '1.00',
        delivery_mode: mode,
        client_idempotency_key: `fault-${agentId}-${i}`,
      });
      ids.push(h.id);
      if (!isTerminalStatus(sb.hiring(h.id)?.status)) open.add(h.id);
      opts.onHired?.(ids.length, h.id);
    }
  };
  const done = Promise.all(Array.from({ length: opts.parallel ?? 4 }, lane)).then(
    () => ids,
    (e: unknown) => {
      throw e;
    },
  );
  void done.finally(() => sb.events.off('hiring', onHiring)).catch(() => undefined);
  return { ids, done };
}
