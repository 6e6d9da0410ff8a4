// Git hosting for the sandbox: bare repositories served over smart HTTP by
// `git http-backend` behind token auth, plus the GitHub REST subset Octokit
// needs. Mounted by the sandbox's HTTP server: `<base>/git/...`, `<base>/api/v3/...`.
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/log';
import { runHttpBackend } from './http-backend';
import { notFoundPage, pullRequestPage, repositoryPage } from './pages';
import { DEFAULT_FILES, RepoStore } from './repos';
import { handleRest, type PullRequest, type RestContext } from './rest';
import { TokenRegistry, tokenFromAuthorization, type RepoAccess } from './tokens';

export type { PullRequest } from './rest';
export type { RepoAccess } from './tokens';

export interface GitHosting {
  /** Handles /git/** and /api/v3/** requests; resolves false if the path is not its own. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  createRepository(
    owner: string,
    name: string,
    opts?: { files?: Record<string, string> },
  ): Promise<{ owner: string; name: string; cloneUrl: string }>;
  issueToken(owner: string, name: string, access: 'read' | 'write'): string;
  close(): Promise<void>;
  /** Pull requests opened on a repository (for the sandbox's inspect view). */
  pullRequests(owner: string, name: string): PullRequest[];
  /** The commit a branch points at, or undefined. */
  branchSha(owner: string, name: string, branch: string): Promise<string | undefined>;
  /** git http-backend processes still running (a client that hung up must leave none). */
  activeProcesses(): number;
}

export interface GitHostingOptions {
  root: string;
  baseUrl: () => string;
  log?: Logger;
}

const GIT_PATH = /^\/git\/([^/]+)\/([^/]+)\.git(\/.*)?$/;
/** The browser pages `html_url` points at: `/git/<owner>/<repo>` and `/git/<owner>/<repo>/pull/<n>`. */
const PAGE_PATH = /^\/git\/([^/]+)\/([^/.][^/]*?)(?:\/pull\/(\d+))?\/?$/;

function deny(res: ServerResponse, status: 401 | 403 | 404, message: string): void {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  // git asks for credentials only after a 401 with a challenge; without a helper it then fails cleanly.
  if (status === 401) headers['www-authenticate'] = 'Basic realm="sandbox"';
  res.writeHead(status, headers);
  res.end(`${message}\n`);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function createGitHosting(opts: GitHostingOptions): GitHosting {
  const repos = new RepoStore(opts.root);
  const tokens = new TokenRegistry();
  const pulls = new Map<string, PullRequest[]>();
  const restCtx: RestContext = { repos, tokens, baseUrl: opts.baseUrl, pulls };
  const children = new Set<ChildProcess>();
  const log = opts.log;
  let closed = false;

  const track = (child: ChildProcess) => {
    children.add(child);
    child.on('exit', () => children.delete(child));
  };

  async function handleGit(
    req: IncomingMessage,
    res: ServerResponse,
    owner: string,
    name: string,
    suffix: string,
    query: URLSearchParams,
  ): Promise<void> {
    const grant = tokens.lookup(tokenFromAuthorization(req.headers.authorization));
    if (!grant) {
      log?.info('git request without a valid token', {
        repo: `${owner}/${name}`,
        hadAuth: Boolean(req.headers.authorization),
      });
      return deny(
        res,
        401,
        'Authentication required: use a repository token (Basic x-access-token:<token> or Bearer).',
      );
    }
    // exists() never rejects; a disk look-up only once the token is known to fit the repository.
    if (grant.owner !== owner || grant.name !== name || !(await repos.exists(owner, name))) {
      return deny(res, 404, 'Repository not found.');
    }
    const pushing = query.get('service') === 'git-receive-pack' || suffix === '/git-receive-pack';
    if (pushing && grant.access !== 'write') {
      log?.info('push refused for a read-only token', { repo: `${owner}/${name}` });
      return deny(res, 403, `Write access to ${owner}/${name} not granted: the token is read-only.`);
    }
    await runHttpBackend(
      req,
      res,
      {
        projectRoot: opts.root,
        pathInfo: `/${owner}/${name}.git${suffix}`,
        query: query.toString(),
        remoteUser: `token-${grant.access}`,
      },
      track,
      log,
    );
  }

  async function servePage(
    res: ServerResponse,
    owner: string | undefined,
    name: string | undefined,
    pull: string | undefined,
  ): Promise<void> {
    try {
      if (owner === undefined || name === undefined || !(await repos.exists(owner, name))) return notFoundPage(res);
      const list = pulls.get(`${owner}/${name}`) ?? [];
      if (pull === undefined) return await repositoryPage(res, repos, owner, name, list);
      const pr = list.find((p) => p.number === Number(pull));
      if (!pr) return notFoundPage(res);
      await pullRequestPage(res, repos, owner, name, pr);
    } catch (err) {
      log?.warn('repository page failed', { error: (err as Error).message });
      if (!res.headersSent) notFoundPage(res);
    }
  }

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      const path = url.pathname;
      if (closed) return false;
      const git = GIT_PATH.exec(path);
      if (git) {
        const owner = safeDecode(git[1]);
        const name = safeDecode(git[2]);
        if (owner === undefined || name === undefined) deny(res, 404, 'Repository not found.');
        else await handleGit(req, res, owner, name, git[3] ?? '', url.searchParams);
        return true;
      }
      const view = PAGE_PATH.exec(path);
      if (view && (req.method === 'GET' || req.method === 'HEAD')) {
        await servePage(res, safeDecode(view[1]), safeDecode(view[2]), view[3]);
        return true;
      }
      if (path.startsWith('/git/')) {
        deny(res, 404, 'Repository not found.');
        return true;
      }
      if (path === '/api/v3' || path.startsWith('/api/v3/')) {
        await handleRest(restCtx, req, res, path.slice('/api/v3'.length), url.searchParams);
        return true;
      }
      return false;
    },

    async createRepository(owner, name, createOpts) {
      const files = createOpts?.files && Object.keys(createOpts.files).length > 0 ? createOpts.files : DEFAULT_FILES;
      await repos.create(owner, name, files);
      log?.info('repository created', { repo: `${owner}/${name}`, files: Object.keys(files).length });
      return { owner, name, cloneUrl: `${opts.baseUrl()}/git/${owner}/${name}.git` };
    },

    issueToken(owner, name, access: RepoAccess) {
      repos.pathOf(owner, name); // validates the names
      return tokens.issue(owner, name, access);
    },

    pullRequests(owner, name) {
      return [...(pulls.get(`${owner}/${name}`) ?? [])];
    },

    branchSha(owner, name, branch) {
      return repos.branchSha(owner, name, branch);
    },

    activeProcesses() {
      return children.size;
    },

    async close() {
      closed = true;
      // Wait for 'exit', not 'close': a grandchild (upload-pack, receive-pack) may hold the pipes.
      const waiting = [...children].map(
        (c) =>
          new Promise<void>((resolveExited) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolveExited();
            const force = setTimeout(() => c.kill('SIGKILL'), 2000);
            c.once('exit', () => {
              clearTimeout(force);
              resolveExited();
            });
            c.stdin?.destroy();
            c.kill();
          }),
      );
      await Promise.all(waiting);
    },
  };
}
