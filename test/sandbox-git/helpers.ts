// A node:http server mounting the git hosting on loopback, and a git runner
// that never prompts and never uses the machine's credential helpers.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitHosting, type GitHosting } from '../../src/sandbox/git';

export interface HostedGit {
  hosting: GitHosting;
  base: string;
  root: string;
  close(): Promise<void>;
}

export async function startHostedGit(): Promise<HostedGit> {
  const root = await mkdtemp(join(tmpdir(), 'hosted-git-'));
  let base = '';
  const hosting = createGitHosting({ root, baseUrl: () => base });
  const server: Server = createServer((req, res) => {
    hosting.handle(req, res).then(
      (handled) => {
        if (!handled) {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    hosting,
    base,
    root,
    async close() {
      await hosting.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

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
