// Structural equality of JSON-like values, key order ignored: how the store tells a
// duplicate hiring from a changed one without keeping a serialised copy in memory.
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN, and undefined-vs-missing handled by the caller's key walk
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  // Keys whose value is undefined do not survive JSON, so they do not count.
  let countA = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    countA++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  }
  let countB = 0;
  for (const k in bo) if (bo[k] !== undefined) countB++;
  return countA === countB;
}
