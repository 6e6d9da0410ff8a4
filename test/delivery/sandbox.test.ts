// Push mode end to end on the sandbox marketplace: a push-mode hiring's own
// repository and token (on each kind of git host, the gitHost knob), delivered
// through the delivery modules, then the result submitted over REST as the
// relay's outbox would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOutputSubmission, commitAndPush, prepareWorkspace, pushResultOutput } from '../../src/relay/delivery';
import { parseHiring } from '../../src/shared/hiring';
import { createLogger } from '../../src/shared/log';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { gitCli, HOST_KINDS } from '../sandbox-git/helpers';

let sandbox: Sandbox;
let callback: Server;
let root: string;
const quiet = createLogger('test', { level: 'error', sink: () => undefined });

beforeAll(async () => {
  // The availability probe falls back to HEAD <callback_url>: answer it so hirings start.
  callback = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  sandbox = await startSandbox({ log: quiet });
  root = await mkdtemp(join(tmpdir(), 'delivery-sandbox-'));
});

afterAll(async () => {
  await sandbox?.close();
  callback?.closeAllConnections();
  await new Promise<void>((r) => (callback ? callback.close(() => r()) : r()));
  await rm(root, { recursive: true, force: true });
});

async function submit(agentKey: string, hiringId: string, body: unknown): Promise<number> {
  const res = await fetch(`${sandbox.url}/api/v1/hirings/${hiringId}/result`, {
    method: 'POST',
    headers: { 'x-api-key': agentKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.status;
}

describe.each(HOST_KINDS)('a push-mode hiring whose repository is on $label', ({ kind }) => {
  it(kind === 'github' ? 'is delivered: branch, pull request, and a completed hiring with the summary' : 'is delivered: branch, no pull request and why, a completed hiring', async () => {
    sandbox.knobs.gitHost = kind;
    const port = (callback.address() as AddressInfo).port;
    const agent = sandbox.registerAgent({ name: `pusher-${kind}`, metadata: { callback_url: `http://127.0.0.1:${port}/hook` } });
    const platform = await sandbox.hire(agent.id, { task_description: 'Add a CONTRIBUTING guide', delivery_mode: 'push' });
    const hiring = parseHiring(platform);
    const id = String(hiring.id);
    const repoName = `hiring-${id.slice(0, 8)}`;
    const expectedUrl = {
      github: `${sandbox.url}/git/sandbox/${repoName}.git`,
      plain: `${sandbox.plainGitUrl}/sandbox/${repoName}.git`,
      'plain-flat': `${sandbox.plainGitUrl}/${repoName}.git`,
    }[kind];
    expect(hiring.repo_url).toBe(expectedUrl);

    const ws = await prepareWorkspace(hiring, { root, log: quiet });
    await writeFile(join(ws.dir, 'CONTRIBUTING.md'), '# Contributing\n');
    const result = await commitAndPush(ws, hiring, { message: hiring.task_description, openPullRequest: true, log: quiet });
    expect(await sandbox.git.branchSha('sandbox', repoName, ws.branch)).toBe(result.commit);
    const prs = sandbox.git.pullRequests('sandbox', repoName).map((p) => p.html_url);
    if (kind === 'github') expect(prs).toEqual([result.pr_url]);
    else expect(prs).toEqual([]);

    const output = pushResultOutput(result, 'Added CONTRIBUTING.md');
    expect(await submit(agent.apiKey, id, { output })).toBe(200);
    const seen = sandbox.hiring(id);
    expect(seen?.status).toBe('completed');
    expect(seen?.output).toMatchObject({ summary: 'Added CONTRIBUTING.md', branch: `agrenting/${id}`, files_changed: ['CONTRIBUTING.md'] });
    if (kind === 'github') expect(seen?.output).toMatchObject({ pull_request_url: result.pr_url });
    else {
      // What the hirer reads: the branch was pushed, no pull request, and why.
      expect(seen?.output).not.toHaveProperty('pull_request_url');
      expect(seen?.output).toMatchObject({
        delivery_note: expect.stringMatching(new RegExp(`^Branch agrenting/${id} was pushed; no pull request was opened because .*(GitHub-style API is absent|no owner/name path)`)),
      });
    }

    // What the hirer would check out holds exactly the delivered change.
    const fresh = join(root, `hirer-view-${kind}`);
    const token = hiring.repo_access_token ?? '';
    const header = `http.extraHeader=Authorization: Bearer ${token}`;
    expect((await gitCli(['-c', header, 'clone', '-q', hiring.repo_url ?? '', fresh])).code).toBe(0);
    expect((await gitCli(['diff', '--name-only', 'main', `origin/${ws.branch}`], fresh)).stdout.trim()).toBe('CONTRIBUTING.md');
  });
});

it('delivers an output-mode hiring with artifacts that the platform stores', async () => {
  const port = (callback.address() as AddressInfo).port;
  const agent = sandbox.registerAgent({ name: 'writer', metadata: { callback_url: `http://127.0.0.1:${port}/hook` } });
  const platform = await sandbox.hire(agent.id, { task_description: 'Write a helper' });
  const args = buildOutputSubmission({
    hiringId: platform.id,
    summary: 'Helper written',
    text: { content: 'export const helper = () => 42;\n', language: 'typescript' },
    files: [{ name: 'helper.test.ts', content: 'expect(helper()).toBe(42);\n' }],
  });
  expect(await submit(agent.apiKey, platform.id, { output: args.output, artifacts: args.artifacts })).toBe(200);
  const seen = sandbox.hiring(platform.id);
  expect(seen?.status).toBe('completed');
  expect(seen?.output).toMatchObject({ summary: 'Helper written', text: 'export const helper = () => 42;\n' });
  expect(seen?.artifacts.map((a) => a.name)).toEqual(['helper.test.ts']);
});
