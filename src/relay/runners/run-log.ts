// A run's output: split into lines (each cut at a bound, so one endless line costs no memory),
// redacted, kept in memory as the last 256 KiB, appended to run.log on disk up to a cap, and the
// tail of stdout kept apart as the CLI's final answer. 50 MB of output costs the relay nothing more.
import { createWriteStream, type WriteStream } from 'node:fs';
import { redact } from '../../shared/redact';

export const RUN_LOG_TAIL_BYTES = 256 * 1024;
const MAX_LINE = 8 * 1024;
const FILE_CAP = 8 * 1024 * 1024;
const STDOUT_TAIL = 64 * 1024;

/** Splits a byte stream into lines; a line longer than MAX_LINE is cut and the rest of it dropped. */
export class LineSplitter {
  private buf = '';
  private dropping = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    let text = this.buf + chunk.toString();
    this.buf = '';
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, nl).replace(/\r$/, '');
      text = text.slice(nl + 1);
      if (this.dropping) this.dropping = false;
      else this.onLine(line);
    }
    if (this.dropping) return;
    if (text.length > MAX_LINE) {
      this.onLine(`${text.slice(0, MAX_LINE)} …(line cut)`);
      this.dropping = true;
    } else {
      this.buf = text;
    }
  }

  end(): void {
    if (this.buf && !this.dropping) this.onLine(this.buf);
    this.buf = '';
  }
}

class Tail {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  add(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    while (this.size > this.max && this.parts.length > 1) this.size -= this.parts.shift()!.length;
  }
  text(): string {
    const t = this.parts.join('');
    return t.length > this.max ? t.slice(t.length - this.max) : t;
  }
  clear(): void {
    this.parts = [];
    this.size = 0;
  }
}

export class RunLog {
  private readonly tail = new Tail(RUN_LOG_TAIL_BYTES);
  private readonly stdout = new Tail(STDOUT_TAIL);
  private file?: WriteStream;
  private written = 0;
  private fresh: string[] = [];
  private freshSize = 0;
  /** Lines since the last progress chunk was taken. */
  linesSinceTake = 0;

  constructor(
    path: string | undefined,
    private readonly onGrow: () => void,
  ) {
    if (path) {
      this.file = createWriteStream(path, { flags: 'a', mode: 0o600 });
      this.file.on('error', () => (this.file = undefined));
    }
  }

  /** Seeds the in-memory tail (after a restart, from run.log). */
  seed(text: string): void {
    this.tail.add(text.slice(-RUN_LOG_TAIL_BYTES));
  }

  /** A note from the relay itself (start, exit, why it stopped). */
  note(text: string): void {
    this.add(`[relay] ${redact(text)}\n`, false);
  }

  line(stream: 'stdout' | 'stderr', raw: string): void {
    const line = redact(raw);
    if (stream === 'stdout') this.stdout.add(`${line}\n`);
    this.add(`${line}\n`, true);
  }

  private add(text: string, progress: boolean): void {
    this.tail.add(text);
    if (progress) {
      this.linesSinceTake++;
      this.fresh.push(text);
      this.freshSize += text.length;
      while (this.freshSize > 4096 && this.fresh.length > 1) this.freshSize -= this.fresh.shift()!.length;
    }
    if (this.file) {
      if (this.written + text.length <= FILE_CAP) {
        this.file.write(text);
        this.written += text.length;
      } else if (this.written < FILE_CAP + 1) {
        this.file.write('[relay] run.log reached its size cap; the rest is in memory only (last 256 KiB).\n');
        this.written = FILE_CAP + 1;
      }
    }
    this.onGrow();
  }

  /** The newest lines since the last call (at most ~2 KB), for one progress chunk; undefined when none. */
  takeProgress(): string | undefined {
    if (this.fresh.length === 0) return undefined;
    const skipped = this.linesSinceTake - this.fresh.length;
    const text = this.fresh.join('');
    this.fresh = [];
    this.freshSize = 0;
    this.linesSinceTake = 0;
    const body = text.length > 2000 ? text.slice(text.length - 2000) : text;
    return skipped > 0 ? `…(${skipped} lines)\n${body}` : body;
  }

  text(): string {
    return this.tail.text();
  }

  stdoutTail(): string {
    return this.stdout.text();
  }

  newAttempt(): void {
    this.stdout.clear();
  }

  close(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    return new Promise((resolve) => (f ? f.end(resolve) : resolve()));
  }
}
