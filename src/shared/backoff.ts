// Capped exponential backoff: the ceiling of the n-th delay is min(cap, base * 2^n).
// Jitter 'full' draws the delay from [0, ceiling) (AWS architecture blog, "Exponential Backoff
// And Jitter"), which spreads many relays that lost the platform at the same moment; a number
// f spreads it by ±f of the ceiling instead, for retries that should still grow steadily.

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs: number;
  /** Longest delay. */
  capMs: number;
  /** 'full' (default), or a fraction 0–1 of the ceiling; 0 means no jitter. */
  jitter?: 'full' | number;
  /** A session that lived at least this long resets the attempt counter (see sessionEnded). */
  stableResetMs?: number;
  /** Injected for tests; returns [0, 1). */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;
  readonly baseMs: number;
  readonly capMs: number;

  constructor(private readonly opts: BackoffOptions) {
    this.random = opts.random ?? Math.random;
    this.baseMs = Math.max(0, opts.baseMs);
    this.capMs = Math.max(this.baseMs, opts.capMs);
  }

  /** Number of delays handed out by next() since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling (before jitter) of delay number `n` (0-based); `capMs` lowers the cap for this delay only. */
  ceiling(n = this.attempt, capMs = this.capMs): number {
    // 2^n overflows to Infinity for large n; min() keeps it at the cap.
    return Math.min(capMs, this.capMs, this.baseMs * 2 ** Math.max(0, n));
  }

  /** Delay number `n` (0-based: the first retry is 0), without counting it. */
  delay(n: number, capMs?: number): number {
    const ceiling = this.ceiling(n, capMs);
    const jitter = this.opts.jitter ?? 'full';
    if (jitter === 'full') return Math.floor(this.random() * ceiling);
    const f = Math.min(1, Math.max(0, jitter));
    const spread = ceiling * f * (2 * this.random() - 1);
    return Math.max(0, Math.min(capMs ?? this.capMs, this.capMs, Math.round(ceiling + spread)));
  }

  /** The next delay, and counts the attempt. */
  next(capMs?: number): number {
    const d = this.delay(this.attempt, capMs);
    this.attempt += 1;
    return d;
  }

  reset(): void {
    this.attempt = 0;
  }

  /** Call when a session ends: a session that was stable long enough starts the sequence afresh. */
  sessionEnded(livedMs: number): void {
    if (this.opts.stableResetMs !== undefined && livedMs >= this.opts.stableResetMs) this.reset();
  }
}
