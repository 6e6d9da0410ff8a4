import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_TIMING, linkTiming } from '../../src/relay/upstream/timing';

describe('linkTiming', () => {
  it('defaults never use a library 60 s timeout and keep the documented budgets', () => {
    const t = linkTiming();
    expect(t).toEqual(DEFAULT_LINK_TIMING);
    expect(t.requestTimeoutMs).toBe(15_000);
    expect(t.pingIntervalMs).toBe(30_000);
    expect(t.pingTimeoutMs).toBe(10_000);
    expect(t.backoffCapMs).toBe(30_000);
    expect(t.stableResetMs).toBe(60_000);
  });

  it('takes valid overrides and ignores negative or non-finite ones', () => {
    const t = linkTiming({ pingIntervalMs: 50, requestTimeoutMs: -1, backoffCapMs: Number.NaN, safetyNetMs: Infinity });
    expect(t.pingIntervalMs).toBe(50);
    expect(t.requestTimeoutMs).toBe(DEFAULT_LINK_TIMING.requestTimeoutMs);
    expect(t.backoffCapMs).toBe(DEFAULT_LINK_TIMING.backoffCapMs);
    expect(t.safetyNetMs).toBe(DEFAULT_LINK_TIMING.safetyNetMs);
  });
});
