// Values the relay, the extension and the sandbox must agree on, each declared once; the
// types are derived from the lists so a new phase or mode cannot be added in one place only.

/** The relay's MCP port when none is configured (the extension's default address uses it too). */
export const DEFAULT_RELAY_PORT = 7391;
export const DEFAULT_RELAY_HOST = '127.0.0.1';
export const DEFAULT_RELAY_ADDRESS = `${DEFAULT_RELAY_HOST}:${DEFAULT_RELAY_PORT}`;

/** Where a hiring stands on this machine, beside its platform status. */
export const LOCAL_PHASES = ['new', 'claimed', 'awaiting_review', 'delivering', 'done', 'failed'] as const;
export type LocalPhase = (typeof LOCAL_PHASES)[number];

export const SUBMISSION_STATES = [
  'awaiting_review',
  'approved',
  'rejected',
  'delivering',
  'delivered',
  'failed',
] as const;
export type SubmissionState = (typeof SUBMISSION_STATES)[number];

/** A runner's work on a hiring (src/relay/runners): starting and running are active. */
export const RUN_STATES = ['starting', 'running', 'succeeded', 'failed', 'stopped'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** A run whose agent process is (about to be) working: the others have ended. */
export function isRunActive(state: RunState): boolean {
  return state === 'starting' || state === 'running';
}

/** 'required': what agents submit waits for the operator; 'off': it goes straight to the client. */
export const REVIEW_MODES = ['required', 'off'] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

export function isLocalPhase(v: unknown): v is LocalPhase {
  return typeof v === 'string' && (LOCAL_PHASES as readonly string[]).includes(v);
}

export function isReviewMode(v: unknown): v is ReviewMode {
  return typeof v === 'string' && (REVIEW_MODES as readonly string[]).includes(v);
}

/** The relay's own MCP resources, beside Agrenting's hiring:// ones; the extension subscribes to all three. */
export const RELAY_URI = {
  hirings: 'relay://hirings',
  reviewQueue: 'review://queue',
  status: 'relay://status',
} as const;
