// Capped exponential backoff with jitter, honouring the platform's Retry-After.
export interface BackoffOptions {
  /** First retry delay. Default 1 000 ms. */
  baseDelayMs?: number;
  /** Longest backoff delay. Default 60 000 ms. */
  maxDelayMs?: number;
  /** Spread as a fraction of the delay (0.2 → ±20 %), so many retries do not fire together. Default 0.2. */
  jitter?: number;
  /** Longest Retry-After honoured (a bigger one is cut to this). Default 15 minutes. */
  maxRetryAfterMs?: number;
  /** Random source in [0, 1) (tests make it fixed). */
  random?: () => number;
}

export class Backoff {
  private readonly base: number;
  private readonly max: number;
  private readonly jitter: number;
  private readonly maxRetryAfter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.base = Math.max(0, opts.baseDelayMs ?? 1000);
    this.max = Math.max(this.base, opts.maxDelayMs ?? 60_000);
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.2));
    this.maxRetryAfter = opts.maxRetryAfterMs ?? 15 * 60_000;
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the retry that follows failed attempt number `attempt` (1-based). */
  delay(attempt: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
      // The platform said when: wait that (it knows its rate window), within reason —
      // but never less than the first backoff step: "Retry-After: 0" (or a date already
      // past) on every answer would otherwise retry in a busy loop, fsyncing each attempt.
      return Math.max(this.base, Math.min(retryAfterMs, this.maxRetryAfter));
    }
    const exp = Math.min(this.max, this.base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
    const spread = exp * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.max, Math.round(exp + spread)));
  }
}
