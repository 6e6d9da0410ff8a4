// Push mode, second half: commit everything in the workspace, push the branch
// with the token in the command's environment only, and optionally open a pull
// request. Each step is a no-op when an earlier attempt already did it (nothing
// left to commit; remote up to date; open PR reused), so a retry resumes.
import type { Hiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import type { WorkspaceRef } from '../types';
import {
  DEFAULT_AUTHOR,
  gitExec,
  gitIn,
  gitReason,
  sanitizeWorkspaceConfig,
  throttledProgress,
  type GitIdentity,
} from './git-env';
import { describeApiError, ensurePullRequest, noPullRequestReason } from './github';
import { hiringRepo } from './workspace';

export type PushStep = 'commit' | 'push' | 'pull_request';

export class PushError extends Error {
  constructor(
    message: string,
    readonly hiringId: string,
    readonly step: PushStep,
  ) {
    super(message);
    this.name = 'PushError';
  }
}

export interface PushResult {
  branch: string;
  commit: string;
  files_changed: string[];
  pr_url?: string;
  pr_number?: number;
  /** Why no pull request was opened though one was asked for (a host without a GitHub-style API). */
  pr_not_opened?: string;
}

export interface CommitAndPushOptions {
  message: string;
  author?: GitIdentity;
  openPullRequest?: boolean;
  prTitle?: string;
  prBody?: string;
  githubApiBase?: string;
  onProgress?: (msg: string, percent?: number) => void;
  log?: Logger;
  gitTimeoutMs?: number;
}

export async function commitAndPush(ws: WorkspaceRef, hiring: Hiring, opts: CommitAndPushOptions): Promise<PushResult> {
  const id = hiring.id;
  const log = (opts.log ?? createLogger('delivery')).child('push');
  let url: string;
  let token: string;
  try {
    ({ url, token } = hiringRepo(hiring));
  } catch (err) {
    throw new PushError(`Nothing can be pushed: ${(err as Error).message}`, id, 'push');
  }
  const author = opts.author ?? DEFAULT_AUTHOR;
  const identity = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  const local = (args: string[]) => gitExec(ws.dir, args, { env: identity, timeoutMs: opts.gitTimeoutMs });

  // 1. commit — skipped when a previous attempt already committed everything.
  let commit: string;
  try {
    const current = (await local(['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '')).trim();
    if (current !== ws.branch) await local(['checkout', '-q', ws.branch]);
    await local(['add', '-A']);
    const staged = (await local(['diff', '--cached', '--name-only'])).trim();
    if (staged) {
      opts.onProgress?.('Committing changes', 10);
      await local(['commit', '-q', '--no-verify', '-m', opts.message.trim() || `Agrenting hiring ${id}`]);
    }
    commit = (await local(['rev-parse', 'HEAD'])).trim();
  } catch (err) {
    throw new PushError(`Committing the changes of hiring ${id} failed: ${gitReason(err, token)}`, id, 'commit');
  }
  if (commit === ws.baseSha) {
    throw new PushError(
      `Nothing to push for hiring ${id}: the workspace has no changes against ${ws.baseBranch}.`,
      id,
      'commit',
    );
  }
  let files: string[];
  try {
    files = (await local(['diff', '--name-only', '--no-renames', '-z', ws.baseSha, commit]))
      .split('\0')
      .filter(Boolean);
  } catch (err) {
    throw new PushError(`Listing the changes of hiring ${id} failed: ${gitReason(err, token)}`, id, 'commit');
  }

  // 2. push — a no-op when the remote branch already holds this commit.
  const progress = throttledProgress((stage, percent) =>
    opts.onProgress?.(`Pushing ${ws.branch}: ${stage}`, 20 + Math.round(percent * 0.6)),
  );
  // The workspace config is the agent's to edit: nothing in it may redirect the token.
  const removed = await sanitizeWorkspaceConfig(ws.dir);
  if (removed.length > 0) {
    log.warn('removed network settings from the workspace config before pushing', {
      hiring: id,
      keys: removed.join(','),
    });
  }
  const remote = await gitIn(ws.dir, {
    auth: { token, url },
    timeoutMs: opts.gitTimeoutMs,
    onProgress: (e) => progress(e.stage, e.progress),
  });
  try {
    opts.onProgress?.(`Pushing ${ws.branch}`, 20);
    // To the hiring's own URL, not `origin`: the workspace config is the agent's to edit.
    // Pushing is idempotent: a remote already at this commit answers "up to date".
    const pushed = await remote.push(url, `${commit}:refs/heads/${ws.branch}`);
    const already = pushed.pushed.length > 0 && pushed.pushed.every((p) => p.alreadyUpdated);
    log.info(already ? 'branch already pushed' : 'pushed', {
      hiring: id,
      branch: ws.branch,
      commit,
      files: files.length,
    });
  } catch (err) {
    throw new PushError(pushFailure(id, ws.branch, gitReason(err, token)), id, 'push');
  }
  // Keep the workspace's view of the remote in step, as a push to origin would have.
  await local(['update-ref', `refs/remotes/origin/${ws.branch}`, commit]).catch(() => undefined);
  const result: PushResult = { branch: ws.branch, commit, files_changed: files };

  // 3. pull request — an open one for the same branch is reused.
  const noPr = opts.openPullRequest
    ? await noPullRequestReason(url, token, { apiBase: opts.githubApiBase, log })
    : undefined;
  if (noPr) {
    result.pr_not_opened = `The branch ${ws.branch} was pushed; no pull request was opened: ${noPr}.`;
    log.info('no pull request: the host has no GitHub-style API', { hiring: id, why: noPr });
  } else if (opts.openPullRequest) {
    opts.onProgress?.('Opening the pull request', 85);
    try {
      const firstLine = opts.message.split(/\r?\n/)[0].trim();
      const pr = await ensurePullRequest(
        url,
        token,
        {
          branch: ws.branch,
          base: ws.baseBranch,
          title: opts.prTitle ?? (firstLine || `Agrenting hiring ${id}`),
          body: opts.prBody,
        },
        { apiBase: opts.githubApiBase, log },
      );
      result.pr_url = pr.url;
      result.pr_number = pr.number;
      log.info(pr.reused ? 'pull request reused' : 'pull request opened', { hiring: id, number: pr.number });
    } catch (err) {
      throw new PushError(
        `The branch ${ws.branch} of hiring ${id} was pushed, but opening the pull request failed: ${describeApiError(err, token)}.`,
        id,
        'pull_request',
      );
    }
  }
  opts.onProgress?.('Delivered', 100);
  return result;
}

function pushFailure(id: string, branch: string, reason: string): string {
  const head = `Pushing ${branch} for hiring ${id} failed`;
  if (/could not read Username|Authentication failed|terminal prompts disabled|\b401\b/i.test(reason)) {
    return `${head}: the repository token was rejected (401); it may be wrong or expired.`;
  }
  if (/\b403\b|permission|denied|not granted/i.test(reason)) {
    return `${head}: the repository token cannot push (403). ${reason}`;
  }
  if (/non-fast-forward|fetch first|rejected/i.test(reason)) {
    return `${head}: the remote branch has commits this workspace does not have (someone else pushed to it). Pull them into the workspace, then deliver again.`;
  }
  if (/Could not resolve host|Failed to connect|Connection refused|timed out|unable to access/i.test(reason)) {
    return `${head}: the repository could not be reached. ${reason}`;
  }
  return `${head}: ${reason}`;
}

/** The `output` of submit_hiring_result for a push-mode delivery. */
export function pushResultOutput(result: PushResult, summary: string): Record<string, unknown> {
  return {
    summary,
    branch: result.branch,
    commit: result.commit,
    files_changed: result.files_changed,
    ...(result.pr_url ? { pull_request_url: result.pr_url } : {}),
    ...(result.pr_number !== undefined ? { pull_request_number: result.pr_number } : {}),
    ...(result.pr_not_opened ? { pull_request: result.pr_not_opened } : {}),
  };
}
