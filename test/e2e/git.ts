// Reads the sandbox's git hosting the way a client of the marketplace would:
// `git ls-remote` and a shallow clone with the repository token sent as an HTTP
// header (never in the URL, never in a config file).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function gitArgs(token: string, args: string[]): string[] {
  return ['-c', `http.extraHeader=Authorization: Bearer ${token}`, ...args];
}

const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };

/** ref name → sha of every branch on the remote. */
export async function remoteBranches(url: string, token: string): Promise<Map<string, string>> {
  const { stdout } = await run('git', gitArgs(token, ['ls-remote', '--heads', url]), { env, timeout: 30_000 });
  const refs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (sha && ref) refs.set(ref, sha);
  }
  return refs;
}

/** The text of one file on a branch of the remote. */
export async function gitFileAt(url: string, path: string, opts: { token: string; branch: string }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agrenting-e2e-clone-'));
  try {
    await run('git', gitArgs(opts.token, ['clone', '--quiet', '--depth', '1', '--branch', opts.branch, url, dir]), {
      env,
      timeout: 60_000,
    });
    return await readFile(join(dir, path), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
