// `npm run bench`: runs every benchmark module in sequence and prints one table
// (median, p99, max; the README's target and whether it was met), with the
// machine it ran on. Rows also go to bench/results/latest.json; a complete,
// full-size run also rewrites bench/results/README-figures.md, the copy the
// README quotes. BENCH_QUICK=1 uses small counts (a smoke test of this code);
// `tsx bench/run.ts latency ping` runs only the named modules.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchDelivery } from './delivery';
import { benchExtension } from './extension';
import { benchFootprint } from './footprint';
import { benchLatency } from './latency';
import { benchPing } from './ping';
import { benchPush } from './push';
import { benchRecovery } from './recovery';
import { benchReplay } from './replay';
import { benchRunners } from './runners';
import { benchScaling } from './scaling';
import { machineLine, renderTable, type BenchRow } from './stats';
import { QUICK, ROOT } from './support/util';

const RESULTS = join(ROOT, 'bench', 'results');

async function pushRows(): Promise<BenchRow[]> {
  const rows = await benchPush(QUICK ? { files: 200, runs: 1 } : {});
  return rows.map((r) => ({ group: 'push', name: r.name, unit: r.unit, value: r.value, note: r.note }));
}

const MODULES: [string, () => Promise<BenchRow[]>][] = [
  ['latency', benchLatency],
  ['ping', benchPing],
  ['recovery', benchRecovery],
  ['delivery', benchDelivery],
  ['footprint', benchFootprint],
  ['scaling', benchScaling],
  ['replay', benchReplay],
  ['extension', benchExtension],
  ['push', pushRows],
  ['runners', benchRunners],
];

/** Hand-written text below this line in README-figures.md (why a target was missed) survives a rerun. */
const NOTES_MARK = '<!-- notes: written by hand, kept by bench/run.ts -->';

function keptNotes(file: string): string {
  if (!existsSync(file)) return `${NOTES_MARK}\n`;
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(NOTES_MARK);
  return at >= 0 ? text.slice(at) : `${NOTES_MARK}\n`;
}

function figuresMarkdown(machine: string, table: string, at: string, notes: string): string {
  return [
    '# Benchmark figures',
    '',
    `Last full \`npm run bench\` run, ${at}. The README quotes these; rerun and commit this file to refresh them.`,
    '',
    machine,
    '',
    table,
    '',
    notes,
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !MODULES.some(([m]) => m === n));
  if (unknown.length) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${MODULES.map(([m]) => m).join(', ')}`);
  }
  const chosen = MODULES.filter(([m]) => only.length === 0 || only.includes(m));
  const rows: BenchRow[] = [];
  const started = Date.now();
  const startLoad = loadavg()[0];
  for (const [name, fn] of chosen) {
    const t0 = Date.now();
    process.stderr.write(`bench: ${name}…`);
    try {
      rows.push(...(await fn()));
      process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      // One broken module must not hide the others' figures.
      process.stderr.write(` failed\n${(e as Error).stack ?? String(e)}\n`);
      rows.push({ group: name, name: 'benchmark failed', unit: '', note: (e as Error).message.slice(0, 160) });
    }
  }
  // Other work on the machine skews every figure: say how busy it was.
  const load = `load average at start ${startLoad.toFixed(2)}, at end ${loadavg()[0].toFixed(2)}`;
  const machine = `${machineLine()}, ${load}${QUICK ? ' — QUICK mode (BENCH_QUICK=1): small counts, not the README figures' : ''}`;
  const table = renderTable(rows);
  console.log(machine);
  console.log(table);
  const at = new Date().toISOString();
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    join(RESULTS, 'latest.json'),
    `${JSON.stringify({ at, machine, quick: QUICK, seconds: (Date.now() - started) / 1000, rows }, null, 2)}\n`,
  );
  const figures = join(RESULTS, 'README-figures.md');
  if (!QUICK && only.length === 0) writeFileSync(figures, figuresMarkdown(machine, table, at, keptNotes(figures)));
  process.stderr.write(
    `bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s; rows in bench/results/latest.json\n`,
  );
}

main().then(
  // Child processes and servers are closed by each module; exit in case a library keeps a timer alive.
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
