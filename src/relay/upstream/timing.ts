// Every interval and timeout of an agent link, in one place so tests can shrink them.
// Defaults follow the brief: nothing may wait on a library's 60 s default.

export interface LinkTiming {
  /** Budget of one JSON-RPC request (initialize, resources/read, tools/call...) and of one REST call. */
  requestTimeoutMs: number;
  /** Budget for the SSE stream to answer and send its `endpoint` event. */
  connectTimeoutMs: number;
  /** How often the client pings the server to prove the session is alive. */
  pingIntervalMs: number;
  /** A client ping unanswered this long means the session is dead. */
  pingTimeoutMs: number;
  /** First reconnect delay ceiling; doubles per failed attempt (full jitter below it). */
  backoffBaseMs: number;
  /** Largest reconnect delay. */
  backoffCapMs: number;
  /**
   * Largest reconnect delay while connections are refused outright (nothing listening, reset,
   * unreachable). A refused connection costs the platform nothing, and a short cap brings the
   * link back within about this long of the platform's return after an outage.
   */
  unreachableCapMs: number;
  /** A session that lived this long resets the backoff. */
  stableResetMs: number;
  /** Retry interval while the platform rejects the agent key (401): slow, the key must change first. */
  authRetryMs: number;
  /** Safety-net poll of `GET /api/v1/hirings/pending`, whatever the session does. */
  safetyNetMs: number;
}

export const DEFAULT_LINK_TIMING: LinkTiming = {
  requestTimeoutMs: 15_000,
  connectTimeoutMs: 15_000,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 30_000,
  unreachableCapMs: 2_000,
  stableResetMs: 60_000,
  authRetryMs: 120_000,
  safetyNetMs: 180_000,
};

export function linkTiming(overrides: Partial<LinkTiming> = {}): LinkTiming {
  const t = { ...DEFAULT_LINK_TIMING };
  for (const [k, v] of Object.entries(overrides) as [keyof LinkTiming, number | undefined][]) {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) t[k] = v;
  }
  return t;
}
