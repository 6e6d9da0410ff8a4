// Where the relay's log lines go: stderr (unless the live status view owns the
// terminal) and <stateDir>/relay.log (mode 0600, synchronous appends so the last
// lines survive a crash). Lines are already redacted by createLogger.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type LogLevel, type Logger } from '../../shared/log';

export interface RelayLogging {
  logger: Logger;
  file: string;
  /** The latest lines (info and up), oldest first, for the status view. */
  recent(): string[];
  /** Stop or resume copying lines to stderr (the status view takes the terminal). */
  setStderr(on: boolean): void;
  close(): void;
}

export function openRelayLog(
  stateDir: string,
  level: LogLevel,
  opts: { stderr?: boolean; keep?: number } = {},
): RelayLogging {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'relay.log');
  let fd: number | undefined = openSync(file, 'a', 0o600);
  let stderr = opts.stderr ?? true;
  const keep = opts.keep ?? 20;
  const recent: string[] = [];
  const logger = createLogger('relay', {
    level,
    sink: (line, lineLevel) => {
      if (fd !== undefined) {
        try {
          writeSync(fd, `${line}\n`);
        } catch {
          // A full disk must not stop the relay; stderr still has the line.
        }
      }
      if (stderr) process.stderr.write(`${line}\n`);
      if (lineLevel !== 'debug') {
        // Drop the timestamp's date part for the compact view.
        recent.push(line.replace(/^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)\.\d+Z /, '$1 '));
        if (recent.length > keep) recent.shift();
      }
    },
  });
  return {
    logger,
    file,
    recent: () => [...recent],
    setStderr(on) {
      stderr = on;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
