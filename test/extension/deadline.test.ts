import { describe, expect, it } from 'vitest';
import { countdown, deadlineWithin, formatTime, shortSpan } from '../../src/extension/view-models/deadline';
import { NOW } from './fixtures';

const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const M = 60_000;
const H = 60 * M;

describe('deadline countdown', () => {
  it('says how long is left in the largest sensible unit', () => {
    expect(countdown(at(3 * H + 10 * M), NOW)).toBe('due in 3h');
    expect(countdown(at(45 * M), NOW)).toBe('due in 45m');
    expect(countdown(at(3 * 24 * H), NOW)).toBe('due in 3d');
    expect(countdown(at(30 * H), NOW)).toBe('due in 30h');
  });
  it('says overdue once the deadline has passed', () => {
    expect(countdown(at(-5 * M), NOW)).toBe('overdue 5m');
    expect(countdown(at(-2 * H), NOW)).toBe('overdue 2h');
    expect(countdown(at(-10_000), NOW)).toBe('due now');
  });
  it('gives nothing for a missing or malformed deadline', () => {
    expect(countdown(null, NOW)).toBeUndefined();
    expect(countdown(undefined, NOW)).toBeUndefined();
    expect(countdown('next tuesday', NOW)).toBeUndefined();
  });
  it('knows when a deadline is within the hour but not past', () => {
    expect(deadlineWithin(at(30 * M), NOW, H)).toBe(true);
    expect(deadlineWithin(at(2 * H), NOW, H)).toBe(false);
    expect(deadlineWithin(at(-M), NOW, H)).toBe(false);
  });
  it('formats times in UTC and spans with at least one minute', () => {
    expect(formatTime('2026-11-24T15:04:59Z')).toBe('2026-11-24 15:04 UTC');
    expect(formatTime('garbage')).toBeUndefined();
    expect(shortSpan(5_000)).toBe('1m');
  });
});
