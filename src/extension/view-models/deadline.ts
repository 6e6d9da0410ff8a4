// Deadline countdowns for labels: "due in 3h", "overdue 5m". Rounded down to the
// largest unit so a label changes at most once a minute.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A short span: "45m", "3h", "2d" (minutes below an hour, hours below two days). */
export function shortSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < HOUR) return `${Math.max(1, Math.floor(abs / MINUTE))}m`;
  if (abs < 2 * DAY) return `${Math.floor(abs / HOUR)}h`;
  return `${Math.floor(abs / DAY)}d`;
}

/** Milliseconds until the deadline, or undefined when there is none or it does not parse. */
export function msUntil(deadlineAt: string | null | undefined, now: Date): number | undefined {
  if (!deadlineAt) return undefined;
  const t = Date.parse(deadlineAt);
  return Number.isNaN(t) ? undefined : t - now.getTime();
}

/** "due in 3h", "due now", "overdue 5m"; undefined without a usable deadline. */
export function countdown(deadlineAt: string | null | undefined, now: Date): string | undefined {
  const ms = msUntil(deadlineAt, now);
  if (ms === undefined) return undefined;
  if (ms >= MINUTE) return `due in ${shortSpan(ms)}`;
  if (ms > -MINUTE) return 'due now';
  return `overdue ${shortSpan(ms)}`;
}

/** True when the deadline is still ahead but at most `withinMs` away. */
export function deadlineWithin(deadlineAt: string | null | undefined, now: Date, withinMs: number): boolean {
  const ms = msUntil(deadlineAt, now);
  return ms !== undefined && ms > 0 && ms <= withinMs;
}

/** A readable absolute time for tooltips and the detail view, in UTC so it never depends on the machine. */
export function formatTime(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
