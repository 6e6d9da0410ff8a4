// The few GitHub REST endpoints the relay calls through @octokit/rest, served
// at `<base>/api/v3` (the GitHub Enterprise convention): repository with the
// token's permissions, and pull requests (create, get, list by head).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from '../../shared/lenient';
import { BodyTooLargeError, parseJson, readBody, sendJson } from '../http';
import type { RepoStore } from './repos';
import { tokenFromAuthorization, type TokenGrant, type TokenRegistry } from './tokens';

const DOCS = 'https://docs.github.com/rest';
const MAX_BODY = 1024 * 1024;

export interface PullRequest {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  head: { ref: string; sha: string; label: string };
  base: { ref: string; sha: string; label: string };
  html_url: string;
  url: string;
  created_at: string;
}

interface Ctx {
  repos: RepoStore;
  tokens: TokenRegistry;
  baseUrl: () => string;
  pulls: Map<string, PullRequest[]>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBody(req, MAX_BODY);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new HttpError(413, 'Request body too large');
    throw err;
  }
  const parsed = parseJson(text);
  if (parsed.ok && isRecord(parsed.value)) return parsed.value;
  throw new HttpError(400, 'Problems parsing JSON');
}

function repoJson(ctx: Ctx, owner: string, name: string, grant: TokenGrant) {
  const base = ctx.baseUrl();
  return {
    id: idOf(`${owner}/${name}`),
    node_id: Buffer.from(`repo:${owner}/${name}`).toString('base64'),
    name,
    full_name: `${owner}/${name}`,
    owner: { login: owner, type: 'Organization' },
    private: true,
    default_branch: 'main',
    clone_url: `${base}/git/${owner}/${name}.git`,
    html_url: `${base}/git/${owner}/${name}`,
    url: `${base}/api/v3/repos/${owner}/${name}`,
    permissions: { admin: false, maintain: false, push: grant.access === 'write', triage: false, pull: true },
  };
}

/** A stable numeric id, as GitHub gives every repository one. */
function idOf(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 1_000_000_000;
}

function authorize(ctx: Ctx, req: IncomingMessage, owner: string, name: string): TokenGrant {
  const header = req.headers.authorization;
  if (!header) throw new HttpError(401, 'Requires authentication');
  const grant = ctx.tokens.lookup(tokenFromAuthorization(header));
  if (!grant) throw new HttpError(401, 'Bad credentials');
  // Like GitHub for a private repository the token cannot see: not found, not forbidden.
  if (grant.owner !== owner || grant.name !== name) throw new HttpError(404, 'Not Found');
  return grant;
}

function headBranch(head: string, owner: string): string | undefined {
  const i = head.indexOf(':');
  if (i < 0) return head;
  return head.slice(0, i) === owner ? head.slice(i + 1) : undefined;
}

async function createPull(
  ctx: Ctx,
  req: IncomingMessage,
  owner: string,
  name: string,
  grant: TokenGrant,
): Promise<PullRequest> {
  if (grant.access !== 'write') throw new HttpError(403, 'Resource not accessible by integration');
  const body = await readJson(req);
  const title = typeof body.title === 'string' ? body.title.trim() : '';
  const headRaw = typeof body.head === 'string' ? body.head : '';
  const baseRef = typeof body.base === 'string' ? body.base : '';
  const missing = (field: string) =>
    new HttpError(422, 'Validation Failed', [{ resource: 'PullRequest', field, code: 'missing_field' }]);
  if (!title) throw missing('title');
  if (!headRaw) throw missing('head');
  if (!baseRef) throw missing('base');
  const head = headBranch(headRaw, owner);
  const headSha = head ? await ctx.repos.branchSha(owner, name, head) : undefined;
  if (!head || !headSha) {
    throw new HttpError(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
  }
  const baseSha = await ctx.repos.branchSha(owner, name, baseRef);
  if (!baseSha) {
    throw new HttpError(422, 'Validation Failed', [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
  }
  const key = `${owner}/${name}`;
  const list = ctx.pulls.get(key) ?? [];
  if (list.some((p) => p.state === 'open' && p.head.ref === head)) {
    throw new HttpError(422, 'Validation Failed', [
      { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${owner}:${head}.` },
    ]);
  }
  const number = list.length + 1;
  const base = ctx.baseUrl();
  const pr: PullRequest = {
    number,
    title,
    body: typeof body.body === 'string' ? body.body : null,
    state: 'open',
    head: { ref: head, sha: headSha, label: `${owner}:${head}` },
    base: { ref: baseRef, sha: baseSha, label: `${owner}:${baseRef}` },
    html_url: `${base}/git/${owner}/${name}/pull/${number}`,
    url: `${base}/api/v3/repos/${owner}/${name}/pulls/${number}`,
    created_at: new Date().toISOString(),
  };
  list.push(pr);
  ctx.pulls.set(key, list);
  return pr;
}

function listPulls(ctx: Ctx, owner: string, name: string, query: URLSearchParams): PullRequest[] {
  const state = query.get('state') ?? 'open';
  const head = query.get('head');
  const base = query.get('base');
  return (ctx.pulls.get(`${owner}/${name}`) ?? []).filter(
    (p) =>
      (state === 'all' || p.state === state) &&
      (!head || p.head.label === head || (!head.includes(':') && p.head.ref === head)) &&
      (!base || p.base.ref === base),
  );
}

/** Serves one `/api/v3/...` request; `path` is the part after `/api/v3`. */
export async function handleRest(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  try {
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/pulls(?:\/(\d+))?)?\/?$/.exec(path);
    if (!m) throw new HttpError(404, 'Not Found');
    const [, owner, name, pulls, num] = m;
    if (!(await existsSafe(ctx, owner, name))) {
      // Unauthenticated callers learn nothing; authenticated ones get GitHub's 404.
      authorizeAny(ctx, req);
      throw new HttpError(404, 'Not Found');
    }
    const grant = authorize(ctx, req, owner, name);
    const method = req.method ?? 'GET';
    if (!pulls && method === 'GET') return sendJson(res, 200, repoJson(ctx, owner, name, grant));
    if (pulls && !num && method === 'POST') return sendJson(res, 201, await createPull(ctx, req, owner, name, grant));
    if (pulls && !num && method === 'GET') return sendJson(res, 200, listPulls(ctx, owner, name, query));
    if (pulls && num && method === 'GET') {
      const pr = (ctx.pulls.get(`${owner}/${name}`) ?? []).find((p) => p.number === Number(num));
      if (!pr) throw new HttpError(404, 'Not Found');
      return sendJson(res, 200, pr);
    }
    throw new HttpError(404, 'Not Found');
  } catch (err) {
    if (err instanceof HttpError) {
      return sendJson(res, err.status, {
        message: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
        documentation_url: DOCS,
      });
    }
    sendJson(res, 500, { message: 'Internal Server Error', documentation_url: DOCS });
  }
}

async function existsSafe(ctx: Ctx, owner: string, name: string): Promise<boolean> {
  try {
    return await ctx.repos.exists(owner, name);
  } catch {
    return false;
  }
}

function authorizeAny(ctx: Ctx, req: IncomingMessage): void {
  const header = req.headers.authorization;
  if (!header) throw new HttpError(401, 'Requires authentication');
  if (!ctx.tokens.lookup(tokenFromAuthorization(header))) throw new HttpError(401, 'Bad credentials');
}

export type RestContext = Ctx;
