// A hiring can end on the platform without the relay being told (the hirer
// cancels; it then simply vanishes from the pending list). Hirings seen to vanish
// from one full pending read to the next are re-read at once (`recheck`); and now
// and then the active hirings nobody has touched for a while (vanished while the
// relay was offline), a few at a time, so that they move to history instead of
// lingering as work.
import type { Logger } from '../../shared/log';
import type { HiringStore } from '../inbox/store';
import type { LinkDirectory } from './ports';

export interface ReconcileOptions {
  store: HiringStore;
  links: LinkDirectory;
  logger: Logger;
  /** How often to look, and how old (untouched) a hiring must be to be re-read. Default 5 minutes. */
  intervalMs?: number;
  /** Re-reads per sweep (rate limits). Default 10. */
  batch?: number;
  now?: () => number;
}

export interface Reconciler {
  stop(): void;
  /** Re-reads the active hirings untouched for the interval now (normally periodic). */
  sweep(): Promise<void>;
  /** Re-reads these hirings soon (they left the pending list), one at a time; resolves when done. */
  recheck(ids: Iterable<string>): Promise<void>;
}

export function startReconciler(o: ReconcileOptions): Reconciler {
  const interval = o.intervalMs ?? 5 * 60_000;
  const now = o.now ?? Date.now;
  let running: Promise<void> | undefined;
  const queued = new Set<string>();
  let draining: Promise<void> | undefined;
  let stopped = false;

  const reread = async (id: string, why: string) => {
    const rec = o.store.get(id);
    if (!rec || rec.phase === 'delivering' || rec.phase === 'done' || rec.phase === 'failed') return;
    const link = o.links.get(rec.agent);
    if (!link || link.status().state !== 'connected') return;
    try {
      const fresh = await link.getHiring(id);
      await o.store.upsert(rec.agent, [fresh], 'rest');
    } catch (e) {
      o.logger.debug(`could not re-read ${why}`, { hiring: id, error: e });
    }
  };

  const sweepOnce = async () => {
    const stale = o.store
      .active()
      .filter((r) => r.phase !== 'delivering' && now() - Date.parse(r.updatedAt) >= interval)
      .slice(0, o.batch ?? 10);
    for (const rec of stale) await reread(rec.hiring.id, 'an idle hiring');
  };
  const drain = async () => {
    while (!stopped && queued.size > 0) {
      const id = queued.values().next().value as string;
      queued.delete(id);
      await reread(id, 'a hiring that left the pending list');
    }
  };
  const sweep = () => (running ??= sweepOnce().finally(() => (running = undefined)));
  // A zero threshold (tests) must not become a busy loop.
  const timer = setInterval(() => void sweep(), Math.max(interval, 1000));
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      queued.clear();
      clearInterval(timer);
    },
    sweep,
    recheck: (ids) => {
      for (const id of ids) queued.add(id);
      draining ??= drain().finally(() => (draining = undefined));
      return draining;
    },
  };
}
