// Lenient parsing of what other programs send (the platform, the relay): a malformed
// optional field or list item is dropped, and reported where someone can see it,
// rather than losing the whole object or list to it.
import { z } from 'zod';
import { describeZodError } from './tools';

/** A plain object (not null, not an array), for narrowing input before reading its fields. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An optional field that never rejects the whole object: a wrong type becomes undefined. */
export const lenient = <T extends z.ZodTypeAny>(schema: T) => schema.optional().catch(undefined);

/** An optional list whose malformed items are dropped; a non-list becomes []. */
export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(z.unknown())
    .catch([])
    .optional()
    .transform((items) =>
      (items ?? []).flatMap((raw) => {
        const r = item.safeParse(raw);
        return r.success ? [r.data as z.infer<T>] : [];
      }),
    );

export interface Parsed<T> {
  items: T[];
  errors: string[];
}

/**
 * Parses each item of a JSON array on its own: keeps the good, reports the bad by
 * position (`<item> <index>: <why>`). Never throws.
 */
export function parseEach<T>(
  raw: unknown,
  parse: (item: unknown) => T,
  names: { list: string; item: string },
): Parsed<T> {
  if (!Array.isArray(raw)) return { items: [], errors: [`expected a JSON array of ${names.list}`] };
  const items: T[] = [];
  const errors: string[] = [];
  raw.forEach((r, i) => {
    try {
      items.push(parse(r));
    } catch (e) {
      errors.push(`${names.item} ${i}: ${e instanceof z.ZodError ? describeZodError(e) : (e as Error).message}`);
    }
  });
  return { items, errors };
}
