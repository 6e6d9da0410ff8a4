// Per-agent rate limit (fixed one-minute windows, like the platform's "about
// 100 a minute") and the seeded fault dice, so fault runs are reproducible.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perMinute: () => number) {}

  /** undefined when the limit is disabled (0). */
  take(agentId: string): RateDecision | undefined {
    const limit = this.perMinute();
    if (limit <= 0) return undefined;
    const t = Date.now();
    let w = this.windows.get(agentId);
    if (!w || t - w.start >= WINDOW_MS) {
      w = { start: t, count: 0 };
      this.windows.set(agentId, w);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((w.start + WINDOW_MS - t) / 1000));
    if (w.count >= limit) return { allowed: false, limit, remaining: 0, retryAfterSeconds };
    w.count += 1;
    return { allowed: true, limit, remaining: limit - w.count, retryAfterSeconds };
  }
}

/** mulberry32: tiny, fast, good enough for fault dice. */
export class FaultDice {
  private state = 0;
  private seed = Number.NaN;

  constructor(private readonly seedOf: () => number) {}

  /** True with probability `rate`. Re-seeds when the seed knob changes. */
  roll(rate: number): boolean {
    if (rate <= 0) return false;
    const seed = this.seedOf();
    if (seed !== this.seed) {
      this.seed = seed;
      this.state = seed >>> 0;
    }
    return this.next() < rate;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
