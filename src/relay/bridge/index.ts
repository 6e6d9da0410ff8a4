// The bridge's public surface, for the relay wiring and end-to-end tests.
export { createBridge, type Bridge, type BridgeOptions } from './bridge';
export {
  BridgeConfigSchema,
  parseBridgeConfig,
  BridgeConfigError,
  type BridgeConfig,
  type BridgeConfigInput,
} from './config';
export { startWebhookServer, WEBHOOK_PATH, type WebhookServer } from './webhook-server';
export { webhookSignature, verifySignature } from './signature';
export { parseWebhookPayload, payloadToHiring, isSafeId, SAFE_ID, type WebhookPayload } from './payload';
export { mentionContent, mentionMessage, workerRoomAlias, workerRef, handoffTxnId, type WorkerRef } from './handoff';
export { S3TaskStore, DEFAULT_BUCKET, type TaskStore } from './s3-store';
export { MatrixClient, MatrixError, type MatrixEvent } from './matrix-client';
export { classifyReport } from './watcher';
export { FILES, TASKS_PREFIX, taskKey, type TaskMeta, type BridgeState } from './task-files';
export { fetchPendingHirings } from './heartbeat';
