// The relay's inbox: hirings seen (HiringStore), submissions waiting for a human
// (ReviewQueue) and deliveries to the platform (Outbox), each journaled in the
// state directory (hirings.jsonl, reviews.jsonl, outbox.jsonl, mode 0600).
export { Journal, type JournalOptions, type ReplayResult } from './journal';
export {
  HiringStore,
  phaseForStatus,
  type HiringStoreOptions,
  type StoreChange,
  type StoreChangeKind,
  type UpsertResult,
} from './store';
export { ReviewQueue, type NewSubmission, type ReviewQueueOptions, type ReviewedSubmission } from './review';
export { Outbox, type NewDelivery, type OutboxEvent, type OutboxOptions, type SendFn } from './outbox';
