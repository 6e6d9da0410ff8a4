import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/shared/backoff';

describe('Backoff (full jitter)', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1000, stableResetMs: 60_000, random: () => 0.999999 });
    const delays = Array.from({ length: 6 }, () => b.next());
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    expect(b.attempts).toBe(6);
  });

  it('draws the delay uniformly below the ceiling', () => {
    const b = new Backoff({ baseMs: 1000, capMs: 30_000, stableResetMs: 60_000, random: () => 0 });
    expect(b.next()).toBe(0);
    const half = new Backoff({ baseMs: 1000, capMs: 30_000, stableResetMs: 60_000, random: () => 0.5 });
    half.next();
    expect(half.next()).toBe(1000);
  });

  it('never exceeds the cap after many attempts', () => {
    const b = new Backoff({ baseMs: 1000, capMs: 30_000, stableResetMs: 60_000 });
    for (let i = 0; i < 2000; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(30_000);
    }
    expect(b.ceiling()).toBe(30_000);
  });

  it('lowers the cap for one delay when asked (unreachable platform), keeping the attempt count', () => {
    const b = new Backoff({ baseMs: 100, capMs: 30_000, stableResetMs: 60_000, random: () => 0.999999 });
    for (let i = 0; i < 8; i++) expect(b.next(2_000)).toBeLessThan(2_000);
    expect(b.attempts).toBe(8);
    // a platform that answers badly again gets the full, grown backoff
    expect(b.next()).toBe(25_599);
  });

  it('resets only after a session that was stable long enough', () => {
    const b = new Backoff({ baseMs: 100, capMs: 10_000, stableResetMs: 60_000, random: () => 0.999999 });
    b.next();
    b.next();
    b.next();
    b.sessionEnded(5_000);
    expect(b.ceiling()).toBe(800);
    b.sessionEnded(60_000);
    expect(b.ceiling()).toBe(100);
    expect(b.attempts).toBe(0);
  });
});
