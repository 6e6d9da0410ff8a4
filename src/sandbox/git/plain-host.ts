// A plain git host, as self-hosted git is usually set up (Gitea, GitLab, cgit, or `git http-backend` behind
// nginx with HTTP auth): smart HTTP with Basic or Bearer token auth, repositories at any depth
// (`/app.git`, `/team/app.git`, `/group/sub/app.git`), and no GitHub REST API — every other path,
// `/api/v3/...` included, answers 401 like a server whose every location sits behind HTTP auth.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';
import { registerSecret } from '../../shared/redact';
import type { Logger } from '../../shared/log';
import { runHttpBackend } from './http-backend';
import { createBareRepository, DEFAULT_FILES } from './repos';
import { isSafeRepoName, tokenFromAuthorization, type RepoAccess } from './tokens';

export interface PlainGitHost {
  readonly url: string;
  /** `path` is the repository's path without `.git`: `app`, `team/app`, `group/sub/app`. */
  createRepository(path: string, files?: Record<string, string>): Promise<{ path: string; cloneUrl: string }>;
  issueToken(path: string, access: RepoAccess): string;
  /** Where the bare repository of `path` lives (tests read its refs). */
  dirOf(path: string): string;
  close(): Promise<void>;
}

const REPO_PATH = /^\/((?:[^/]+\/)*[^/]+?)\.git(\/.*)?$/;

function challenge(res: ServerResponse, status: 401 | 403 | 404, message: string): void {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (status === 401) headers['www-authenticate'] = 'Basic realm="git"';
  res.writeHead(status, headers).end(`${message}\n`);
}

export async function startPlainGitHost(opts: { root: string; log?: Logger }): Promise<PlainGitHost> {
  const root = resolve(opts.root);
  const grants = new Map<string, { path: string; access: RepoAccess }>();
  const children = new Set<ChildProcess>();

  const dirOf = (path: string): string => {
    const parts = path.split('/');
    if (parts.length === 0 || parts.length > 4 || !parts.every(isSafeRepoName)) {
      throw new Error(`invalid repository path "${path}"`);
    }
    const dir = resolve(root, `${path}.git`);
    if (!dir.startsWith(root + sep)) throw new Error(`invalid repository path "${path}"`);
    return dir;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://plain-git.invalid');
    const grant = grants.get(tokenFromAuthorization(req.headers.authorization) ?? '');
    const m = REPO_PATH.exec(url.pathname);
    // Behind HTTP auth: without a valid token nothing answers but the challenge, whatever the path.
    if (!grant) return challenge(res, 401, 'Authentication required.');
    if (!m || m[1] !== grant.path) return challenge(res, 404, 'Not found.');
    const pushing = url.searchParams.get('service') === 'git-receive-pack' || m[2] === '/git-receive-pack';
    if (pushing && grant.access !== 'write') return challenge(res, 403, 'Write access not granted.');
    await runHttpBackend(
      req,
      res,
      {
        projectRoot: root,
        pathInfo: `/${m[1]}.git${m[2] ?? ''}`,
        query: url.searchParams.toString(),
        remoteUser: 'token',
      },
      (child) => {
        children.add(child);
        child.on('exit', () => children.delete(child));
      },
      opts.log,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.warn('plain git host request failed', { error: (e as Error).message });
      if (!res.headersSent) challenge(res, 404, 'Not found.');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    dirOf,
    async createRepository(path, files = DEFAULT_FILES) {
      await createBareRepository(dirOf(path), files);
      return { path, cloneUrl: `${url}/${path}.git` };
    },
    issueToken(path, access) {
      dirOf(path);
      const token = `pgt_${randomBytes(20).toString('hex')}`;
      registerSecret(token);
      grants.set(token, { path, access });
      return token;
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
