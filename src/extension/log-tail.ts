// Follows relay.log (written by the detached relay) and hands new lines, redacted,
// to a sink — the "Agrenting Relay" output channel. Survives truncation and the
// file appearing late.
import { open, stat } from 'node:fs/promises';
import { redact } from '../shared/redact';

export interface LogTailOptions {
  intervalMs?: number;
  /** How much of the existing file to show when tailing starts. */
  backlogBytes?: number;
}

export class LogTail {
  private offset: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private partial = '';
  private reading = false;

  constructor(
    private readonly file: string,
    private readonly sink: (lines: string[]) => void,
    private readonly opts: LogTailOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.opts.intervalMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads whatever was appended since the last poll. */
  async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      let size: number;
      try {
        size = (await stat(this.file)).size;
      } catch {
        this.offset = 0;
        return;
      }
      if (this.offset === undefined) this.offset = Math.max(0, size - (this.opts.backlogBytes ?? 16 * 1024));
      if (size < this.offset) this.offset = 0; // truncated or replaced
      if (size === this.offset) return;
      const fh = await open(this.file, 'r');
      try {
        const buf = Buffer.alloc(size - this.offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        this.offset += bytesRead;
        const text = this.partial + buf.subarray(0, bytesRead).toString('utf8');
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        if (lines.length > 0) this.sink(lines.map((l) => redact(l.replace(/\r$/, ''))));
      } finally {
        await fh.close();
      }
    } finally {
      this.reading = false;
    }
  }
}
