// Bare repositories on disk: `<root>/<owner>/<name>.git`, each born with one
// commit on `main` so clients always have a base branch to work from.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { isSafeRepoName } from './tokens';

const run = promisify(execFile);

/** What a new sandbox repository holds, on either host. */
export const DEFAULT_FILES = { 'README.md': '# Sandbox repository\n\nCreated by the Agrenting sandbox.\n' };

/** A fixed identity so the initial commit never depends on the machine's git config. */
const SANDBOX_IDENTITY = {
  GIT_AUTHOR_NAME: 'Agrenting Sandbox',
  GIT_AUTHOR_EMAIL: 'sandbox@agrenting.invalid',
  GIT_COMMITTER_NAME: 'Agrenting Sandbox',
  GIT_COMMITTER_EMAIL: 'sandbox@agrenting.invalid',
};

export async function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd: opts.cwd,
    env: { ...process.env, ...SANDBOX_IDENTITY, GIT_TERMINAL_PROMPT: '0', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export class RepoStore {
  constructor(readonly root: string) {}

  /** The bare repository's directory; throws on names that could escape the root. */
  pathOf(owner: string, name: string): string {
    if (!isSafeRepoName(owner) || !isSafeRepoName(name)) {
      throw new Error(`invalid repository name "${owner}/${name}": use letters, digits, '.', '_' and '-'`);
    }
    const p = resolve(this.root, owner, `${name}.git`);
    if (!p.startsWith(resolve(this.root) + sep)) throw new Error(`invalid repository name "${owner}/${name}"`);
    return p;
  }

  async exists(owner: string, name: string): Promise<boolean> {
    try {
      return (await stat(join(this.pathOf(owner, name), 'HEAD'))).isFile();
    } catch {
      return false;
    }
  }

  async create(owner: string, name: string, files: Record<string, string>): Promise<string> {
    const dir = this.pathOf(owner, name);
    if (await this.exists(owner, name)) throw new Error(`repository ${owner}/${name} already exists`);
    await createBareRepository(dir, files);
    return dir;
  }

  /** The commit a branch points at, or undefined when the branch does not exist. */
  async branchSha(owner: string, name: string, branch: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..')) return undefined;
    try {
      const out = await git(['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], {
        cwd: this.pathOf(owner, name),
      });
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** A bare repository at `dir` that accepts pushes over HTTP, born with one commit of `files` on main. */
export async function createBareRepository(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git(['init', '--bare', '-q', '-b', 'main', dir]);
  await git(['config', 'http.receivepack', 'true'], { cwd: dir });
  // Build the first commit in a scratch work tree against the bare repository itself.
  const work = await mkdtemp(join(tmpdir(), 'sandbox-git-init-'));
  const index = join(work, '.index');
  try {
    for (const [path, content] of Object.entries(files)) {
      const target = resolve(work, path);
      if (!target.startsWith(work + sep)) throw new Error(`invalid file path "${path}" in the initial commit`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    const env = { GIT_DIR: dir, GIT_WORK_TREE: work, GIT_INDEX_FILE: index };
    await git(['add', '-A', '--', '.', ':!.index'], { cwd: work, env });
    await git(['commit', '-q', '--allow-empty', '-m', 'Initial commit'], { cwd: work, env });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
