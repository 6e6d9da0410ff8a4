// Push mode on a git host without a GitHub REST API (the sandbox's plain git host: smart HTTP behind HTTP
// auth, /api/v3 answering 401, repositories with and without an owner segment). Access is decided by git
// (ls-remote, then the receive-pack advertisement), the branch is pushed, no pull request is opened and the
// result says why; refusals name the host and that git refused, never the token.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitAndPush, prepareWorkspace, pushResultOutput, WorkspaceError } from '../../src/relay/delivery';
import { startPlainGitHost, type PlainGitHost } from '../../src/sandbox/git/plain-host';
import { memoryLogger } from '../../src/shared/log';
import { gitCli } from '../sandbox-git/helpers';
import { pushHiring } from './helpers';

let host: PlainGitHost;
let root: string;
let storage: string;
const log = memoryLogger('plain-host-test');
const tokens: string[] = [];

const hiring = pushHiring;

function issue(path: string, access: 'read' | 'write'): string {
  const t = host.issueToken(path, access);
  tokens.push(t);
  return t;
}

beforeAll(async () => {
  storage = await mkdtemp(join(tmpdir(), 'plain-host-repos-'));
  root = await mkdtemp(join(tmpdir(), 'plain-host-ws-'));
  host = await startPlainGitHost({ root: storage });
});

afterAll(async () => {
  await host.close();
  await rm(storage, { recursive: true, force: true });
  await rm(root, { recursive: true, force: true });
});

describe('push mode on a plain git host (no GitHub API)', () => {
  it.each(['app', 'team/app', 'group/sub/app'])(
    'clones, pushes and says why no pull request for /%s.git',
    async (path) => {
      const repo = await host.createRepository(path);
      const id = `h-plain-${path.replace(/\//g, '-')}`;
      const h = hiring(id, repo.cloneUrl, issue(path, 'write'));
      const ws = await prepareWorkspace(h, { root, log });
      await writeFile(join(ws.dir, 'NOTES.md'), `work for ${path}\n`);
      const result = await commitAndPush(ws, h, { message: `Notes for ${path}`, openPullRequest: true, log });
      const remoteSha = (await gitCli(['rev-parse', `refs/heads/${ws.branch}`], host.dirOf(path))).stdout.trim();
      expect(remoteSha).toBe(result.commit);
      expect(result.pr_url).toBeUndefined();
      expect(result.pr_not_opened).toMatch(
        new RegExp(
          `^The branch ${ws.branch} was pushed; no pull request was opened: 127\\.0\\.0\\.1:\\d+ has no GitHub-style API`,
        ),
      );
      expect(pushResultOutput(result, 'Notes')).toMatchObject({
        branch: ws.branch,
        pull_request: result.pr_not_opened,
      });
      expect(log.lines.some((l) => l.includes('write access checked with git'))).toBe(true);
      // The token stays in git's environment: not in the workspace's config.
      const config = await readFile(join(ws.dir, '.git', 'config'), 'utf8');
      for (const t of tokens) expect(config).not.toContain(t);
    },
  );

  it('refuses a read-only token before cloning: git at the host grants read access only', async () => {
    const repo = await host.createRepository('readonly');
    const err = await prepareWorkspace(hiring('h-plain-ro', repo.cloneUrl, issue('readonly', 'read')), {
      root,
      log,
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).step).toBe('access');
    expect((err as Error).message).toMatch(
      /^The repository token for hiring h-plain-ro cannot push to 127\.0\.0\.1:\d+\/readonly: git at 127\.0\.0\.1:\d+ grants read access only\.$/,
    );
  });

  it('refuses a wrong token: git at the host rejected it (401), and the token is named nowhere', async () => {
    const repo = await host.createRepository('guarded');
    const wrong = 'pgt_wrongwrongwrongwrongwrong';
    const err = await prepareWorkspace(hiring('h-plain-wrong', repo.cloneUrl, wrong), { root, log }).catch(
      (e: unknown) => e as Error,
    );
    expect((err as Error).message).toMatch(
      /^The repository token for hiring h-plain-wrong was rejected by git at 127\.0\.0\.1:\d+ for 127\.0\.0\.1:\d+\/guarded \(HTTP 401\); it may be wrong or expired\.$/,
    );
    expect((err as Error).message).not.toContain(wrong);
    expect(log.lines.join('\n')).not.toContain(wrong);
  });

  it('answers like a server behind HTTP auth: 401 for /api/v3 and without a token; Basic and Bearer both work', async () => {
    await host.createRepository('probe');
    const t = issue('probe', 'write');
    expect(
      (await fetch(`${host.url}/api/v3/repos/x/probe`, { headers: { authorization: `Bearer ${t}` } })).status,
    ).toBe(404);
    expect((await fetch(`${host.url}/api/v3/repos/x/probe`)).status).toBe(401);
    const advert = `${host.url}/probe.git/info/refs?service=git-receive-pack`;
    expect((await fetch(advert)).status).toBe(401);
    const basic = `Basic ${Buffer.from(`x-access-token:${t}`).toString('base64')}`;
    for (const authorization of [basic, `Bearer ${t}`]) {
      const res = await fetch(advert, { headers: { authorization } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-git-receive-pack-advertisement');
      await res.body?.cancel();
    }
  });
});
