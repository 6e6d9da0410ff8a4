// The few Matrix client-server calls the bridge makes (spec v1.x, /_matrix/client/v3).
// Ids in paths are encoded with encodeURIComponent: room ids hold ':' and aliases start with '#'.
// The access token travels only in the Authorization header and is registered for redaction.
import { registerSecret } from '../../shared/redact';

export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts?: number;
  content: Record<string, unknown>;
}

export interface MessagesPage {
  chunk: MatrixEvent[];
  start?: string;
  end?: string;
}

export class MatrixError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errcode?: string,
  ) {
    super(message);
    this.name = 'MatrixError';
  }
}

export interface MatrixClientOptions {
  homeserver: string;
  accessToken: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const enc = encodeURIComponent;

export class MatrixClient {
  private readonly base: string;
  private readonly token: string;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(opts: MatrixClientOptions) {
    registerSecret(opts.accessToken);
    this.base = opts.homeserver.replace(/\/+$/, '');
    this.token = opts.accessToken;
    this.doFetch = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** The room id an alias points to, or undefined when the alias does not exist. */
  async resolveAlias(alias: string): Promise<string | undefined> {
    try {
      const r = await this.call<{ room_id: string }>('GET', `/directory/room/${enc(alias)}`);
      return r.room_id;
    } catch (e) {
      if (e instanceof MatrixError && (e.status === 404 || e.errcode === 'M_NOT_FOUND')) return undefined;
      throw e;
    }
  }

  async joinedRooms(): Promise<string[]> {
    return (await this.call<{ joined_rooms: string[] }>('GET', '/joined_rooms')).joined_rooms;
  }

  async join(roomIdOrAlias: string): Promise<string> {
    return (await this.call<{ room_id: string }>('POST', `/rooms/${enc(roomIdOrAlias)}/join`, {})).room_id;
  }

  /** Sends m.room.message; the same txnId never posts twice (the server deduplicates). */
  async sendMessage(roomId: string, txnId: string, content: Record<string, unknown>): Promise<string> {
    const path = `/rooms/${enc(roomId)}/send/m.room.message/${enc(txnId)}`;
    return (await this.call<{ event_id: string }>('PUT', path, content)).event_id;
  }

  async messages(roomId: string, q: { from?: string; dir: 'f' | 'b'; limit?: number }): Promise<MessagesPage> {
    const params = new URLSearchParams({ dir: q.dir, limit: String(q.limit ?? 50) });
    if (q.from) params.set('from', q.from);
    return this.call<MessagesPage>('GET', `/rooms/${enc(roomId)}/messages?${params.toString()}`);
  }

  /** A token for "now" in a room: newer events are read forward from it. */
  async latestToken(roomId: string): Promise<string | undefined> {
    const page = await this.messages(roomId, { dir: 'b', limit: 1 });
    return page.start;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.base}/_matrix/client/v3${path}`;
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new MatrixError(
        `Matrix homeserver ${this.base} unreachable (${method} ${path.split('?')[0]}): ${(e as Error).message}`,
        0,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (!res.ok) {
      const err = json as { errcode?: string; error?: string };
      throw new MatrixError(
        `Matrix ${method} ${path.split('?')[0]} failed (${res.status} ${err.errcode ?? ''}): ${err.error ?? (text.slice(0, 200) || res.statusText)}`,
        res.status,
        err.errcode,
      );
    }
    return json as T;
  }
}
