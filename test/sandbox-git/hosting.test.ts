import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeader, gitCli, startHostedGit, type HostedGit } from './helpers';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let hosted: HostedGit;
let work: string;
let writeToken: string;
let readToken: string;
let otherToken: string;

beforeAll(async () => {
  hosted = await startHostedGit();
  work = await mkdtemp(join(tmpdir(), 'hosted-git-work-'));
  await hosted.hosting.createRepository('acme', 'widgets', {
    files: { 'README.md': '# Widgets\n', 'src/a.ts': 'export const a = 1;\n' },
  });
  await hosted.hosting.createRepository('acme', 'other');
  writeToken = hosted.hosting.issueToken('acme', 'widgets', 'write');
  readToken = hosted.hosting.issueToken('acme', 'widgets', 'read');
  otherToken = hosted.hosting.issueToken('acme', 'other', 'write');
});

afterAll(async () => {
  await hosted?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const url = () => `${hosted.base}/git/acme/widgets.git`;

describe('smart HTTP with token auth', () => {
  it('clones with a write token and pushes a branch', async () => {
    const dir = join(work, 'clone-write');
    const clone = await gitCli(['-c', authHeader(writeToken), 'clone', url(), dir]);
    expect(clone.code, clone.stderr).toBe(0);
    expect(await readFile(join(dir, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect((await gitCli(['rev-parse', '--abbrev-ref', 'HEAD'], dir)).stdout.trim()).toBe('main');

    await gitCli(['checkout', '-b', 'feature/x'], dir);
    await writeFile(join(dir, 'new.txt'), 'hello\n');
    await gitCli(['add', '-A'], dir);
    await gitCli(['commit', '-m', 'add new.txt'], dir);
    const push = await gitCli(['-c', authHeader(writeToken), 'push', 'origin', 'feature/x'], dir);
    expect(push.code, push.stderr).toBe(0);
    const local = (await gitCli(['rev-parse', 'HEAD'], dir)).stdout.trim();
    expect(await hosted.hosting.branchSha('acme', 'widgets', 'feature/x')).toBe(local);
  });

  it('accepts Bearer tokens', async () => {
    const r = await gitCli(['-c', `http.extraHeader=Authorization: Bearer ${readToken}`, 'ls-remote', url()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/refs\/heads\/main/);
  });

  it('rejects a missing or unknown token with 401 and a clean git failure', async () => {
    const none = await gitCli(['ls-remote', url()]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/could not read Username|Authentication failed|terminal prompts disabled/i);
    const wrong = await gitCli(['-c', authHeader('gst_not-a-real-token'), 'ls-remote', url()]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).not.toContain('gst_not-a-real-token');
    const res = await fetch(`${url()}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="sandbox"');
  });

  it('refuses a token scoped to another repository', async () => {
    const r = await gitCli(['-c', authHeader(otherToken), 'ls-remote', url()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not found/i);
  });

  it('lets a read token clone but not push (403)', async () => {
    const dir = join(work, 'clone-read');
    const clone = await gitCli(['-c', authHeader(readToken), 'clone', url(), dir]);
    expect(clone.code, clone.stderr).toBe(0);
    await gitCli(['checkout', '-b', 'feature/read'], dir);
    await writeFile(join(dir, 'x.txt'), 'x\n');
    await gitCli(['add', '-A'], dir);
    await gitCli(['commit', '-m', 'x'], dir);
    const push = await gitCli(['-c', authHeader(readToken), 'push', 'origin', 'feature/read'], dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/403/);
    expect(await hosted.hosting.branchSha('acme', 'widgets', 'feature/read')).toBeUndefined();
  });

  it('answers 404 for unknown repositories and path tricks', async () => {
    const r1 = await fetch(`${hosted.base}/git/acme/nope.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Bearer ${writeToken}` },
    });
    expect(r1.status).toBe(404);
    const r2 = await fetch(`${hosted.base}/git/..%2F..%2Fetc/passwd.git/info/refs`, {
      headers: { authorization: `Bearer ${writeToken}` },
    });
    expect(r2.status).toBe(404);
    const r3 = await fetch(`${hosted.base}/git/acme/%E0%A4%A.git/info/refs`, {
      headers: { authorization: `Bearer ${writeToken}` },
    });
    expect(r3.status).toBe(404);
    await expect(hosted.hosting.createRepository('..', 'x')).rejects.toThrow(/invalid repository name/);
  });
});

describe('GitHub REST subset for Octokit', () => {
  const octo = (token?: string) => new Octokit({ baseUrl: `${hosted.base}/api/v3`, auth: token, log: quiet });

  it('shows push permission according to the token', async () => {
    const w = await octo(writeToken).rest.repos.get({ owner: 'acme', repo: 'widgets' });
    expect(w.data.permissions?.push).toBe(true);
    expect(w.data.default_branch).toBe('main');
    expect(w.data.clone_url).toBe(url());
    expect(w.data.full_name).toBe('acme/widgets');
    const r = await octo(readToken).rest.repos.get({ owner: 'acme', repo: 'widgets' });
    expect(r.data.permissions?.push).toBe(false);
    expect(r.data.permissions?.pull).toBe(true);
  });

  it('answers 401 without a token and with an unknown one, 404 for another repository', async () => {
    await expect(octo().rest.repos.get({ owner: 'acme', repo: 'widgets' })).rejects.toMatchObject({ status: 401 });
    await expect(octo('gst_bogus').rest.repos.get({ owner: 'acme', repo: 'widgets' })).rejects.toMatchObject({
      status: 401,
    });
    await expect(octo(otherToken).rest.repos.get({ owner: 'acme', repo: 'widgets' })).rejects.toMatchObject({
      status: 404,
    });
    const res = await fetch(`${hosted.base}/api/v3/repos/acme/widgets`);
    expect(await res.json()).toMatchObject({
      message: 'Requires authentication',
      documentation_url: expect.any(String),
    });
  });

  it('creates, gets and lists a pull request; refuses duplicates and missing heads', async () => {
    const o = octo(writeToken);
    const created = await o.rest.pulls.create({
      owner: 'acme',
      repo: 'widgets',
      title: 'Add new.txt',
      head: 'feature/x',
      base: 'main',
      body: 'Body',
    });
    expect(created.status).toBe(201);
    expect(created.data.state).toBe('open');
    expect(created.data.head.ref).toBe('feature/x');
    expect(created.data.head.sha).toBe(await hosted.hosting.branchSha('acme', 'widgets', 'feature/x'));
    expect(created.data.html_url).toBe(`${hosted.base}/git/acme/widgets/pull/${created.data.number}`);

    const got = await o.rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: created.data.number });
    expect(got.data.title).toBe('Add new.txt');

    const listed = await o.rest.pulls.list({ owner: 'acme', repo: 'widgets', head: 'acme:feature/x', state: 'open' });
    expect(listed.data.map((p) => p.number)).toEqual([created.data.number]);
    const none = await o.rest.pulls.list({ owner: 'acme', repo: 'widgets', head: 'acme:feature/none', state: 'open' });
    expect(none.data).toEqual([]);

    const dup = await o.rest.pulls
      .create({ owner: 'acme', repo: 'widgets', title: 'again', head: 'acme:feature/x', base: 'main' })
      .catch((e: unknown) => e);
    expect(dup).toMatchObject({ status: 422 });
    expect(JSON.stringify((dup as { response?: { data?: unknown } }).response?.data)).toMatch(/already exists/);

    await expect(
      o.rest.pulls.create({ owner: 'acme', repo: 'widgets', title: 't', head: 'no-such-branch', base: 'main' }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(o.rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 999 })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      octo(readToken).rest.pulls.create({
        owner: 'acme',
        repo: 'widgets',
        title: 't',
        head: 'feature/x',
        base: 'main',
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(hosted.hosting.pullRequests('acme', 'widgets')).toHaveLength(1);

    // html_url opens a page a person can read: the pull request with its diff, and the repository.
    const prPage = await fetch(created.data.html_url);
    expect(prPage.status).toBe(200);
    expect(prPage.headers.get('content-type')).toMatch(/text\/html/);
    const html = await prPage.text();
    expect(html).toContain('Add new.txt');
    expect(html).toContain('<span class="add">+hello</span>');
    const repoPage = await fetch(`${hosted.base}/git/acme/widgets`);
    expect(await repoPage.text()).toContain(`#${created.data.number} Add new.txt`);
    expect((await fetch(`${hosted.base}/git/acme/widgets/pull/999`)).status).toBe(404);
    expect((await fetch(`${hosted.base}/git/acme/nope`)).status).toBe(404);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await fetch(`${hosted.base}/api/v3/repos/acme/widgets/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${writeToken}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
  });

  it('leaves other paths to the host server', async () => {
    const res = await fetch(`${hosted.base}/api/v1/hirings`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });
});

describe('CGI bridge edge cases', () => {
  const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;

  it('passes gzip request bodies through to http-backend', async () => {
    const main = await hosted.hosting.branchSha('acme', 'widgets', 'main');
    const body = gzipSync(Buffer.from(`${pkt(`want ${main}\n`)}0000${pkt('done\n')}`));
    const res = await fetch(`${url()}/git-upload-pack`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${readToken}`,
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const out = Buffer.from(await res.arrayBuffer());
    expect(out.includes(Buffer.from('PACK'))).toBe(true);
  });

  it('answers malformed Authorization headers with 401', async () => {
    for (const authorization of [
      'Basic !!!',
      'Basic',
      'Digest abc',
      `Basic ${Buffer.from('x-access-token:').toString('base64')}`,
    ]) {
      const res = await fetch(`${url()}/info/refs?service=git-upload-pack`, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
  });

  it('survives a client that hangs up in the middle of a push', async () => {
    const { port } = new URL(hosted.base);
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(
      [
        'POST /git/acme/widgets.git/git-receive-pack HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${writeToken}`,
        'Content-Type: application/x-git-receive-pack-request',
        'Content-Length: 100000',
        '',
        '00', // half a pkt-line: git now waits for more
      ].join('\r\n'),
    );
    const poll = async (done: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    // Hang up only once http-backend is running and waiting for the rest of the body.
    await poll(() => hosted.hosting.activeProcesses() > 0);
    expect(hosted.hosting.activeProcesses()).toBe(1);
    sock.destroy();
    // It must stop rather than wait (or spin) on a body that will never come.
    await poll(() => hosted.hosting.activeProcesses() === 0);
    expect(hosted.hosting.activeProcesses()).toBe(0);
    const after = await gitCli(['-c', authHeader(readToken), 'ls-remote', url()]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/refs\/heads\/main/);
  });
});
