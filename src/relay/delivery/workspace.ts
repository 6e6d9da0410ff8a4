// Push mode, first half: a working copy of the hiring's repository under
// `<root>/<hiring-id>` on branch `agrenting/<hiring-id>`, found again after a
// relay restart. Write access is checked before anything is cloned.
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Hiring } from '../../shared/hiring';
import { createLogger, type Logger } from '../../shared/log';
import { registerSecret } from '../../shared/redact';
import type { WorkspaceRef } from '../types';
import { gitExec, gitIn, gitReason, scrub, throttledProgress } from './git-env';
import { checkPushAccess, repoName, type PushAccess } from './github';

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
    throw new WorkspaceError(
      `Hiring id "${hiringId.slice(0, 80)}" cannot name a workspace folder (letters, digits, '-' and '_' only).`,
      hiringId,
      'input',
    );
  }
  const base = resolve(root);
  const dir = join(base, hiringId);
  if (!dir.startsWith(base + sep)) {
    throw new WorkspaceError(`Hiring id "${hiringId}" cannot name a workspace folder.`, hiringId, 'input');
  }
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
    const value = (key: string) =>
      [...markers.matchAll(/^agrenting\.(\S+) (.*)$/gm)].find((m) => m[1] === key.toLowerCase())?.[2].trim();
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
  if (!hiring.repo_url) {
    throw new WorkspaceError(`Hiring ${id} has no repository URL: it cannot be delivered by push.`, id, 'input');
  }
  if (!hiring.repo_access_token) {
    throw new WorkspaceError(`Hiring ${id} has no repository token: it cannot be delivered by push.`, id, 'input');
  }
  registerSecret(hiring.repo_access_token);
  let url: URL;
  try {
    url = new URL(hiring.repo_url);
  } catch {
    throw new WorkspaceError(`Hiring ${id} has an invalid repository URL.`, id, 'input');
  }
  // Only HTTP(S): other transports (ext::, file://, ssh) would not take the header and may run commands.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WorkspaceError(
      `Hiring ${id}: repository URL must be http(s), not ${url.protocol.replace(':', '')}.`,
      id,
      'input',
    );
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
  const name = repoName(url);
  opts.onProgress?.(`Checking write access to ${name}`, 0);
  await mkdir(opts.root, { recursive: true });
  const probeGit = (dir: string, u: string, t: string) =>
    gitIn(dir, { auth: { token: t, url: u }, timeoutMs: opts.apiTimeoutMs ?? 15_000 });
  const lsRemote = async (u: string, t: string) => {
    await (await probeGit(opts.root, u, t)).listRemote(['--heads', u]);
  };
  // A dry-run push of nothing from an empty repository: git asks the host for receive-pack, which it grants
  // only to a token that may write, then has nothing to send. The token stays in git's environment.
  const receivePack = async (u: string, t: string) => {
    const scratch = await mkdtemp(join(tmpdir(), 'agrenting-access-'));
    try {
      await gitExec(scratch, ['init', '-q', '--bare', '.']);
      const git = await probeGit(scratch, u, t);
      await git.raw(['push', '--dry-run', '--porcelain', u, 'refs/heads/*:refs/heads/*']);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  };
  const access = await checkPushAccess(url, token, {
    apiBase: opts.githubApiBase,
    log,
    timeoutMs: opts.apiTimeoutMs,
    lsRemote,
    receivePack,
  });
  if (access.kind === 'unknown') log.info('write access not checked', { hiring: id, reason: access.reason });
  else if (access.kind !== 'push') throw new WorkspaceError(accessRefusal(id, name, access), id, 'access');
  else if (access.via.by === 'git') {
    log.info('write access checked with git', { hiring: id, repo: name, why: access.via.why });
  }

  await clearLeftover(dir, id);
  const progress = throttledProgress((stage, percent) => opts.onProgress?.(`Cloning ${name}: ${stage}`, percent));
  try {
    log.info('cloning', { hiring: id, repo: name });
    const cloner = await gitIn(opts.root, {
      auth: { token, url },
      timeoutMs: opts.gitTimeoutMs,
      onProgress: (e) => progress(e.stage, e.progress),
    });
    await cloner.clone(url, dir);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new WorkspaceError(cloneFailure(id, name, gitReason(err, token)), id, 'clone');
  }
  try {
    const git = (args: string[]) => gitExec(dir, args, { timeoutMs: opts.gitTimeoutMs });
    const baseBranch = (await git(['symbolic-ref', '--short', 'HEAD'])).trim();
    const baseSha = (await git(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim();
    if (!baseSha) {
      throw new WorkspaceError(
        `Repository ${name} of hiring ${id} is empty: push mode needs a base branch with at least one commit.`,
        id,
        'branch',
      );
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
    throw new WorkspaceError(
      `Could not create branch ${branchFor(id)} for hiring ${id}: ${gitReason(err, token)}`,
      id,
      'branch',
    );
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
    throw new WorkspaceError(
      `The workspace folder of hiring ${id} (${dir}) already exists and is not a git workspace; move it away and try again.`,
      id,
      'clone',
    );
  }
  await rm(dir, { recursive: true, force: true });
}

function cloneFailure(id: string, name: string, reason: string): string {
  if (/could not read Username|Authentication failed|terminal prompts disabled|\b401\b/i.test(reason)) {
    return `Cloning ${name} for hiring ${id} failed: git was refused, the repository token was rejected (401); it may be wrong or expired.`;
  }
  if (/\b403\b/.test(reason)) {
    return `Cloning ${name} for hiring ${id} failed: git was refused, the repository token has no access (403).`;
  }
  if (/not found|\b404\b/i.test(reason)) {
    return `Cloning ${name} for hiring ${id} failed: the repository was not found, or its token cannot see it.`;
  }
  return `Cloning ${name} for hiring ${id} failed: ${scrub(reason)}`;
}

/** What refused, and where: the GitHub API of a host, or git itself on a host without one. */
function accessRefusal(id: string, name: string, access: Exclude<PushAccess, { kind: 'push' | 'unknown' }>): string {
  const host = name.split('/')[0];
  const who = access.via.by === 'api' ? `the GitHub API of ${host}` : `git at ${host}`;
  switch (access.kind) {
    case 'read-only':
      return `The repository token for hiring ${id} cannot push to ${name}: ${who} grants read access only.`;
    case 'rejected':
      return `The repository token for hiring ${id} was rejected by ${who} for ${name} (HTTP ${access.status}); it may be wrong or expired.`;
    case 'not-found':
      return `Repository ${name} of hiring ${id} was not found by ${who}, or its token cannot see it.`;
  }
}
