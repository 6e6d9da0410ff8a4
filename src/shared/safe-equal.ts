import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of a presented secret with the expected one. Hashing both first makes
 * them the same length, so the time taken says nothing about either the content or the length.
 * An empty expected secret never matches: an unset key must not open the door to an empty one.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}
