// Small HTTP helpers for the downstream server: JSON answers, bounded body reads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { errorEnvelope, type ErrorCode as EnvelopeCode } from '../../shared/protocol';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Agrenting's error envelope, for answers that are about HTTP (auth, Host, unknown path) rather than JSON-RPC. */
export function sendEnvelope(
  res: ServerResponse,
  status: number,
  code: EnvelopeCode | string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, errorEnvelope(code, message), headers);
}

export function rpcError(
  code: number,
  message: string,
): { jsonrpc: '2.0'; id: null; error: { code: number; message: string } } {
  return { jsonrpc: '2.0', id: null, error: { code, message } };
}

/**
 * Reads and parses a JSON body. On a body too large or not JSON it answers the request itself
 * (413, or 400 with a JSON-RPC parse error) and resolves undefined.
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
): Promise<{ value: unknown } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        sendJson(res, 413, rpcError(ErrorCode.InvalidRequest, `The request body is larger than ${maxBytes} bytes.`), {
          Connection: 'close',
        });
        req.destroy();
        return undefined;
      }
      chunks.push(buf);
    }
  } catch {
    // the client went away mid-body; there is nobody to answer
    return undefined;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    sendJson(res, 400, rpcError(ErrorCode.ParseError, 'Parse error: the request body is not valid JSON.'));
    return undefined;
  }
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
