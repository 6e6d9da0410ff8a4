// The webhook inbox (protocol §7): its own loopback listener that answers the platform at once
// and hands each valid delivery to the bridge asynchronously. Also answers the HEAD availability
// probe (§5) and a /health check.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError } from '../../shared/client-error';
import { errorEnvelope, HEADER } from '../../shared/protocol';
import type { Logger } from '../../shared/log';
import { parseWebhookPayload, type WebhookPayload } from './payload';
import { verifyKey, verifySignature } from './signature';

export const WEBHOOK_PATH = '/webhook/agrenting/hiring';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** The key the platform sends (registered as callback_auth_header). */
  key: string;
  /** When set, X-Webhook-Signature is required and checked. */
  secret?: string;
  maxBodyBytes?: number;
  /** The platform's id of this agent, when known: deliveries for another agent are refused. */
  agentId?: string;
  /** A delivery with no worker_matrix_id is refused when true. */
  requireWorker?: () => boolean;
  /** Called after the 200 went out; errors are the bridge's to log. */
  onDelivery: (payload: WebhookPayload) => void;
  log: Logger;
}

export interface WebhookServer {
  /** Full URL of the webhook path, e.g. http://127.0.0.1:8089/webhook/agrenting/hiring. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

/**
 * Reads the body up to `limit` bytes. A larger body is drained (up to a ceiling) before the 413
 * goes out, so the sender reads the answer instead of a reset connection.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        parts.length = 0;
        if (size > limit * 8) req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(parts))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown, extra: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, errorEnvelope(code, message));
}

export function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.log;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    if (method === 'HEAD' && (path === WEBHOOK_PATH || path === '/')) {
      // The availability probe has a 2 s budget and no credentials: answer at once.
      res.writeHead(200, { 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (path === '/health' && (method === 'GET' || method === 'HEAD')) {
      send(res, 200, { ok: true });
      return;
    }
    if (path !== WEBHOOK_PATH) {
      fail(res, 404, 'NOT_FOUND', `No such path: ${path}. Deliveries go to POST ${WEBHOOK_PATH}.`);
      return;
    }
    if (method !== 'POST') {
      fail(res, 405, 'METHOD_NOT_ALLOWED', `Use POST ${WEBHOOK_PATH}.`);
      return;
    }
    if (!verifyKey(req.headers, opts.key)) {
      req.resume();
      fail(res, 401, 'UNAUTHORIZED', 'Missing or wrong webhook key (expected the configured callback_auth_header).');
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, limit);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        fail(res, 413, 'PAYLOAD_TOO_LARGE', `The delivery exceeds ${limit} bytes.`);
        return;
      }
      throw e;
    }
    if (opts.secret !== undefined) {
      const sig = req.headers[HEADER.webhookSignature];
      if (!verifySignature(opts.secret, raw, Array.isArray(sig) ? sig[0] : sig)) {
        fail(res, 401, 'INVALID_SIGNATURE', 'X-Webhook-Signature is missing or does not match the body.');
        return;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      fail(res, 400, 'INVALID_JSON', 'The body is not valid JSON.');
      return;
    }
    const parsed = parseWebhookPayload(json, { requireWorker: opts.requireWorker?.() ?? false });
    if (!parsed.ok) {
      fail(res, 400, 'VALIDATION_ERROR', `Invalid hiring payload: ${parsed.error}`);
      return;
    }
    if (opts.agentId !== undefined && parsed.payload.agent_id !== opts.agentId) {
      fail(
        res,
        403,
        'FORBIDDEN',
        `This inbox serves agent ${opts.agentId}; the delivery is for agent ${parsed.payload.agent_id}. Check the agent's callback_url.`,
      );
      return;
    }
    send(res, 200, { data: { received: true, hiring_id: parsed.payload.hiring_id } });
    // Work happens after the answer: the platform must not wait on S3 or Matrix.
    setImmediate(() => {
      try {
        opts.onDelivery(parsed.payload);
      } catch (e) {
        log.error('webhook delivery handler failed', { hiring: parsed.payload.hiring_id, error: e });
      }
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error('webhook request failed', { error: e });
      if (!res.headersSent) fail(res, 500, 'INTERNAL_ERROR', 'The bridge could not read the delivery.');
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', answerClientError);

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      const url = `http://${host}:${port}${WEBHOOK_PATH}`;
      log.info('webhook inbox listening', { url });
      resolve({
        url,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
