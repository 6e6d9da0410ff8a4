// Prints what run.sh ran on each VS Code. `--describe` (E2E_VSCODE set): one line naming
// the version and the e2e files it leaves out. Otherwise, for each key given: every step
// of every file with its outcome, the files not run there and why, and the run's time,
// from vitest's JSON report (test-results/e2e/results-<key>.json).
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { currentVsCode, filesNotFor, isVsCodeKey, vsCodeTarget, type VsCodeTarget } from './vscode-version';

const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'test-results', 'e2e');

interface JsonReport {
  testResults?: { name: string; assertionResults?: { title: string; status: string; duration?: number | null }[] }[];
}

function describe(t: VsCodeTarget): string {
  const left = filesNotFor(t).map((f) => f.file);
  return `VS Code ${t.vscode} (code-server ${t.codeServer}, ${t.nodeLabel})${left.length ? `; not run on this version: ${left.join(', ')}` : ''}`;
}

function summarize(t: VsCodeTarget): string[] {
  const lines = [`VS Code ${t.vscode} (code-server ${t.codeServer}), screenshots in ${relative(ROOT, t.resultsDir)}/`];
  const file = join(OUT, `results-${t.key}.json`);
  if (!existsSync(file)) return [...lines, '  no results: the run did not start (see its output above)'];
  const report = JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
  for (const r of report.testResults ?? []) {
    lines.push(`  ${relative(ROOT, r.name)}`);
    for (const a of r.assertionResults ?? []) {
      const secs = a.duration ? ` (${(a.duration / 1000).toFixed(1)} s)` : '';
      lines.push(`    ${a.status === 'passed' ? 'ran  ' : a.status.padEnd(5)} ${a.title}${secs}`);
    }
  }
  for (const f of filesNotFor(t)) lines.push(`  not run: ${f.file}: ${f.why}`);
  const secsFile = join(OUT, `seconds-${t.key}.txt`);
  if (existsSync(secsFile)) lines.push(`  whole run: ${readFileSync(secsFile, 'utf8').trim()} s`);
  return lines;
}

const args = process.argv.slice(2);
if (args[0] === '--describe') {
  console.log(describe(currentVsCode()));
} else {
  console.log('\n== e2e summary');
  for (const key of args) {
    if (!isVsCodeKey(key)) throw new Error(`unknown VS Code key ${key}`);
    console.log(summarize(vsCodeTarget(key)).join('\n'));
  }
}
