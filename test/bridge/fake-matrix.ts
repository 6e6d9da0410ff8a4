// A small fake of the Matrix client-server API (testing.md, "HiClaw pieces"): login,
// directory/room/{alias}, joined_rooms, rooms/{id}/join, PUT rooms/{id}/send/m.room.message/{txnId}
// (idempotent per txnId), rooms/{id}/messages (from/dir/limit). Errors are {errcode, error}.
// It is strict where HiClaw workers are: ids in paths must be URL-encoded, and a worker acts only
// on a message from an allowed sender that mentions it in m.mentions.user_ids AND with a
// matrix.to pill in formatted_body. It also plays the workers (late ack, complete, block).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
}

export type WorkerOutcome = 'complete' | 'block' | 'silent';

export interface WorkerBehaviour {
  /** Valid hand-offs dropped before the worker is "up" (a starting worker drops messages). */
  dropFirst?: number;
  outcome: WorkerOutcome;
  /** Called before TASK_COMPLETED is posted: write result.md etc. */
  onTask?: (taskId: string) => Promise<void>;
  /** Report without the task id (one open task per room). */
  omitTaskId?: boolean;
}

interface Room {
  id: string;
  alias?: string;
  members: Set<string>;
  events: StoredEvent[];
  worker?: { userId: string; behaviour: WorkerBehaviour; allowed: Set<string>; seen: number; handled: Set<string> };
}

export class FakeMatrix {
  readonly domain: string;
  url = '';
  readonly rooms = new Map<string, Room>();
  private readonly aliases = new Map<string, string>();
  private readonly tokens = new Map<string, string>(); // token → user
  private readonly passwords = new Map<string, string>();
  private readonly txns = new Map<string, string>(); // user|room|txn → event id
  /** Every request as received (raw paths), for assertions on encoding. */
  readonly requests: { method: string; rawPath: string; user?: string }[] = [];
  /** While set, messages sent are stored but their answers never leave (as if the sender died right after). */
  dropSendAnswers = false;
  /** Messages a worker ignored, with why. */
  readonly ignored: { room: string; reason: string }[] = [];
  private seq = 0;
  private server?: Server;
  private pendingWork = new Set<Promise<void>>();

  constructor(domain = 'hiclaw.test') {
    this.domain = domain;
  }

  addUser(localpart: string, password: string, token?: string): string {
    const id = `@${localpart}:${this.domain}`;
    this.passwords.set(id, password);
    if (token) this.tokens.set(token, id);
    return id;
  }

  /** A worker room; `alias: false` plays an older install without the #hiclaw-worker-<name> alias. */
  addWorker(
    name: string,
    behaviour: WorkerBehaviour,
    opts: { alias?: boolean; allowed: string[]; members?: string[] },
  ): Room {
    const userId = this.addUser(name, 'pw');
    const room: Room = {
      id: `!room${++this.seq}${name}:${this.domain}`,
      members: new Set([userId, ...(opts.members ?? [])]),
      events: [],
      worker: { userId, behaviour, allowed: new Set(opts.allowed), seen: 0, handled: new Set() },
    };
    if (opts.alias !== false) {
      room.alias = `#hiclaw-worker-${name}:${this.domain}`;
      this.aliases.set(room.alias, room.id);
    }
    this.rooms.set(room.id, room);
    return room;
  }

  /** Posts a message as someone (e.g. a worker speaking on its own). */
  post(roomId: string, sender: string, body: string): StoredEvent {
    const room = this.rooms.get(roomId);
    if (!room) throw new Error(`no room ${roomId}`);
    const ev: StoredEvent = {
      event_id: `$ev${++this.seq}`,
      type: 'm.room.message',
      sender,
      room_id: roomId,
      origin_server_ts: Date.now(),
      content: { msgtype: 'm.text', body },
    };
    room.events.push(ev);
    return ev;
  }

  messagesIn(roomId: string, sender?: string): StoredEvent[] {
    return (this.rooms.get(roomId)?.events ?? []).filter((e) => !sender || e.sender === sender);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.error(res, 500, 'M_UNKNOWN', (e as Error).message));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pendingWork]);
    await new Promise<void>((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }

  private error(res: ServerResponse, status: number, errcode: string, error: string): void {
    this.json(res, status, { errcode, error });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const [rawPath, query = ''] = raw.split('?');
    const method = req.method ?? 'GET';
    const prefix = '/_matrix/client/v3';
    if (!rawPath.startsWith(prefix)) return this.error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const segs = rawPath.slice(prefix.length).split('/').filter(Boolean);
    // Ids must be percent-encoded: a raw ':' or '!' left in a room/alias segment is refused.
    if (segs.slice(1).some((s) => /[:#]/.test(s))) {
      return this.error(res, 400, 'M_UNRECOGNIZED', `path not URL-encoded: ${rawPath}`);
    }
    const parts = segs.map(decodeURIComponent);

    if (method === 'POST' && parts[0] === 'login') {
      const b = await this.body(req);
      const ident = b.identifier as { user?: string } | undefined;
      const user = ident?.user?.startsWith('@') ? ident.user : `@${ident?.user ?? ''}:${this.domain}`;
      if (this.passwords.get(user) !== b.password) {
        return this.error(res, 403, 'M_FORBIDDEN', 'Invalid username or password');
      }
      const token = `syt_${user.slice(1, user.indexOf(':'))}_${++this.seq}`;
      this.tokens.set(token, user);
      return this.json(res, 200, { access_token: token, user_id: user, device_id: `DEV${this.seq}` });
    }

    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : new URLSearchParams(query).get('access_token');
    if (!token) return this.error(res, 401, 'M_MISSING_TOKEN', 'Missing access token');
    const user = this.tokens.get(token);
    if (!user) return this.error(res, 401, 'M_UNKNOWN_TOKEN', 'Unknown access token');
    this.requests.push({ method, rawPath, user });

    if (method === 'GET' && parts[0] === 'directory' && parts[1] === 'room' && parts[2]) {
      const id = this.aliases.get(parts[2]);
      return id
        ? this.json(res, 200, { room_id: id, servers: [this.domain] })
        : this.error(res, 404, 'M_NOT_FOUND', `Room alias ${parts[2]} not found`);
    }
    if (method === 'GET' && parts[0] === 'joined_rooms') {
      return this.json(res, 200, {
        joined_rooms: [...this.rooms.values()].filter((r) => r.members.has(user)).map((r) => r.id),
      });
    }
    if (parts[0] !== 'rooms' || !parts[1]) return this.error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
    const room = this.rooms.get(this.aliases.get(parts[1]) ?? parts[1]);
    if (!room) return this.error(res, 404, 'M_NOT_FOUND', `Unknown room ${parts[1]}`);

    if (method === 'POST' && parts[2] === 'join') {
      room.members.add(user);
      return this.json(res, 200, { room_id: room.id });
    }
    if (!room.members.has(user)) return this.error(res, 403, 'M_FORBIDDEN', `${user} is not in room ${room.id}`);

    if (method === 'PUT' && parts[2] === 'send' && parts[3] === 'm.room.message' && parts[4]) {
      const key = `${user}|${room.id}|${parts[4]}`;
      const known = this.txns.get(key);
      if (known && this.dropSendAnswers) return void req.socket.destroy();
      if (known) return this.json(res, 200, { event_id: known });
      const content = await this.body(req);
      const ev: StoredEvent = {
        event_id: `$ev${++this.seq}`,
        type: 'm.room.message',
        sender: user,
        room_id: room.id,
        origin_server_ts: Date.now(),
        content,
      };
      room.events.push(ev);
      this.txns.set(key, ev.event_id);
      if (this.dropSendAnswers) req.socket.destroy();
      else this.json(res, 200, { event_id: ev.event_id });
      this.deliverToWorker(room, ev);
      return;
    }
    if (method === 'GET' && parts[2] === 'messages') {
      const q = new URLSearchParams(query);
      const dir = q.get('dir') === 'f' ? 'f' : 'b';
      const limit = Math.min(Number(q.get('limit') ?? 10) || 10, 1000);
      const from = q.get('from');
      const pos = from ? Number(from.replace(/^s/, '')) : dir === 'b' ? room.events.length : 0;
      if (!Number.isInteger(pos) || pos < 0) return this.error(res, 400, 'M_INVALID_PARAM', `bad from token ${from}`);
      if (dir === 'f') {
        const chunk = room.events.slice(pos, pos + limit);
        return this.json(res, 200, {
          chunk,
          start: `s${pos}`,
          ...(chunk.length ? { end: `s${pos + chunk.length}` } : {}),
        });
      }
      const startAt = Math.max(0, pos - limit);
      const chunk = room.events.slice(startAt, pos).reverse();
      return this.json(res, 200, { chunk, start: `s${pos}`, ...(startAt > 0 ? { end: `s${startAt}` } : {}) });
    }
    return this.error(res, 404, 'M_UNRECOGNIZED', 'Unrecognized request');
  }

  /** The worker's side: HiClaw's mention and sender rules, then its scripted behaviour. */
  private deliverToWorker(room: Room, ev: StoredEvent): void {
    const w = room.worker;
    if (!w || ev.sender === w.userId) return;
    const mentions = (ev.content['m.mentions'] as { user_ids?: unknown } | undefined)?.user_ids;
    const html = typeof ev.content.formatted_body === 'string' ? ev.content.formatted_body : '';
    const body = typeof ev.content.body === 'string' ? ev.content.body : '';
    if (!w.allowed.has(ev.sender)) {
      return void this.ignored.push({ room: room.id, reason: `sender ${ev.sender} not allowed` });
    }
    if (!Array.isArray(mentions) || !mentions.includes(w.userId)) {
      return void this.ignored.push({ room: room.id, reason: 'no m.mentions.user_ids' });
    }
    if (!html.includes(`<a href="https://matrix.to/#/${w.userId}">`)) {
      return void this.ignored.push({ room: room.id, reason: 'no matrix.to pill in formatted_body' });
    }
    if (ev.content.format !== 'org.matrix.custom.html' || !body.includes(w.userId)) {
      return void this.ignored.push({ room: room.id, reason: 'no visible mention' });
    }
    w.seen++;
    if (w.seen <= (w.behaviour.dropFirst ?? 0)) {
      return void this.ignored.push({ room: room.id, reason: 'worker still starting' });
    }
    const taskId = /New task \[([^\]]+)\]/.exec(body)?.[1];
    if (!taskId || w.handled.has(taskId)) return;
    w.handled.add(taskId);
    const work = this.work(room, w.userId, ev.sender, taskId, w.behaviour);
    this.pendingWork.add(work);
    void work.finally(() => this.pendingWork.delete(work));
  }

  private async work(room: Room, worker: string, boss: string, taskId: string, b: WorkerBehaviour): Promise<void> {
    await new Promise((r) => setImmediate(r));
    const ref = b.omitTaskId ? '' : ` [${taskId}]`;
    this.post(room.id, worker, `${boss} Got it, starting on${ref || ' it'}.`);
    if (b.outcome === 'silent') return;
    await b.onTask?.(taskId);
    if (b.outcome === 'complete') {
      this.post(room.id, worker, `${boss} TASK_COMPLETED: Implemented the change and wrote result.md${ref}`);
    } else this.post(room.id, worker, `${boss} BLOCKED: the repository needs credentials I do not have${ref}`);
  }
}
