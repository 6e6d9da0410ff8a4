// A hiring can end on the platform without the relay being told (the hirer
// cancels while the relay is offline; it then simply vanishes from the pending
// list). Now and then, re-read the active hirings nobody has touched for a while,
// a few at a time, so that they move to history instead of lingering as work.
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

export function startReconciler(o: ReconcileOptions): { stop(): void; sweep(): Promise<void> } {
  const interval = o.intervalMs ?? 5 * 60_000;
  const now = o.now ?? Date.now;
  let running: Promise<void> | undefined;

  const sweepOnce = async () => {
    const stale = o.store
      .active()
      .filter((r) => r.phase !== 'delivering' && now() - Date.parse(r.updatedAt) >= interval)
      .slice(0, o.batch ?? 10);
    for (const rec of stale) {
      const link = o.links.get(rec.agent);
      if (!link || link.status().state !== 'connected') continue;
      try {
        const fresh = await link.getHiring(rec.hiring.id);
        await o.store.upsert(rec.agent, [fresh], 'rest');
      } catch (e) {
        o.logger.debug('could not re-read an idle hiring', { hiring: rec.hiring.id, error: e });
      }
    }
  };
  const sweep = () => (running ??= sweepOnce().finally(() => (running = undefined)));
  // A zero threshold (tests) must not become a busy loop.
  const timer = setInterval(() => void sweep(), Math.max(interval, 1000));
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    sweep,
  };
}
