// Access decided by git itself, for hosts without a GitHub-style API (Gitea,
// GitLab, cgit, git http-backend behind nginx...): read access from `git
// ls-remote`, write access from the receive-pack advertisement
// (`info/refs?service=git-receive-pack`), which a dry-run push of nothing from an
// empty repository fetches and then stops. The token travels as in every other
// git command: an HTTP header in that command's environment (git-env.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitExec, gitFailureKind, gitReason, type GitFailureKind, type RepoAuth } from './git-env';

export type GitAccess =
  | { kind: 'push' }
  /** What refused, as git saw it; `reason` is git's own line, scrubbed. */
  | { kind: Exclude<GitFailureKind, 'diverged'>; step: 'read' | 'write'; status?: number; reason: string };

function refusal(err: unknown, token: string, step: 'read' | 'write'): GitAccess {
  const reason = gitReason(err, token);
  let kind = gitFailureKind(reason);
  if (kind === 'diverged') kind = 'other';
  // git names the status only for some refusals; a 401 and a 404 it words ("terminal prompts disabled", "not found").
  const status =
    /returned error: (\d{3})/.exec(reason)?.[1] ??
    (kind === 'rejected' ? '401' : kind === 'not-found' ? '404' : undefined);
  return { kind, step, reason, ...(status ? { status: Number(status) } : {}) };
}

/** Can this token read the repository (ls-remote) and push to it (receive-pack advertisement)? */
export async function checkGitAccess(auth: RepoAuth, opts: { timeoutMs?: number } = {}): Promise<GitAccess> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const scratch = await mkdtemp(join(tmpdir(), 'agrenting-access-'));
  try {
    try {
      await gitExec(scratch, ['ls-remote', '--', auth.url, 'HEAD'], { auth, timeoutMs });
    } catch (err) {
      return refusal(err, auth.token, 'read');
    }
    try {
      // An empty bare repository pushes nothing; git still asks the server for receive-pack, which
      // a host answers only for a token that may write. No ref is created or changed.
      await gitExec(scratch, ['init', '-q', '--bare', '.'], { timeoutMs });
      await gitExec(scratch, ['push', '--dry-run', '--porcelain', '--', auth.url, 'refs/heads/*:refs/heads/*'], {
        auth,
        timeoutMs,
      });
    } catch (err) {
      return refusal(err, auth.token, 'write');
    }
    return { kind: 'push' };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
