// "Can this token push?" before cloning, and "open (or find) the pull request" after.
// The GitHub-style REST API (@octokit/rest) answers on github.com, GitHub Enterprise
// and the sandbox (`<origin>/api/v3`). Any other git host (Gitea, GitLab, cgit, git
// http-backend behind HTTP auth) has none, and answers /api/v3 with 401, 404 or
// nothing: there git itself decides (ls-remote, then the receive-pack advertisement).
import type { Octokit } from '@octokit/rest';
import type { Logger } from '../../shared/log';
import { scrub } from './git-env';

export interface RepoSlug {
  owner: string;
  repo: string;
}

/** github.com → https://api.github.com, anything else → `<origin>/api/v3` (GitHub Enterprise convention). */
export function apiBaseFor(repoUrl: string, override?: string): string {
  if (override) return override.replace(/\/+$/, '');
  const u = new URL(repoUrl);
  if (u.hostname === 'github.com' || u.hostname === 'www.github.com') return 'https://api.github.com';
  return `${u.protocol}//${u.host}/api/v3`;
}

export function isGitHubDotCom(repoUrl: string): boolean {
  const host = new URL(repoUrl).hostname;
  return host === 'github.com' || host === 'www.github.com';
}

/** The repository as people name it: its host and path without `.git` (`git.example.com/team/app`). */
export function repoName(repoUrl: string): string {
  const u = new URL(repoUrl);
  return `${u.host}${decodeURIComponent(u.pathname)
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')}`;
}

/** Owner and repository for a GitHub-style API: the last two path segments; undefined with fewer. */
export function repoSlug(repoUrl: string): RepoSlug | undefined {
  const parts = new URL(repoUrl).pathname.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  return {
    owner: decodeURIComponent(parts[parts.length - 2]),
    repo: decodeURIComponent(parts[parts.length - 1]).replace(/\.git$/, ''),
  };
}

/** Octokit is loaded on first use: a relay without push-mode hirings never loads it. */
async function octokit(base: string, token: string, log?: Logger): Promise<Octokit> {
  const quiet = (msg: string) => log?.debug(scrub(msg, token));
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({ baseUrl: base, auth: token, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

interface HttpFailure {
  status?: number;
  response?: unknown;
  message: string;
}

function asFailure(err: unknown): HttpFailure {
  const e = err as { status?: unknown; response?: unknown; message?: unknown };
  return {
    status: typeof e.status === 'number' ? e.status : undefined,
    response: e.response,
    message: typeof e.message === 'string' ? e.message : String(err),
  };
}

/** Who answered the access question: the GitHub-style API, or git on a host without one. */
export type AccessVia = { by: 'api' } | { by: 'git'; why: string };

export type PushAccess =
  | { kind: 'push'; via: AccessVia }
  | { kind: 'read-only'; via: AccessVia }
  | { kind: 'rejected'; status: number; via: AccessVia }
  | { kind: 'not-found'; via: AccessVia }
  /** Nothing could tell (no API, and git's answer was not clear): the clone and the push decide. */
  | { kind: 'unknown'; reason: string };

export interface AccessOptions {
  apiBase?: string;
  log?: Logger;
  timeoutMs?: number;
  /** Runs `git ls-remote` for the URL with the token in git's environment; rejects with git's words. */
  lsRemote: (url: string, token: string) => Promise<void>;
  /**
   * Makes git fetch the receive-pack advertisement (`info/refs?service=git-receive-pack`) with the token in
   * its environment, pushing nothing; rejects with git's words when the host refuses it.
   */
  receivePack: (url: string, token: string) => Promise<void>;
}

/** True where a GitHub-style API is known to exist: github.com, or an API base the relay was given. */
function knownGitHub(repoUrl: string, apiBase?: string): boolean {
  return isGitHubDotCom(repoUrl) || Boolean(apiBase);
}

export async function checkPushAccess(repoUrl: string, token: string, opts: AccessOptions): Promise<PushAccess> {
  const slug = repoSlug(repoUrl);
  const github = knownGitHub(repoUrl, opts.apiBase);
  let why = slug ? '' : 'the URL has no owner segment';
  if (slug) {
    try {
      const api = await octokit(apiBaseFor(repoUrl, opts.apiBase), token, opts.log);
      const res = await api.rest.repos.get({
        ...slug,
        request: { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) },
      });
      const push = res.data.permissions?.push;
      if (push === true) return { kind: 'push', via: { by: 'api' } };
      if (push === false) return { kind: 'read-only', via: { by: 'api' } };
      why = 'the API did not report permissions';
    } catch (err) {
      const f = asFailure(err);
      if (github && (f.status === 401 || f.status === 403)) {
        return { kind: 'rejected', status: f.status, via: { by: 'api' } };
      }
      if (github && f.status === 404) return { kind: 'not-found', via: { by: 'api' } };
      why = f.status ? `/api/v3 answered HTTP ${f.status}` : `/api/v3 did not answer (${scrub(f.message, token)})`;
    }
  }
  if (github) return { kind: 'unknown', reason: why };
  return gitAccess(repoUrl, token, opts, why);
}

/** Read access from `git ls-remote`, write access from the receive-pack advertisement. */
async function gitAccess(repoUrl: string, token: string, opts: AccessOptions, why: string): Promise<PushAccess> {
  const via: AccessVia = { by: 'git', why };
  try {
    await opts.lsRemote(repoUrl, token);
  } catch (err) {
    const reason = scrub((err as Error).message, token);
    if (/\b401\b|Authentication failed|could not read Username|terminal prompts disabled/i.test(reason)) {
      return { kind: 'rejected', status: 401, via };
    }
    if (/\b403\b/.test(reason)) return { kind: 'rejected', status: 403, via };
    if (/not found|\b404\b|does not appear to be a git repository/i.test(reason)) return { kind: 'not-found', via };
    return { kind: 'unknown', reason: `git ls-remote failed: ${reason}` };
  }
  try {
    await opts.receivePack(repoUrl, token);
    return { kind: 'push', via };
  } catch (err) {
    const reason = scrub((err as Error).message, token);
    // git read with this token a moment ago: a refusal of receive-pack means it may not write.
    if (/\b40[13]\b|could not read Username|terminal prompts disabled|permission|denied|not granted/i.test(reason)) {
      return { kind: 'read-only', via };
    }
    return { kind: 'unknown', reason: `git could not fetch the receive-pack advertisement: ${reason}` };
  }
}

/** Why no pull request can be opened for this repository, or undefined when a GitHub-style API may open one. */
export async function noPullRequestReason(
  repoUrl: string,
  token: string,
  opts: { apiBase?: string; log?: Logger; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const slug = repoSlug(repoUrl);
  if (knownGitHub(repoUrl, opts.apiBase)) return slug ? undefined : `${repoName(repoUrl)} names no owner`;
  const host = new URL(repoUrl).host;
  if (!slug) return `${host} has no GitHub-style API for a repository without an owner segment`;
  try {
    const api = await octokit(apiBaseFor(repoUrl), token, opts.log);
    await api.rest.repos.get({
      ...slug,
      request: { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) },
    });
    return undefined;
  } catch (err) {
    const f = asFailure(err);
    return `${host} has no GitHub-style API (${f.status ? `/api/v3 answered HTTP ${f.status}` : '/api/v3 did not answer'})`;
  }
}

export interface PullRequestRef {
  number: number;
  url: string;
}

/** Reuses the open pull request for `branch` if there is one, otherwise opens it. */
export async function ensurePullRequest(
  repoUrl: string,
  token: string,
  pr: { branch: string; base: string; title: string; body?: string },
  opts: { apiBase?: string; log?: Logger } = {},
): Promise<PullRequestRef & { reused: boolean }> {
  const slug = repoSlug(repoUrl);
  if (!slug) throw new Error(`${repoName(repoUrl)} names no owner, so no pull request can be opened`);
  const { owner, repo } = slug;
  const client = await octokit(apiBaseFor(repoUrl, opts.apiBase), token, opts.log);
  const findOpen = async () => {
    const list = await client.rest.pulls.list({ owner, repo, head: `${owner}:${pr.branch}`, state: 'open' });
    const found = list.data.find((p) => p.head.ref === pr.branch);
    return found ? { number: found.number, url: found.html_url } : undefined;
  };
  const existing = await findOpen();
  if (existing) return { ...existing, reused: true };
  try {
    const created = await client.rest.pulls.create({
      owner,
      repo,
      head: pr.branch,
      base: pr.base,
      title: pr.title,
      body: pr.body,
    });
    return { number: created.data.number, url: created.data.html_url, reused: false };
  } catch (err) {
    // Someone (an earlier attempt) opened it between our list and create.
    if (asFailure(err).status === 422) {
      const again = await findOpen();
      if (again) return { ...again, reused: true };
    }
    throw err;
  }
}

/** A sentence for an Octokit failure, with the status and GitHub's own message, never the token. */
export function describeApiError(err: unknown, token: string): string {
  const f = asFailure(err);
  const data = (f.response as { data?: { message?: unknown; errors?: { message?: unknown }[] } } | undefined)?.data;
  const detail = [
    typeof data?.message === 'string' ? data.message : f.message,
    ...(data?.errors ?? []).map((e) => (typeof e.message === 'string' ? e.message : '')),
  ]
    .filter(Boolean)
    .join(': ');
  return scrub(f.status ? `${detail} (HTTP ${f.status})` : detail, token);
}
