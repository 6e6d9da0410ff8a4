// The platform's REST surface for one agent (§3): the safety-net list, one hiring,
// and the three deliveries that have a REST form. Answers are returned raw
// (status, body, retry-after); outcome.ts decides what they mean.
import type { Hiring } from '../../shared/hiring';
import { parseHiring, parseHiringList } from '../../shared/hiring';
import { HEADER } from '../../shared/protocol';
import { AuthError, HttpError } from './errors';
import { retryAfterMs, sendHttp } from './http';

export interface RestAnswer {
  status: number;
  body: string;
  retryAfterMs?: number;
}

export interface AgrentingRestOptions {
  baseUrl: string;
  apiKey: string;
  agent: string;
  timeoutMs: number;
}

export type RestDelivery = 'result' | 'failure' | 'messages';

export class AgrentingRest {
  private readonly base: URL;

  constructor(private readonly opts: AgrentingRestOptions) {
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
  }

  private url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<RestAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', [HEADER.apiKey]: this.opts.apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers[HEADER.idempotencyKey] = idempotencyKey;
    const a = await sendHttp({
      method,
      url: this.url(path),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: this.opts.timeoutMs,
      what: `${method} ${path}`,
    });
    return { status: a.status, body: a.body, retryAfterMs: retryAfterMs(a.headers) };
  }

  /** `GET /api/v1/hirings/pending`: the good hirings, plus parse errors for the log. */
  async listPending(): Promise<{ hirings: Hiring[]; errors: string[] }> {
    const a = await this.call('GET', '/api/v1/hirings/pending');
    return parseHiringList(this.data(a, 'GET /api/v1/hirings/pending'));
  }

  /** `GET /api/v1/hirings/:id`; throws HttpError (404 for unknown) on failure. */
  async getHiring(id: string): Promise<Hiring> {
    const path = `/api/v1/hirings/${encodeURIComponent(id)}`;
    return parseHiring(this.data(await this.call('GET', path), `GET ${path}`));
  }

  /** POSTs one delivery with its idempotency key; the raw answer, never thrown for HTTP statuses. */
  deliver(
    hiringId: string,
    kind: RestDelivery,
    body: Record<string, unknown>,
    idempotencyKey: string,
  ): Promise<RestAnswer> {
    return this.call('POST', `/api/v1/hirings/${encodeURIComponent(hiringId)}/${kind}`, body, idempotencyKey);
  }

  /** The envelope's `data`, or an error a person can act on. */
  private data(a: RestAnswer, what: string): unknown {
    if (a.status === 401) throw new AuthError(this.opts.agent);
    if (a.status < 200 || a.status >= 300) throw new HttpError(a.status, a.body, a.retryAfterMs, what);
    try {
      const parsed = JSON.parse(a.body) as { data?: unknown };
      return parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed;
    } catch {
      throw new HttpError(a.status, a.body, undefined, `${what} (answer is not JSON)`);
    }
  }
}
