// Which hirings changed since a point in time, so a client can read what changed instead of
// the whole pending list on every notification (hiring://pending?since=<cursor>). Every
// durable store change gets the next sequence number; a cursor is "<epoch>.<seq>", the epoch
// naming this relay process, so a cursor from before a restart (or a made-up one) is answered
// with everything (`reset`). Work per read grows with what changed, not with what is stored.
import { randomBytes } from 'node:crypto';

export interface ChangesSince {
  /** Pass this as the next read's cursor. */
  cursor: string;
  /** True when the cursor was not usable: the caller gets everything, as for a first read. */
  reset: boolean;
  /** Ids changed since the cursor, oldest change first (empty when reset). */
  ids: { id: string; agent: string }[];
}

interface Entry {
  seq: number;
  id: string;
}

export class ChangeFeed {
  private readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  /** Each id's last change (its sequence number and agent). */
  private readonly last = new Map<string, { seq: number; agent: string }>();
  /** Changes in order; entries superseded by a later change of the same id are skipped when read. */
  private log: Entry[] = [];
  /** Cursors older than this may have lost changes of forgotten ids: they are reset. */
  private floor = 0;

  /** Ids the store no longer holds are forgotten when the log is rebuilt. */
  constructor(
    private readonly stillKnown: (id: string) => boolean,
    private readonly maxForgotten = 10_000,
  ) {}

  get cursor(): string {
    return `${this.epoch}.${this.seq}`;
  }

  record(id: string, agent: string): void {
    this.seq += 1;
    this.last.set(id, { seq: this.seq, agent });
    this.log.push({ seq: this.seq, id });
    if (this.log.length > 2 * this.last.size + 1024) this.rebuild();
  }

  since(cursor: string): ChangesSince {
    const from = this.parse(cursor);
    if (from === undefined) return { cursor: this.cursor, reset: true, ids: [] };
    const ids: { id: string; agent: string }[] = [];
    for (let i = this.firstAfter(from); i < this.log.length; i++) {
      const e = this.log[i];
      const last = this.last.get(e.id);
      if (last?.seq === e.seq) ids.push({ id: e.id, agent: last.agent });
    }
    return { cursor: this.cursor, reset: false, ids };
  }

  private parse(cursor: string): number | undefined {
    const m = /^([0-9a-f]+)\.(\d+)$/.exec(cursor);
    if (!m || m[1] !== this.epoch) return undefined;
    const seq = Number(m[2]);
    return seq >= this.floor && seq <= this.seq ? seq : undefined;
  }

  /** Index of the first log entry with a sequence number above `seq` (binary search: the log is in order). */
  private firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid].seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops superseded entries, and ids the store has forgotten once there are many. */
  private rebuild(): void {
    let forgotten = 0;
    for (const id of this.last.keys()) if (!this.stillKnown(id)) forgotten++;
    if (forgotten > this.maxForgotten) {
      for (const [id, v] of this.last) {
        if (!this.stillKnown(id)) {
          this.last.delete(id);
          this.floor = Math.max(this.floor, v.seq);
        }
      }
    }
    this.log = this.log.filter((e) => this.last.get(e.id)?.seq === e.seq);
  }
}
