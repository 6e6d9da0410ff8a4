// Authentication of webhook deliveries (protocol §7): the key the platform sends in the header
// registered as `callback_auth_header`, and the optional HMAC signature of the raw body.
// Both comparisons are constant-time so a caller cannot learn a key byte by byte.
import { createHmac } from 'node:crypto';
import { readApiKey } from '../../shared/protocol';
import { safeEqual } from '../../shared/safe-equal';

/** `X-Webhook-Signature` as the platform computes it: base64 of HMAC-SHA256(raw body, secret). */
export function webhookSignature(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/** Accepts the bare base64 value and the common `sha256=<base64>` spelling. */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const given = header.trim().replace(/^sha256=/i, '');
  return safeEqual(given, webhookSignature(secret, rawBody));
}

type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * Checks the delivery's key. The tutorial registers `Authorization: ApiKey <key>`; the same key
 * is also accepted in the other places Agrenting reads keys from (X-API-Key, Api-Key, Bearer).
 */
export function verifyKey(headers: HeaderBag, expected: string): boolean {
  const given = readApiKey(headers);
  return given !== undefined && safeEqual(given, expected);
}
