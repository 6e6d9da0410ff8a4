// A node:http server mounting the git hosting on loopback, and a git runner
// that never prompts and never uses the machine's credential helpers.
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitHosting, type GitHosting } from '../../src/sandbox/git';

export interface HostedGit {
  hosting: GitHosting;
  /** Origin of the GitHub-like host: repositories at /git/<owner>/<repo>.git, REST at /api/v3. */
  base: string;
  /** Origin of the plain git host: /<owner>/<repo>.git or /<repo>.git, no REST API. */
  plainBase: string;
  root: string;
  close(): Promise<void>;
}

function serve(handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): Server {
  return createServer((req, res) => {
    handle(req, res).then(
      (handled) => {
        if (handled === false) {
          res.writeHead(404);
          res.end();
        }
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The sandbox's git hosting on loopback: the GitHub-like host and the plain git host, each on its own port. */
export async function startHostedGit(): Promise<HostedGit> {
  const root = await mkdtemp(join(tmpdir(), 'hosted-git-'));
  let base = '';
  let plainBase = '';
  const hosting = createGitHosting({ root, baseUrl: () => base, plainBaseUrl: () => plainBase });
  const servers = [serve((req, res) => hosting.handle(req, res)), serve((req, res) => hosting.handlePlain(req, res))];
  base = await listen(servers[0]);
  plainBase = await listen(servers[1]);
  return {
    hosting,
    base,
    plainBase,
    root,
    async close() {
      await hosting.close();
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The two kinds of git host push mode meets, for describe.each. */
export const HOST_KINDS = [
  { kind: 'github', label: 'a GitHub-like host (REST API at /api/v3)' },
  { kind: 'plain', label: 'a plain git host (no REST API, /owner/repo.git)' },
  { kind: 'plain-flat', label: 'a plain git host (no REST API, /repo.git)' },
] as const;

/** Env that isolates git from the user's config and any credential helper. */
export const ISOLATED_GIT_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
};

export function gitCli(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...ISOLATED_GIT_ENV, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function authHeader(token: string): string {
  return `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** Runs git with the token as an auth header in the environment (not in argv). */
export function gitCliWithToken(args: string[], token: string, cwd?: string) {
  const value = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  return gitCli(args, cwd, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: value });
}
