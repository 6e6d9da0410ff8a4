// Push-mode cost: clone + commit + push of a large repository through the
// relay's delivery code (prepareWorkspace/commitAndPush, via simple-git) versus
// the same steps with the plain git CLI, against the same local git server.
// Standalone: `npx tsx bench/push.ts [files]` prints a table.
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { commitAndPush, prepareWorkspace } from '../src/relay/delivery';
import { parseHiring } from '../src/shared/hiring';
import { createLogger } from '../src/shared/log';
import { createGitHosting } from '../src/sandbox/git';
import { machineLine, renderTable, summarize } from './stats';

const run = promisify(execFile);

export interface PushBenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const CHANGED = 20;
const ADDED = 5;

async function makeChanges(dir: string, iteration: number): Promise<void> {
  for (let i = 0; i < CHANGED; i++) {
    await writeFile(join(dir, 'src', `m${i % 50}`, `f${i}.ts`), `export const v${i} = ${iteration};\n`);
  }
  for (let i = 0; i < ADDED; i++) {
    await writeFile(join(dir, `added-${iteration}-${i}.ts`), `export const added = ${i};\n`);
  }
}

function repoFiles(n: number): Record<string, string> {
  const files: Record<string, string> = { 'README.md': '# Bench repository\n' };
  for (let i = 0; i < n - 1; i++) files[`src/m${i % 50}/f${i}.ts`] = `export const v${i} = 0;\n// ${'x'.repeat(200)}\n`;
  return files;
}

export async function benchPush(opts: { files?: number; runs?: number } = {}): Promise<PushBenchResult[]> {
  const fileCount = opts.files ?? 2000;
  const runs = opts.runs ?? 5;
  const root = await mkdtemp(join(tmpdir(), 'bench-push-'));
  let base = '';
  const hosting = createGitHosting({ root: join(root, 'hosted'), baseUrl: () => base });
  const server = createServer((req, res) => {
    void hosting.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const quiet = createLogger('bench', { level: 'error', sink: () => undefined });
  try {
    const { cloneUrl } = await hosting.createRepository('bench', 'big', { files: repoFiles(fileCount) });
    const token = hosting.issueToken('bench', 'big', 'write');
    const header = `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    const env = {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.invalid',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.invalid',
    };
    const git = (args: string[], cwd?: string) => run('git', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });

    const relayMs: number[] = [];
    const cliMs: number[] = [];
    const relayClone: number[] = [];
    const cliClone: number[] = [];
    for (let i = 0; i < runs; i++) {
      // The relay path: access check, clone, branch, commit, push.
      const id = `bench-relay-${i}`;
      const hiring = parseHiring({ id, delivery_mode: 'push', repo_url: cloneUrl, repo_access_token: token });
      let t0 = performance.now();
      const ws = await prepareWorkspace(hiring, { root: join(root, 'relay'), log: quiet });
      relayClone.push(performance.now() - t0);
      await makeChanges(ws.dir, i);
      await commitAndPush(ws, hiring, { message: `Bench ${i}`, log: quiet });
      relayMs.push(performance.now() - t0);

      // The same steps with the git CLI.
      const dir = join(root, 'cli', `bench-cli-${i}`);
      t0 = performance.now();
      await git(['-c', header, 'clone', '-q', cloneUrl, dir]);
      await git(['checkout', '-q', '-b', `cli/${i}`], dir);
      cliClone.push(performance.now() - t0);
      await makeChanges(dir, i);
      await git(['add', '-A'], dir);
      await git(['commit', '-q', '-m', `Bench ${i}`], dir);
      await git(['-c', header, 'push', '-q', 'origin', `cli/${i}`], dir);
      cliMs.push(performance.now() - t0);
    }
    const relay = summarize(relayMs).median;
    const cli = summarize(cliMs).median;
    const note = `${fileCount} files, ${CHANGED} changed + ${ADDED} added, median of ${runs}`;
    const med = (xs: number[]) => summarize(xs).median;
    return [
      { name: 'push mode: clone+commit+push (relay)', value: relay, unit: 'ms', note },
      { name: 'push mode: clone+commit+push (git CLI)', value: cli, unit: 'ms', note },
      {
        name: 'push mode: prepare workspace (relay)',
        value: med(relayClone),
        unit: 'ms',
        note: 'access check, clone, branch',
      },
      { name: 'push mode: clone + branch (git CLI)', value: med(cliClone), unit: 'ms' },
      {
        name: 'push mode: commit + push (relay)',
        value: med(relayMs.map((t, k) => t - relayClone[k])),
        unit: 'ms',
        note: 'includes the file edits',
      },
      {
        name: 'push mode: commit + push (git CLI)',
        value: med(cliMs.map((t, k) => t - cliClone[k])),
        unit: 'ms',
        note: 'includes the file edits',
      },
      {
        name: 'push mode: relay / git CLI',
        value: relay / cli,
        unit: 'ratio',
        note: 'the relay also checks write access (one REST call) before cloning',
      },
    ];
  } finally {
    await hosting.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(root, { recursive: true, force: true });
  }
}

/** True when this file is the program being run (`tsx bench/push.ts`), not when it is imported. */
function runDirectly(): boolean {
  const entry = process.argv[1];
  return (
    entry !== undefined && /[\\/]push\.(ts|js|mjs|cjs)$/.test(entry) && resolve(entry).includes(`${sep}bench${sep}`)
  );
}

if (runDirectly()) {
  const files = Number(process.argv[2]) || undefined;
  benchPush({ files }).then(
    (rows) => {
      console.log(machineLine());
      console.log(
        renderTable(rows.map((r) => ({ group: 'push', name: r.name, unit: r.unit, value: r.value, note: r.note }))),
      );
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
