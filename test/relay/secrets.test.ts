// No secret (agent key, repository token) in logs, journals, workspaces'
// .git/config, errors, served hiring views, or relay.json — which holds only
// the relay's own client tokens.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRelayFile } from '../../src/relay/relay-file';
import { hireAndSee, startWorld, tempDir, type World } from './helpers';
import { waitFor } from '../support/wait';

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe('secrets stay secret', () => {
  let w: World;
  const stateDir = tempDir('relay-secrets-');
  const repoTokens: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    w = await startWorld({ review: 'required', stateDir });
  });
  afterAll(async () => {
    await w.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('works a push hiring and a refused repository token', async () => {
    const id = await hireAndSee(w, { task_description: 'Add a LICENSE', delivery_mode: 'push' });
    const token = w.sandbox.hiring(id)?.hiring.repo_access_token;
    expect(token).toBeTruthy();
    repoTokens.push(String(token));
    // Served views never carry it.
    expect(JSON.stringify(w.relay.listAll(w.operator))).not.toContain(String(token));
    const ws = await w.relay.prepareWorkspace(w.worker, id);
    writeFileSync(join(ws.dir, 'LICENSE'), 'MIT\n');
    const sub = await w.relay.submitResult(w.worker, { hiring_id: id, output: 'Added' });
    await w.relay.approve(w.operator, sub.id);
    await waitFor('completion', () => w.sandbox.hiring(id)?.status === 'completed');

    // A read-only token: the relay must explain without quoting it.
    const repo = await w.sandbox.git.createRepository('acme', 'readonly');
    const readToken = w.sandbox.git.issueToken('acme', 'readonly', 'read');
    repoTokens.push(readToken);
    const ro = await hireAndSee(w, {
      task_description: 'Cannot push here',
      delivery_mode: 'push',
      repo_url: repo.cloneUrl,
      repo_access_token: readToken,
    });
    const failure = await w.relay.prepareWorkspace(w.worker, ro).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(failure).toBeTruthy();
    errors.push(String(failure));

    // relay.json: the relay's own tokens only.
    const file = readRelayFile(stateDir);
    expect(Object.keys(file ?? {}).sort()).toEqual([
      'operatorToken',
      'pid',
      'startedAt',
      'url',
      'version',
      'workerTokens',
    ]);
    expect(JSON.stringify(file)).not.toContain(w.apiKey);
    await w.close();
  });

  it('leaves no agent key or repository token on disk, in logs or in errors', () => {
    const secrets = [w.apiKey, ...repoTokens];
    const files = allFiles(stateDir);
    expect(files.some((f) => f.endsWith('hirings.jsonl'))).toBe(true);
    expect(files.some((f) => f.endsWith(join('.git', 'config')))).toBe(true);
    for (const f of files) {
      if (f.includes(`${join('.git', 'objects')}`)) continue;
      const text = readFileSync(f, 'latin1');
      for (const s of secrets) expect(text.includes(s), `${s.slice(0, 4)}… in ${f}`).toBe(false);
    }
    const log = w.log.lines.join('\n');
    expect(log).toContain('relay started');
    for (const s of secrets) {
      expect(log).not.toContain(s);
      for (const e of errors) expect(e).not.toContain(s);
    }
  });
});
