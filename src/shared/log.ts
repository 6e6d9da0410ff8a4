// One line per event, secrets redacted: `2026-11-24T10:00:00.000Z info  link[a1] connected session=…`.
import { redact, redactValue } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;
export type LogSink = (line: string, level: LogLevel) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  sink?: LogSink;
}

const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

function formatField(key: string, value: unknown): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : redactValue(value);
  const safe = redact(text);
  return /[\s"=]/.test(safe) ? ` ${key}=${JSON.stringify(safe)}` : ` ${key}=${safe}`;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? (process.env.AGRENTING_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? ORDER.info;
  const sink = opts.sink ?? stderrSink;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    let line = `${new Date().toISOString()} ${level.padEnd(5)} ${component} ${redact(msg).replace(/\s*\n\s*/g, ' ')}`;
    if (fields) for (const [k, v] of Object.entries(fields)) line += formatField(k, v);
    sink(line, level);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}.${sub}`, opts),
  };
}

/** A logger that records lines in memory (tests, the extension's buffer). */
export function memoryLogger(component = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(component, { level: 'debug', sink: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}

/** How many ids a log line names before it gives only the count. */
export const LOG_ID_SAMPLE = 5;

/**
 * Log fields for a set of ids that keep the line short: the count, and the first few
 * (`a,b,c,d,e +995 more`). A burst of 1 000 hirings is one short line, not 1 000 ids.
 */
export function idSample(ids: readonly string[], max = LOG_ID_SAMPLE): { count: number; ids: string } {
  const shown = ids.slice(0, max).join(',');
  return { count: ids.length, ids: ids.length > max ? `${shown} +${ids.length - max} more` : shown };
}
