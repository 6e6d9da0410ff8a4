// The relay's inbox: hirings seen (HiringStore), submissions waiting for a human
// (ReviewQueue) and deliveries to the platform (Outbox), each journaled in the
// state directory (hirings.jsonl, reviews.jsonl, outbox.jsonl, mode 0600).
import { promises as fsp } from 'node:fs';
import type { Logger } from '../../shared/log';
import { HiringStore, type HiringStoreOptions } from './store';
import { ReviewQueue, type ReviewQueueOptions } from './review';
import { Outbox, type OutboxOptions } from './outbox';

export { Journal, type JournalOptions, type ReplayResult } from './journal';
export { HiringStore, phaseForStatus, type HiringStoreOptions, type StoreChange, type StoreChangeKind, type UpsertResult } from './store';
export { ReviewQueue, type NewSubmission, type ReviewQueueOptions, type ReviewedSubmission } from './review';
export { Outbox, type NewDelivery, type OutboxEvent, type OutboxOptions, type SendFn } from './outbox';
export { Backoff, type BackoffOptions } from './backoff';

export interface InboxOptions {
  store?: HiringStoreOptions;
  review?: ReviewQueueOptions;
  outbox: OutboxOptions;
  logger?: Logger;
}

export interface Inbox {
  store: HiringStore;
  reviews: ReviewQueue;
  outbox: Outbox;
  close(): Promise<void>;
}

/** Opens (replays) the whole inbox kept in `stateDir` (created with mode 0700 if missing). */
export async function openInbox(stateDir: string, opts: InboxOptions): Promise<Inbox> {
  await fsp.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const logger = opts.logger;
  const store = await HiringStore.open(stateDir, { logger, ...opts.store });
  const reviews = await ReviewQueue.open(stateDir, { logger, ...opts.review });
  const outbox = await Outbox.open(stateDir, {
    logger,
    // Chunks of a hiring that is done or failed locally are not worth sending.
    isHiringFinished: (id) => {
      const phase = store.get(id)?.phase;
      return phase === 'done' || phase === 'failed';
    },
    ...opts.outbox,
  });
  return {
    store,
    reviews,
    outbox,
    async close() {
      await outbox.close();
      await reviews.close();
      await store.close();
    },
  };
}
