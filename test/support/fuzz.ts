// Seeded generators of hostile input: random JSON, near-miss objects (a valid
// value with one field broken), nasty strings and raw bytes. Deterministic for a
// seed, so a crash found in CI replays locally.
import { between, pick, type Random } from './seed';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uFFFD\uD800',
  '../../etc/passwd',
  '..',
  '/',
  '%2e%2e%2f',
  'a/b',
  'a b',
  '__proto__',
  'constructor',
  'prototype',
  '<script>alert(1)</script>',
  '${process.exit(1)}',
  '\r\n\r\ndata: injected\n\n',
  'null',
  'NaN',
  '-1',
  '1e309',
  '😀'.repeat(50),
  'x'.repeat(70_000),
];

const NASTY_NUMBERS = [0, -1, 1.5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -0, 2 ** 53 + 1];

export function nastyString(rand: Random): string {
  if (rand() < 0.6) return pick(rand, NASTY_STRINGS);
  const len = between(rand, 0, 40);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(between(rand, 0, rand() < 0.8 ? 127 : 0xffff));
  return s;
}

export function randomJson(rand: Random, depth = 3): Json {
  const r = rand();
  if (depth <= 0 || r < 0.35) {
    const k = between(rand, 0, 4);
    if (k === 0) return null;
    if (k === 1) return rand() < 0.5;
    if (k === 2) return pick(rand, NASTY_NUMBERS);
    return nastyString(rand);
  }
  if (r < 0.6) return Array.from({ length: between(rand, 0, 4) }, () => randomJson(rand, depth - 1));
  const o: { [k: string]: Json } = {};
  for (let i = between(rand, 0, 5); i > 0; i--) {
    o[rand() < 0.3 ? nastyString(rand) : pick(rand, ['id', 'jsonrpc', 'method', 'params', 'result', 'error', 'data'])] =
      randomJson(rand, depth - 1);
  }
  return o;
}

/** A copy of `valid` with one field removed, retyped or replaced by something hostile. */
export function nearMiss(rand: Random, valid: { [k: string]: Json }): { [k: string]: Json } {
  const copy = structuredClone(valid);
  const keys = Object.keys(copy);
  const key = pick(rand, keys);
  const how = between(rand, 0, 4);
  if (how === 0) delete copy[key];
  else if (how === 1) copy[key] = randomJson(rand, 1);
  else if (how === 2) copy[key] = nastyString(rand);
  else if (how === 3) copy[key] = pick(rand, [null, 0, true, [], {}] as Json[]);
  else copy[nastyString(rand) || 'extra'] = randomJson(rand, 2);
  return copy;
}

/** A body as text: JSON of random or near-miss values, or something that is not JSON at all. */
export function hostileBody(rand: Random, valid: { [k: string]: Json }): string {
  const k = between(rand, 0, 9);
  if (k <= 3) return JSON.stringify(nearMiss(rand, valid));
  if (k <= 5) return JSON.stringify(randomJson(rand, 4));
  if (k === 6) return JSON.stringify(valid).slice(0, between(rand, 0, JSON.stringify(valid).length - 1));
  if (k === 7) {
    return pick(rand, [
      '',
      'null',
      '[]',
      '{}',
      '[[[[[[]]]]]]',
      '{"a":',
      '\u0000\u0001',
      'undefined',
      '[' + '1,'.repeat(1000) + '1]',
    ]);
  }
  if (k === 8) return JSON.stringify([valid, randomJson(rand, 2), nearMiss(rand, valid)]);
  return Buffer.from(Array.from({ length: between(rand, 1, 200) }, () => between(rand, 0, 255))).toString('latin1');
}

/** Nesting deep enough to break a naive recursive walker. */
export function deepJson(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}
