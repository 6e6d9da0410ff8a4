// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff
// And Jitter"): delay = random(0, min(cap, base * 2^attempt)). Full jitter spreads
// many relays that lost the platform at the same moment.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** A session that lived at least this long resets the attempt counter. */
  stableResetMs: number;
  /** Injected for tests; returns [0, 1). */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.random = opts.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling for the next delay (before jitter); `capMs` lowers the cap for this delay only. */
  ceiling(capMs = this.opts.capMs): number {
    // 2^attempt overflows to Infinity for large attempts; min() keeps it at the cap.
    return Math.min(capMs, this.opts.capMs, this.opts.baseMs * 2 ** this.attempt);
  }

  /** The next delay, and counts the attempt. */
  next(capMs?: number): number {
    const delay = Math.floor(this.random() * this.ceiling(capMs));
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Call when a session ends: a session that was stable long enough starts the sequence afresh. */
  sessionEnded(livedMs: number): void {
    if (livedMs >= this.opts.stableResetMs) this.reset();
  }
}
