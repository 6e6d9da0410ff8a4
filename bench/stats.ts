// Summary statistics and table printing shared by every benchmark.
import { cpus, totalmem } from 'node:os';

export interface Summary {
  n: number;
  median: number;
  p99: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, p99: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, median: at(0.5), p99: at(0.99), max: s[s.length - 1] };
}

/** One row of the printed table. `target` is the README's stated goal, when there is one. */
export interface BenchRow {
  group: string;
  name: string;
  unit: string;
  median?: number;
  p99?: number;
  max?: number;
  value?: number;
  target?: string;
  /** true/false when a target applies, undefined otherwise. */
  met?: boolean;
  note?: string;
}

export function row(group: string, name: string, unit: string, s: Summary, extra: Partial<BenchRow> = {}): BenchRow {
  return { group, name, unit, median: s.median, p99: s.p99, max: s.max, note: `n=${s.n}`, ...extra };
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function machineLine(): string {
  const c = cpus();
  return `machine: ${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${process.platform}/${process.arch}`;
}

export function renderTable(rows: BenchRow[]): string {
  const head = ['group', 'benchmark', 'median', 'p99', 'max', 'value', 'unit', 'target', 'met', 'note'];
  const body = rows.map((r) => [
    r.group,
    r.name,
    fmt(r.median),
    fmt(r.p99),
    fmt(r.max),
    fmt(r.value),
    r.unit,
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
