// Push mode end to end on the sandbox marketplace: a push-mode hiring's own
// repository and token, delivered through the delivery modules, then the
// result submitted over REST as the relay's outbox would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  buildOutputSubmission,
  commitAndPush,
  prepareWorkspace,
  pushResultOutput,
  repoSlug,
} from '../../src/relay/delivery';
import { parseHiring } from '../../src/shared/hiring';
import { createLogger } from '../../src/shared/log';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { gitCli } from '../sandbox-git/helpers';

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

it('delivers a push-mode hiring: branch, pull request, and a completed hiring with the summary', async () => {
  const port = (callback.address() as AddressInfo).port;
  const agent = sandbox.registerAgent({ name: 'pusher', metadata: { callback_url: `http://127.0.0.1:${port}/hook` } });
  const platform = await sandbox.hire(agent.id, {
    task_description: 'Add a CONTRIBUTING guide',
    delivery_mode: 'push',
  });
  const hiring = parseHiring(platform);
  const id = String(hiring.id);
  expect(hiring.repo_url).toMatch(/\/git\/sandbox\/hiring-[0-9a-f]{8}\.git$/);

  const ws = await prepareWorkspace(hiring, { root, log: quiet });
  await writeFile(join(ws.dir, 'CONTRIBUTING.md'), '# Contributing\n');
  const result = await commitAndPush(ws, hiring, {
    message: hiring.task_description,
    openPullRequest: true,
    log: quiet,
  });
  const { owner, repo } = repoSlug(hiring.repo_url ?? '') ?? { owner: '', repo: '' };
  expect(await sandbox.git.branchSha(owner, repo, ws.branch)).toBe(result.commit);
  expect(sandbox.git.pullRequests(owner, repo).map((p) => p.html_url)).toEqual([result.pr_url]);

  const output = pushResultOutput(result, 'Added CONTRIBUTING.md');
  expect(await submit(agent.apiKey, id, { output })).toBe(200);
  const seen = sandbox.hiring(id);
  expect(seen?.status).toBe('completed');
  expect(seen?.output).toMatchObject({
    summary: 'Added CONTRIBUTING.md',
    branch: `agrenting/${id}`,
    files_changed: ['CONTRIBUTING.md'],
    pull_request_url: result.pr_url,
  });

  // What the hirer would check out holds exactly the delivered change.
  const fresh = join(root, 'hirer-view');
  const token = hiring.repo_access_token ?? '';
  const header = `http.extraHeader=Authorization: Bearer ${token}`;
  expect((await gitCli(['-c', header, 'clone', '-q', hiring.repo_url ?? '', fresh])).code).toBe(0);
  expect((await gitCli(['diff', '--name-only', 'main', `origin/${ws.branch}`], fresh)).stdout.trim()).toBe(
    'CONTRIBUTING.md',
  );
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
