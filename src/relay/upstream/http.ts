// One small HTTP helper over node:http/https for the REST calls and MCP POSTs.
// Not fetch: undici's defaults (300 s body timeout, pooled keep-alive surprises)
// are exactly what this link must control itself; here every request has our budget.
import http from 'node:http';
import https from 'node:https';
import { TimeoutError } from './errors';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Names the request in errors, e.g. "POST /api/v1/hirings/…/result". */
  what: string;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function httpModule(url: URL): typeof http | typeof https {
  return url.protocol === 'https:' ? https : http;
}

export function sendHttp(req: HttpRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(answer as HttpAnswer);
    };
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = httpModule(req.url).request(req.url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          r.destroy(new Error(`${req.what}: answer larger than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(new Error(`${req.what}: connection closed mid-answer`)));
    });
    const timer = setTimeout(() => {
      finish(new TimeoutError(req.what, req.timeoutMs));
      r.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish(new Error(`${req.what}: aborted`));
      r.destroy();
    };
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('error', (e) => finish(new Error(`${req.what}: ${e.message}`)));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** `retry-after` as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(headers: http.IncomingHttpHeaders, now = Date.now()): number | undefined {
  const raw = headers['retry-after'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
