// The GitHub-style REST calls of push mode, through @octokit/rest: "can this
// token push?" before cloning, and "open (or find) the pull request" after.
// Works against github.com, GitHub Enterprise and the sandbox (`<origin>/api/v3`).
import { Octokit } from '@octokit/rest';
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

/** Owner and repository from a clone URL: its last two path segments, `.git` dropped. */
export function repoSlug(repoUrl: string): RepoSlug {
  const parts = new URL(repoUrl).pathname.split('/').filter(Boolean);
  if (parts.length < 2) throw new Error(`cannot tell the owner and repository from ${scrub(repoUrl)}`);
  return { owner: decodeURIComponent(parts[parts.length - 2]), repo: decodeURIComponent(parts[parts.length - 1]).replace(/\.git$/, '') };
}

function octokit(base: string, token: string, log?: Logger): Octokit {
  const quiet = (msg: string) => log?.debug(scrub(msg, token));
  return new Octokit({ baseUrl: base, auth: token, log: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
}

interface HttpFailure {
  status?: number;
  response?: unknown;
  message: string;
}

function asFailure(err: unknown): HttpFailure {
  const e = err as { status?: unknown; response?: unknown; message?: unknown };
  return { status: typeof e.status === 'number' ? e.status : undefined, response: e.response, message: typeof e.message === 'string' ? e.message : String(err) };
}

export type PushAccess =
  | { kind: 'push' }
  | { kind: 'read-only' }
  | { kind: 'rejected'; status: number }
  | { kind: 'not-found' }
  /** No usable API (not GitHub-compatible, unreachable): git decides. */
  | { kind: 'unknown'; reason: string };

export async function checkPushAccess(repoUrl: string, token: string, opts: { apiBase?: string; log?: Logger; timeoutMs?: number } = {}): Promise<PushAccess> {
  const { owner, repo } = repoSlug(repoUrl);
  const base = apiBaseFor(repoUrl, opts.apiBase);
  const onGitHub = isGitHubDotCom(repoUrl) || Boolean(opts.apiBase);
  try {
    const res = await octokit(base, token, opts.log).rest.repos.get({ owner, repo, request: { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) } });
    const push = res.data.permissions?.push;
    if (push === true) return { kind: 'push' };
    if (push === false) return { kind: 'read-only' };
    return { kind: 'unknown', reason: 'the API did not report permissions' };
  } catch (err) {
    const f = asFailure(err);
    if (f.status === 401 || f.status === 403) return { kind: 'rejected', status: f.status };
    // A host without a GitHub-style API answers 404 or nothing at all: let git decide.
    if (f.status === 404) return onGitHub ? { kind: 'not-found' } : { kind: 'unknown', reason: 'no GitHub-style API (404)' };
    return { kind: 'unknown', reason: scrub(f.message, token) };
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
  const { owner, repo } = repoSlug(repoUrl);
  const client = octokit(apiBaseFor(repoUrl, opts.apiBase), token, opts.log);
  const findOpen = async () => {
    const list = await client.rest.pulls.list({ owner, repo, head: `${owner}:${pr.branch}`, state: 'open' });
    const found = list.data.find((p) => p.head.ref === pr.branch);
    return found ? { number: found.number, url: found.html_url } : undefined;
  };
  const existing = await findOpen();
  if (existing) return { ...existing, reused: true };
  try {
    const created = await client.rest.pulls.create({ owner, repo, head: pr.branch, base: pr.base, title: pr.title, body: pr.body });
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
  const detail = [typeof data?.message === 'string' ? data.message : f.message, ...(data?.errors ?? []).map((e) => (typeof e.message === 'string' ? e.message : ''))]
    .filter(Boolean)
    .join(': ');
  return scrub(f.status ? `${detail} (HTTP ${f.status})` : detail, token);
}
