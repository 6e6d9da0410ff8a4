// Small HTTP helpers shared by the sandbox's routes: bodies, JSON answers, the
// platform's error envelope, HTML escaping for its pages, and the added-latency knob.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorEnvelope, ERROR_CODES, type ErrorCode } from '../shared/protocol';

/** Large enough for 50 artifacts of 1 MB in base64. */
const MAX_BODY_BYTES = 80 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError('request body too large'));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

export function parseJson(text: string): JsonParse {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `body is not valid JSON: ${(e as Error).message}` };
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  details?: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, ERROR_CODES[code], errorEnvelope(code, message, details), headers);
}

/** An agent's callback_auth_header ("Name: value") as [name, value]; undefined if it is not one. */
export function authHeader(spec: unknown): [string, string] | undefined {
  if (typeof spec !== 'string') return undefined;
  const i = spec.indexOf(':');
  if (i <= 0) return undefined;
  return [spec.slice(0, i).trim(), spec.slice(i + 1).trim()];
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
