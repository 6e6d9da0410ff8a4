// Seeded randomness for the fault suite: every random choice (which stream to cut,
// when to kill the relay, which bytes to fuzz) comes from one printed seed, so a
// failing CI run is replayed with FAULT_SEED=<seed>.
import { randomInt } from 'node:crypto';

/** A random source in [0, 1). */
export type Random = () => number;

/** The seed for one test file: FAULT_SEED when set, else a fresh one. Printed so the CI log shows it. */
export function faultSeed(label: string): number {
  const fromEnv = process.env.FAULT_SEED?.trim();
  const parsed = fromEnv ? Number(fromEnv) : Number.NaN;
  const seed = Number.isInteger(parsed) ? parsed >>> 0 : randomInt(1, 2 ** 31);
  console.log(`[faults] ${label}: seed ${seed} (reproduce with FAULT_SEED=${seed})`);
  return seed;
}

/** mulberry32: small, fast and good enough to drive fault dice. */
export function prng(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream derived from a seed, so adding a consumer does not shift the others. */
export function fork(seed: number, salt: number): Random {
  return prng((seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
}

export function between(rand: Random, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function pick<T>(rand: Random, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)];
}

/** An integer from the environment (counts, durations), or the default sized for CI. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  const n = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}
