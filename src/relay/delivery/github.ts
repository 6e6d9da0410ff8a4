// The GitHub-style REST calls of push mode, through @octokit/rest: "can this
// token push?" before cloning, and "open (or find) the pull request" after.
// Works against github.com, GitHub Enterprise and the sandbox (`<origin>/api/v3`);
// on any other git host these find no API and git decides (git-access.ts).
import { Octokit } from '@octokit/rest';
import type { Logger } from '../../shared/log';
import { repoLabel, scrub } from './git-env';

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

/**
 * Owner and repository from a clone URL: its last two path segments, `.git`
 * dropped; undefined when the path has fewer (`https://git.example.com/app.git`),
 * which no GitHub-style API can address.
 */
export function repoSlug(repoUrl: string): RepoSlug | undefined {
  const parts = new URL(repoUrl).pathname.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  try {
    return { owner: decodeURIComponent(parts[parts.length - 2]), repo: decodeURIComponent(parts[parts.length - 1]).replace(/\.git$/, '') };
  } catch {
    return undefined;
  }
}

/**
 * Whether the GitHub API's answer decides: on github.com, and wherever the
 * person configured the API base themselves. Elsewhere `<origin>/api/v3` is a
 * guess, and a host that does not answer it as GitHub leaves the decision to git.
 */
function apiIsAuthoritative(repoUrl: string, apiBase?: string): boolean {
  return isGitHubDotCom(repoUrl) || Boolean(apiBase);
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
  /** Only where the API is authoritative (github.com, a configured API base). */
  | { kind: 'rejected'; status: number }
  | { kind: 'not-found' }
  /** No GitHub-style API answered for this repository: git decides. `reason` says what the API did. */
  | { kind: 'no-api'; reason: string };

/**
 * Asks the GitHub-style API whether the token can push. On a host that is not
 * github.com, a 401/403/404, an answer that is not GitHub's, or no answer at
 * all means "no such API here" (a self-hosted git server behind HTTP auth
 * answers every path with 401), never "the token is wrong": git decides then.
 */
export async function checkPushAccess(
  repoUrl: string,
  token: string,
  opts: { apiBase?: string; log?: Logger; timeoutMs?: number } = {},
): Promise<PushAccess> {
  const base = apiBaseFor(repoUrl, opts.apiBase);
  const slug = repoSlug(repoUrl);
  if (!slug) return { kind: 'no-api', reason: 'the repository URL has no owner/name path a GitHub-style API could address' };
  const authoritative = apiIsAuthoritative(repoUrl, opts.apiBase);
  const where = `${new URL(base).host}'s GitHub-style API`;
  try {
    const res = await octokit(base, token, opts.log).rest.repos.get({
      ...slug,
      request: { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) },
    });
    const push = (res.data as { permissions?: { push?: unknown } } | undefined)?.permissions?.push;
    if (push === true) return { kind: 'push' };
    if (push === false) return { kind: 'read-only' };
    return { kind: 'no-api', reason: `${where} did not report the token's permissions` };
  } catch (err) {
    const f = asFailure(err);
    if (authoritative && (f.status === 401 || f.status === 403)) return { kind: 'rejected', status: f.status };
    if (authoritative && f.status === 404) return { kind: 'not-found' };
    // Octokit reports a connection that failed as status 500 without a response: that is no answer at all.
    if (f.status && f.response) return { kind: 'no-api', reason: `${where} is absent (${base} answered HTTP ${f.status})` };
    return { kind: 'no-api', reason: `${where} did not answer (${scrub(f.message, token)})` };
  }
}

/**
 * Whether a pull request can be opened for this repository: always tried where
 * the API is authoritative; elsewhere only if the host's API answered as GitHub.
 */
export async function pullRequestApi(
  repoUrl: string,
  token: string,
  opts: { apiBase?: string; log?: Logger; timeoutMs?: number } = {},
): Promise<{ available: true } | { available: false; reason: string }> {
  if (!repoSlug(repoUrl)) {
    return { available: false, reason: 'the repository URL has no owner/name path a GitHub-style API could address' };
  }
  if (apiIsAuthoritative(repoUrl, opts.apiBase)) return { available: true };
  const access = await checkPushAccess(repoUrl, token, opts);
  return access.kind === 'no-api' ? { available: false, reason: access.reason } : { available: true };
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
  if (!slug) throw new Error(`${repoLabel(repoUrl)} has no owner/name path a GitHub-style API could address`);
  const { owner, repo } = slug;
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
