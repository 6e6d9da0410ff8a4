// Push mode, first half: a working copy of the hiring's repository under
// `<root>/<hiring-id>` on branch `agrenting/<hiring-id>`, found again after a
// relay restart. Write access is checked before anything is cloned: by the
// GitHub-style API where there is one, otherwise by git itself.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Hiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import { registerSecret } from '../../shared/redact';
import type { WorkspaceRef } from '../types';
import { checkGitAccess } from './git-access';
import { gitExec, gitFailureKind, gitIn, gitReason, repoHost, repoLabel, throttledProgress, type RepoAuth } from './git-env';
import { checkPushAccess } from './github';

export type WorkspaceStep = 'input' | 'access' | 'clone' | 'branch';

export class WorkspaceError extends Error {
  constructor(
    message: string,
    readonly hiringId: string,
    readonly step: WorkspaceStep,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

export interface PrepareOptions {
  root: string;
  onProgress?: (msg: string, percent?: number) => void;
  githubApiBase?: string;
  log?: Logger;
  /** Kill a git command after this long without output. */
  gitTimeoutMs?: number;
  /** Budget of the write-access check against the GitHub-style API. Default 15 s. */
  apiTimeoutMs?: number;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function branchFor(hiringId: string): string {
  return `agrenting/${hiringId}`;
}

/** The workspace directory of a hiring; rejects ids that could reach outside `root`. */
export function workspaceDir(hiringId: string, root: string): string {
  if (!SAFE_ID.test(hiringId)) {
    throw new WorkspaceError(`Hiring id "${hiringId.slice(0, 80)}" cannot name a workspace folder (letters, digits, '-' and '_' only).`, hiringId, 'input');
  }
  const base = resolve(root);
  const dir = join(base, hiringId);
  if (!dir.startsWith(base + sep)) throw new WorkspaceError(`Hiring id "${hiringId}" cannot name a workspace folder.`, hiringId, 'input');
  return dir;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The workspace a previous run prepared for this hiring, or undefined. */
export async function findWorkspace(hiringId: string, root: string): Promise<WorkspaceRef | undefined> {
  const dir = workspaceDir(hiringId, root);
  if (!(await isDir(join(dir, '.git')))) return undefined;
  const branch = branchFor(hiringId);
  try {
    const markers = await gitExec(dir, ['config', '--get-regexp', '^agrenting\\.']);
    // git lower-cases config key names: baseBranch reads back as basebranch.
    const value = (key: string) => [...markers.matchAll(/^agrenting\.(\S+) (.*)$/gm)].find((m) => m[1] === key.toLowerCase())?.[2].trim();
    if (value('hiring') !== hiringId) return undefined;
    const baseBranch = value('baseBranch');
    const baseSha = value('baseSha');
    if (!baseBranch || !baseSha) return undefined;
    return { dir, branch, baseBranch, baseSha };
  } catch {
    // Half-made (clone interrupted before the markers were written): not a workspace.
    return undefined;
  }
}

/** The hiring's id, clone URL (credentials stripped, http(s) only) and token; throws WorkspaceError. */
export function hiringRepo(hiring: Hiring): { id: string; url: string; token: string } {
  const id = hiring.id;
  if (!hiring.repo_url) throw new WorkspaceError(`Hiring ${id} has no repository URL: it cannot be delivered by push.`, id, 'input');
  if (!hiring.repo_access_token) throw new WorkspaceError(`Hiring ${id} has no repository token: it cannot be delivered by push.`, id, 'input');
  registerSecret(hiring.repo_access_token);
  let url: URL;
  try {
    url = new URL(hiring.repo_url);
  } catch {
    throw new WorkspaceError(`Hiring ${id} has an invalid repository URL.`, id, 'input');
  }
  // Only HTTP(S): other transports (ext::, file://, ssh) would not take the header and may run commands.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WorkspaceError(`Hiring ${id}: repository URL must be http(s), not ${url.protocol.replace(':', '')}.`, id, 'input');
  }
  // The tutorial's https://<token>@host form: never keep credentials in the URL (they would land in .git/config).
  url.username = '';
  url.password = '';
  return { id, url: url.toString(), token: hiring.repo_access_token };
}

/** One preparation per folder at a time: a second caller (extension and agent at once) shares the first's. */
const preparing = new Map<string, Promise<WorkspaceRef>>();

/** Clones the hiring's repository (or finds the earlier clone) and checks out `agrenting/<id>`. */
export function prepareWorkspace(hiring: Hiring, opts: PrepareOptions): Promise<WorkspaceRef> {
  let dir: string;
  try {
    dir = workspaceDir(hiring.id, opts.root);
  } catch (err) {
    return Promise.reject(err);
  }
  const running = preparing.get(dir);
  if (running) return running;
  const job = prepare(hiring, dir, opts).finally(() => preparing.delete(dir));
  preparing.set(dir, job);
  return job;
}

async function prepare(hiring: Hiring, dir: string, opts: PrepareOptions): Promise<WorkspaceRef> {
  const log = (opts.log ?? createLogger('delivery')).child('workspace');
  const { id, url, token } = hiringRepo(hiring);
  const found = await findWorkspace(id, opts.root);
  if (found) {
    log.info('reusing workspace', { hiring: id, dir });
    opts.onProgress?.('Reusing the existing workspace', 100);
    return found;
  }
  const label = repoLabel(url);
  opts.onProgress?.(`Checking write access to ${label}`, 0);
  await checkAccess(id, { url, token }, opts, log);

  await clearLeftover(dir, id);
  await mkdir(opts.root, { recursive: true });
  const progress = throttledProgress((stage, percent) => opts.onProgress?.(`Cloning ${label}: ${stage}`, percent));
  try {
    log.info('cloning', { hiring: id, repo: label });
    await gitIn(opts.root, { auth: { token, url }, timeoutMs: opts.gitTimeoutMs, onProgress: (e) => progress(e.stage, e.progress) }).clone(url, dir);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new WorkspaceError(cloneFailure(id, url, gitReason(err, token)), id, 'clone');
  }
  try {
    const git = (args: string[]) => gitExec(dir, args, { timeoutMs: opts.gitTimeoutMs });
    const baseBranch = (await git(['symbolic-ref', '--short', 'HEAD'])).trim();
    const baseSha = (await git(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim();
    if (!baseSha) {
      throw new WorkspaceError(`Repository ${label} of hiring ${id} is empty: push mode needs a base branch with at least one commit.`, id, 'branch');
    }
    const branch = branchFor(id);
    // Same commit, so moving HEAD is enough: `checkout -b` would re-hash every freshly
    // written (racily clean) file of a large checkout for nothing.
    await git(['branch', '-f', branch, baseSha]);
    await git(['symbolic-ref', '-m', `agrenting: work on hiring ${id}`, 'HEAD', `refs/heads/${branch}`]);
    // Non-secret markers that let findWorkspace recognise this folder after a restart.
    await git(['config', 'agrenting.baseBranch', baseBranch]);
    await git(['config', 'agrenting.baseSha', baseSha]);
    await git(['config', 'agrenting.hiring', id]);
    opts.onProgress?.(`Workspace ready on branch ${branch}`, 100);
    log.info('workspace ready', { hiring: id, dir, branch, base: baseBranch });
    return { dir, branch, baseBranch, baseSha };
  } catch (err) {
    if (err instanceof WorkspaceError) throw err;
    throw new WorkspaceError(`Could not create branch ${branchFor(id)} for hiring ${id}: ${gitReason(err, token)}`, id, 'branch');
  }
}

/**
 * An interrupted clone leaves a folder with a .git but no markers: remove it and
 * start clean. Anything else at that path is not ours to delete.
 */
async function clearLeftover(dir: string, id: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  if (entries.length > 0 && !entries.includes('.git')) {
    throw new WorkspaceError(`The workspace folder of hiring ${id} (${dir}) already exists and is not a git workspace; move it away and try again.`, id, 'clone');
  }
  await rm(dir, { recursive: true, force: true });
}

function cloneFailure(id: string, url: string, reason: string): string {
  const head = `Cloning ${repoLabel(url)} for hiring ${id} failed`;
  const host = repoHost(url);
  switch (gitFailureKind(reason)) {
    case 'rejected':
      return `${head}: git at ${host} refused the repository token (HTTP 401); it may be wrong or expired.`;
    case 'forbidden':
      return `${head}: git at ${host} refused the repository token access (HTTP 403).`;
    case 'not-found':
      return `${head}: git at ${host} found no such repository, or its token cannot see it.`;
    case 'unreachable':
      return `${head}: git could not reach ${host}. ${reason}`;
    default:
      return `${head}: ${reason}`;
  }
}

/**
 * Refuses a token that cannot push before anything is cloned. The GitHub-style
 * API answers where there is one; on any other host git itself decides.
 */
async function checkAccess(id: string, auth: RepoAuth, opts: PrepareOptions, log: Logger): Promise<void> {
  const label = repoLabel(auth.url);
  const host = repoHost(auth.url);
  const api = await checkPushAccess(auth.url, auth.token, { apiBase: opts.githubApiBase, log, timeoutMs: opts.apiTimeoutMs });
  const refuse = (message: string): never => {
    throw new WorkspaceError(message, id, 'access');
  };
  switch (api.kind) {
    case 'push':
      return;
    case 'read-only':
      return refuse(`The repository token for hiring ${id} cannot push to ${label}: the GitHub API of ${host} reports read-only access.`);
    case 'rejected':
      return refuse(`The GitHub API of ${host} rejected the repository token for hiring ${id} (HTTP ${api.status}); it may be wrong or expired.`);
    case 'not-found':
      return refuse(`The GitHub API of ${host} does not know ${label} (hiring ${id}), or the repository token cannot see it (HTTP 404).`);
    case 'no-api':
      break;
  }
  log.info('no GitHub-style API: git checks access', { hiring: id, host, reason: api.reason });
  const git = await checkGitAccess(auth, { timeoutMs: opts.gitTimeoutMs });
  const status = git.kind !== 'push' && git.status ? ` (HTTP ${git.status})` : '';
  switch (git.kind) {
    case 'push':
      return;
    case 'rejected':
      return refuse(`git at ${host} refused the repository token for hiring ${id}${status}; it may be wrong or expired.`);
    case 'forbidden':
      return git.step === 'write'
        ? refuse(`The repository token for hiring ${id} can read ${label} but git at ${host} refused to let it push${status}.`)
        : refuse(`git at ${host} refused the repository token for hiring ${id} access to ${label}${status}.`);
    case 'not-found':
      return refuse(`git at ${host} found no repository ${label} for hiring ${id}, or its token cannot see it${status}.`);
    case 'unreachable':
      return refuse(`git could not reach ${host} to check access to ${label} for hiring ${id}: ${git.reason}`);
    case 'other':
      return refuse(`git at ${host} could not check access to ${label} for hiring ${id}: ${git.reason}`);
  }
}
