// An append-only JSON-lines file: the inbox's memory across crashes and restarts.
//
// - append() resolves only after the bytes are fsynced, so a caller may tell a
//   client "saved" once it resolves. Appends made while a write is in flight are
//   batched into the next single write + fsync (group commit).
// - replay() tolerates a torn last line (crash mid-write) and garbage lines:
//   they are skipped with a warning, never fatal. A torn tail is cut off so the
//   next append starts on a clean line.
// - compaction rewrites the file as a snapshot supplied by the owner
//   (temp file, fsync, rename, fsync dir): a crash at any point leaves either the
//   old complete file or the new complete one.
//
// Contract with the owner: mutate memory and call append() in the same
// synchronous step. Compaction takes the snapshot and the not-yet-written queue
// in one synchronous step, so queued records are covered by the snapshot and are
// not written again — replay never applies a record twice.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { createLogger, type Logger } from '../../shared/log';
import { safeError } from '../../shared/redact';

export interface JournalOptions {
  /** Compact when the file holds more than `compactFactor` × the live snapshot size… */
  compactFactor?: number;
  /** …and more than this many records (small journals are never worth rewriting). */
  compactMinRecords?: number;
  /** fsync each batch (default true). Only benchmarks turn it off. */
  durable?: boolean;
  logger?: Logger;
}

export interface ReplayResult<T> {
  records: T[];
  /** Lines that were skipped (garbage, or a torn last line). */
  skipped: number;
  /** True when the last line was incomplete and has been cut off. */
  tornTail: boolean;
}

interface Waiter {
  text: string;
  count: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const FILE_MODE = 0o600;

export class Journal<T> {
  private handle: FileHandle | undefined;
  private queue: Waiter[] = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** Bytes known to be complete on disk: where a failed write is cut back to. */
  private size = 0;
  private fileRecords = 0;
  private snapshotFn: (() => T[]) | undefined;
  private liveSizeFn: (() => number) | undefined;
  private closed = false;
  private readonly factor: number;
  private readonly minRecords: number;
  private readonly durable: boolean;
  private readonly log: Logger;
  /** Number of compactions done by this instance (for tests and status). */
  compactions = 0;
  /** Number of write + fsync batches (group commit: fewer than appends under load). */
  batches = 0;

  /** The journal `opts.fileName ?? defaultName` in `stateDir`, with only the journal's own options taken from `opts`. */
  static inDir<T>(stateDir: string, defaultName: string, opts: JournalOptions & { fileName?: string }): Journal<T> {
    const { compactFactor, compactMinRecords, durable, logger } = opts;
    return new Journal<T>(path.join(stateDir, opts.fileName ?? defaultName), {
      compactFactor,
      compactMinRecords,
      durable,
      logger,
    });
  }

  constructor(
    readonly file: string,
    opts: JournalOptions = {},
  ) {
    this.factor = opts.compactFactor ?? 4;
    this.minRecords = opts.compactMinRecords ?? 1000;
    this.durable = opts.durable ?? true;
    this.log = (opts.logger ?? createLogger('inbox')).child(`journal[${path.basename(file)}]`);
  }

  get tempFile(): string {
    return `${this.file}.tmp`;
  }

  /** Records currently in the file (since the last compaction, plus the snapshot). */
  get recordCount(): number {
    return this.fileRecords;
  }

  /**
   * Lets the journal compact itself: `snapshot` returns records that rebuild the
   * owner's current state; `liveSize` is how many records that snapshot would hold.
   */
  setCompaction(snapshot: () => T[], liveSize: () => number): void {
    this.snapshotFn = snapshot;
    this.liveSizeFn = liveSize;
  }

  /**
   * Reads the journal back and opens it for appending. Call once, before append().
   * A leftover temp file from a crashed compaction is removed (the rename never
   * happened, so the main file is the complete one).
   */
  async replay(parse: (value: unknown) => T | undefined = (v) => v as T): Promise<ReplayResult<T>> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await fsp.rm(this.tempFile, { force: true });
    let buf: Buffer;
    try {
      buf = await fsp.readFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw safeError(e, `cannot read the journal ${this.file}`);
      buf = Buffer.alloc(0);
    }
    const records: T[] = [];
    let skipped = 0;
    let start = 0;
    let lineNo = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break; // the torn tail, handled below
      lineNo++;
      if (nl > start) {
        const rec = parseLine(buf.toString('utf8', start, nl), parse);
        if (rec === undefined) {
          skipped++;
          this.log.warn('skipping an unreadable journal line', { line: lineNo });
        } else {
          records.push(rec);
        }
      }
      start = nl + 1;
    }
    const tornTail = start < buf.length;
    if (tornTail) {
      // Never acknowledged: an acknowledged append was fsynced with its newline.
      skipped++;
      this.log.warn('dropping an incomplete last journal line (the process stopped mid-write)', {
        bytes: buf.length - start,
      });
    }
    this.handle = await fsp.open(this.file, 'a+', FILE_MODE);
    await this.handle.chmod(FILE_MODE);
    if (tornTail) {
      await this.handle.truncate(start);
      if (this.durable) await this.handle.sync();
    }
    this.size = start;
    this.fileRecords = records.length;
    return { records, skipped, tornTail };
  }

  /** Appends records; resolves once they are durable on disk. */
  append(records: T | T[]): Promise<void> {
    const list = Array.isArray(records) ? records : [records];
    if (list.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`the journal ${path.basename(this.file)} is closed`));
    let text = '';
    for (const r of list) text += `${JSON.stringify(r)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ text, count: list.length, resolve, reject });
      this.kick();
    });
  }

  /** Compacts now (if a snapshot source is set). Resolves when the new file is in place. */
  async compactNow(): Promise<void> {
    if (!this.snapshotFn) return;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ text: '', count: 0, resolve, reject });
      this.forceCompact = true;
      this.kick();
    });
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle;
    await this.handle?.close();
    this.handle = undefined;
  }

  private forceCompact = false;

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.idle = new Promise<void>((r) => (this.markIdle = r));
    void this.drain();
  }

  private shouldCompact(incoming: number): boolean {
    if (!this.snapshotFn || !this.liveSizeFn) return false;
    if (this.forceCompact) return true;
    const total = this.fileRecords + incoming;
    return total > this.minRecords && total > this.factor * Math.max(1, this.liveSizeFn());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const incoming = this.queue.reduce((n, w) => n + w.count, 0);
      // Snapshot and queue are taken in the same synchronous step (see header).
      const compact = this.shouldCompact(incoming);
      const batch = this.queue.splice(0);
      try {
        if (compact) {
          this.forceCompact = false;
          await this.rewrite(this.snapshotFn?.() ?? []);
        } else {
          await this.write(batch.map((w) => w.text).join(''), incoming);
        }
        for (const w of batch) w.resolve();
      } catch (e) {
        const err = safeError(e, `cannot write the journal ${this.file}`);
        this.log.error('journal write failed', { error: err.message });
        for (const w of batch) w.reject(err);
      }
    }
    // Cleared in the same synchronous step as the empty-queue check, so an append
    // made by a waiter we just resolved starts a new drain instead of being stranded.
    this.running = false;
    this.markIdle();
  }

  private async write(text: string, count: number): Promise<void> {
    const h = this.handle;
    if (!h) throw new Error('the journal was not opened (call replay() first)');
    try {
      const buf = Buffer.from(text, 'utf8');
      await h.write(buf, 0, buf.length, this.size);
      if (this.durable) await h.datasync();
      this.size += buf.length;
      this.fileRecords += count;
      this.batches++;
    } catch (e) {
      // Cut back a partial write so the next batch starts on a clean line.
      await h.truncate(this.size).catch(() => undefined);
      throw e;
    }
  }

  /** Atomic rewrite: temp file, fsync, rename over the journal, fsync the directory. */
  private async rewrite(records: T[]): Promise<void> {
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    const buf = Buffer.from(text, 'utf8');
    const tmp = await fsp.open(this.tempFile, 'w', FILE_MODE);
    try {
      await tmp.write(buf, 0, buf.length, 0);
      if (this.durable) await tmp.sync();
    } finally {
      await tmp.close();
    }
    await fsp.rename(this.tempFile, this.file);
    if (this.durable) await syncDir(path.dirname(this.file));
    await this.handle?.close();
    this.handle = await fsp.open(this.file, 'a+', FILE_MODE);
    this.size = buf.length;
    this.fileRecords = records.length;
    this.compactions++;
    this.log.debug('journal compacted', { records: records.length, bytes: buf.length });
  }
}

function parseLine<T>(line: string, parse: (value: unknown) => T | undefined): T | undefined {
  try {
    return parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot open a directory; the rename is still atomic there.
  let h: FileHandle | undefined;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    // best effort
  } finally {
    await h?.close();
  }
}
