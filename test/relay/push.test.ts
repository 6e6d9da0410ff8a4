// Push mode through the relay: workspace, review, commit and push with the
// repository token, result with branch/commit/files_changed; a failed push is
// reported and retried; after a restart the token is re-read from the platform.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { accepted, hireAndSee, quiet, startWorld, tempDir, type World } from './helpers';
import { waitFor } from '../support/wait';

const PUSH_TASK = { task_description: 'Add a CONTRIBUTING.md', delivery_mode: 'push' as const };

describe.each(['task_input', 'top_level', 'both'] as const)('push mode with repo fields in %s', (repoFields) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'required', knobs: { repoFields } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('prepares a workspace, pushes on approval and submits branch, commit and files_changed once', async () => {
    const id = await hireAndSee(w, PUSH_TASK);
    const progress: string[] = [];
    const ws = await w.relay.prepareWorkspace(w.worker, id, (m) => progress.push(m));
    expect(ws.branch).toBe(`agrenting/${id}`);
    expect(w.relay.getHiring(w.worker, id).workspace?.dir).toBe(ws.dir);
    // The token is never in the clone's config.
    expect(readFileSync(join(ws.dir, '.git', 'config'), 'utf8')).not.toMatch(/x-access-token|Authorization/i);
    writeFileSync(join(ws.dir, 'CONTRIBUTING.md'), '# Contributing\n\nRun npm test.\n');

    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'Added CONTRIBUTING.md' });
    expect(sub.push).toMatchObject({ summary: 'Added CONTRIBUTING.md' });
    await w.relay.approve(w.operator, sub.id);
    await waitFor('completion upstream', () => w.sandbox.hiring(id)?.status === 'completed');
    const output = w.sandbox.hiring(id)?.output as Record<string, unknown>;
    expect(output).toMatchObject({
      summary: 'Added CONTRIBUTING.md',
      branch: `agrenting/${id}`,
      files_changed: ['CONTRIBUTING.md'],
    });
    expect(String(output.commit)).toMatch(/^[0-9a-f]{40}$/);
    expect(accepted(w, id)).toBe(1);
    const remote = execFileSync('git', ['-C', ws.dir, 'rev-parse', `refs/remotes/origin/agrenting/${id}`], {
      encoding: 'utf8',
    }).trim();
    expect(remote).toBe(output.commit);
  });
});

describe('push mode on a plain git host (no GitHub API; repository paths with and without an owner)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ review: 'required', knobs: { repoHost: 'plain' } });
  });
  afterAll(async () => {
    await w.close();
  });

  it('checks access with git, pushes on approval, and the result says why no pull request was opened', async () => {
    const shapes = new Set<number>();
    // The sandbox puts about half the repositories at the root of the host: work until both shapes were seen.
    for (let i = 0; i < 8 && shapes.size < 2; i++) {
      const id = await hireAndSee(w, PUSH_TASK);
      const url = String(w.sandbox.hiring(id)?.hiring.repo_url);
      expect(url).not.toContain(w.sandbox.url);
      shapes.add(new URL(url).pathname.split('/').filter(Boolean).length);
      const ws = await w.relay.prepareWorkspace(w.worker, id);
      writeFileSync(join(ws.dir, 'CONTRIBUTING.md'), '# Contributing\n');
      const sub = await w.relay.submitResult(
        w.worker,
        { hiring_id: id, output: 'Added CONTRIBUTING.md' },
        { openPullRequest: true },
      );
      await w.relay.approve(w.operator, sub.id);
      await waitFor('completion upstream', () => w.sandbox.hiring(id)?.status === 'completed');
      const output = w.sandbox.hiring(id)?.output as Record<string, unknown>;
      expect(output).toMatchObject({ branch: `agrenting/${id}`, files_changed: ['CONTRIBUTING.md'] });
      expect(output.pull_request_url).toBeUndefined();
      expect(String(output.pull_request)).toMatch(
        /^The branch agrenting\/\S+ was pushed; no pull request was opened: 127\.0\.0\.1:\d+ has no GitHub-style API/,
      );
      expect(accepted(w, id)).toBe(1);
    }
    expect([...shapes].sort()).toEqual([1, 2]);
  });
});

describe('push failures and restarts', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ log: quiet() });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('marks a submission failed when the push cannot happen, submits nothing, and a retry after the fix delivers', async () => {
    const w = await startWorld({ sandbox, review: 'required' });
    try {
      const id = await hireAndSee(w, PUSH_TASK);
      const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'Done' });
      const failed = await w.relay.approve(w.operator, sub.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/Pushing the changes of hiring .* failed.*no workspace/);
      expect(w.sandbox.hiring(id)?.deliveries).toEqual([]);
      const view = w.relay.getHiring(w.worker, id);
      expect(view.relayMessages.at(-1)).toMatchObject({
        from: 'relay',
        content: expect.stringContaining('nothing was submitted'),
      });
      expect(view.phase).toBe('claimed');

      const ws = await w.relay.prepareWorkspace(w.worker, id);
      writeFileSync(join(ws.dir, 'NOTES.md'), 'notes\n');
      const retried = await w.relay.approve(w.operator, sub.id);
      expect(['delivering', 'delivered']).toContain(retried.state);
      await waitFor('completion upstream', () => w.sandbox.hiring(id)?.status === 'completed');
      expect(accepted(w, id)).toBe(1);
    } finally {
      await w.close();
    }
  });

  it('re-reads the repository token from the platform after a restart', async () => {
    const stateDir = tempDir();
    const first = await startWorld({ sandbox, stateDir, review: 'required' });
    const id = await hireAndSee(first, PUSH_TASK);
    const ws = await first.relay.prepareWorkspace(first.worker, id);
    writeFileSync(join(ws.dir, 'CHANGELOG.md'), '## 0.1.1\n');
    const sub = await first.relay.submitResult(first.worker, { hiring_id: id, output: 'Changelog' });
    await first.relay.stop();

    // Same agent key, same state dir: a new process knows the hiring only from the journal (no token).
    const { startRelay } = await import('../../src/relay/relay');
    const second = await startRelay({
      agents: [{ name: 'alice', baseUrl: sandbox.url, apiKey: first.apiKey, agentId: first.agentId }],
      stateDir,
      port: 0,
      env: {},
      durable: false,
      logger: quiet(),
      outboxBackoff: { baseMs: 20, capMs: 200 },
    });
    try {
      expect(second.reviewQueue({ role: 'operator', name: 'op' }).map((s) => s.id)).toEqual([sub.id]);
      await second.approve({ role: 'operator', name: 'op' }, sub.id);
      await waitFor('completion upstream', () => sandbox.hiring(id)?.status === 'completed');
      expect((sandbox.hiring(id)?.output as { files_changed: string[] }).files_changed).toEqual(['CHANGELOG.md']);
    } finally {
      await second.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
