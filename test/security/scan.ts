// What the security tests look through: every file under a folder (git objects
// inflated, packs expanded with `git cat-file`), the argv of processes while a
// flow runs, and one report of which secret turned up where.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { inflateSync } from 'node:zlib';

export interface Secret {
  name: string;
  value: string;
}

export interface Observed {
  where: string;
  text: string;
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      return [];
    }
    return st.isDirectory() ? walk(p) : st.isFile() ? [p] : [];
  });
}

/** Every file under `dir` as text; loose git objects inflated; each repository's objects (packs included) listed by git. */
export function filesUnder(dir: string, label = dir): Observed[] {
  const out: Observed[] = [];
  const gitDirs = new Set<string>();
  for (const f of walk(dir)) {
    const rel = `${label}/${relative(dir, f)}`;
    const buf = readFileSync(f);
    const gitAt = f.lastIndexOf(`${sep}.git${sep}`);
    if (gitAt >= 0) gitDirs.add(f.slice(0, gitAt + 5));
    if (/[\\/]\.git[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38}$/.test(f)) {
      try {
        out.push({ where: rel, text: inflateSync(buf).toString('latin1') });
      } catch {
        out.push({ where: rel, text: buf.toString('latin1') });
      }
      continue;
    }
    out.push({ where: rel, text: buf.toString('latin1') });
  }
  for (const g of gitDirs) {
    const r = spawnSync('git', ['--git-dir', g, 'cat-file', '--batch-all-objects', '--batch'], {
      encoding: 'latin1',
      maxBuffer: 64 * 1024 * 1024,
    });
    out.push({ where: `${label}/${relative(dir, g)} (all objects)`, text: `${r.stdout}${r.stderr}` });
    const reflog = spawnSync('git', ['--git-dir', g, 'reflog', '--all', '--format=%H %gs %s'], { encoding: 'latin1' });
    out.push({ where: `${label}/${relative(dir, g)} (reflog)`, text: `${reflog.stdout}` });
  }
  return out;
}

/** Every `secret in place` pair, for one readable failure message. */
export function leaks(observed: Observed[], secrets: Secret[]): string[] {
  const found: string[] = [];
  for (const o of observed) {
    for (const s of secrets) {
      if (s.value && o.text.includes(s.value)) found.push(`${s.name} in ${o.where}`);
    }
  }
  return [...new Set(found)];
}

/** The pid's children, grandchildren... (Linux /proc). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone already
    }
  }
  const out: number[] = [];
  for (const pid of parent.keys()) {
    let p = parent.get(pid);
    for (let depth = 0; p !== undefined && p > 1 && depth < 20; depth++) {
      if (p === root) {
        out.push(pid);
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

export interface ArgvSampler {
  /** `pid: argv joined by spaces` of every process seen, the roots included. */
  readonly seen: Map<number, string>;
  stop(): Observed[];
}

/** Reads /proc/<pid>/cmdline of the roots and every descendant every few milliseconds, as `ps` would show them. */
export function sampleArgv(roots: number[], everyMs = 3): ArgvSampler {
  const seen = new Map<number, string>();
  const read = (pid: number) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
      if (argv) seen.set(pid, argv);
    } catch {
      // exited between listing and reading
    }
  };
  const tick = () => {
    for (const r of roots) {
      read(r);
      for (const d of descendants(r)) read(d);
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    seen,
    stop() {
      clearInterval(timer);
      tick();
      return [...seen.entries()].map(([pid, argv]) => ({
        where: `argv of pid ${pid} (${argv.slice(0, 60)})`,
        text: argv,
      }));
    },
  };
}

function newestSource(dir: string): number {
  return walk(dir)
    .filter((f) => f.endsWith('.ts'))
    .reduce((m, f) => Math.max(m, statSync(f).mtimeMs), 0);
}

/**
 * Builds dist/ when it is missing or older than src/ (the CLI tests run the bundled relay, as
 * people do, and must test the current source). Test files run in parallel: one builds under a
 * lock directory, the others wait for it.
 */
export function ensureBuilt(root: string): void {
  const bundle = join(root, 'dist', 'relay.js');
  const fresh = () => existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(join(root, 'src'));
  if (fresh()) return;
  const lock = join(tmpdir(), 'agrenting-security-build.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than the deadline was left by a crash.
      const st = statSync(lock, { throwIfNoEntry: false });
      const age = st ? Date.now() - st.mtimeMs : 0;
      if (Date.now() > deadline || age > 60_000) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      spawnSync('sleep', ['0.1']);
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'ignore' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Text of every MCP content/contents item, whatever its shape. */
export function textOfResult(r: unknown): string {
  return JSON.stringify(r);
}
