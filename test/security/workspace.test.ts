// A push-mode workspace belongs to the worker (an attached agent holding only its
// relay token): it can write hooks and .git/config. What git runs there on the
// relay's behalf must not hand it the agent key, the relay's tokens or the
// repository token. The built relay in its own process, the real sandbox.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthValue } from '../../src/relay/delivery/git-env';

import { CliWorld } from './cli-world';
import { leaks } from './scan';
import { waitFor } from '../support/wait';

describe('what git runs in a worker-controlled workspace gets no secret', () => {
  const w = new CliWorld('security-ws-', 'ap_AUDITWORKSPACEUSER0123456789');

  beforeAll(() => w.start(), 60_000);
  afterAll(() => w.close());

  it("runs no workspace hook with the relay's own secrets in its environment", async () => {
    const hookEnvFile = join(w.work, 'hook-env.txt');
    const id = await w.hire({ task_description: 'Hook in the workspace', delivery_mode: 'push' });
    const dir = await w.prepare(id);
    for (const hook of ['pre-commit', 'post-commit', 'reference-transaction', 'pre-push', 'post-checkout']) {
      writeFileSync(
        join(dir, '.git', 'hooks', hook),
        `#!/bin/sh\n{ echo "== ${hook}"; env; } >> '${hookEnvFile}'\nexit 0\n`,
        { mode: 0o755 },
      );
    }
    writeFileSync(join(dir, 'HOOKED.md'), 'hooked\n');
    await w.submitAndApprove(id, { summary: 'hooked' });
    await waitFor('the hooked push hiring completed', () => w.sandbox.hiring(id)?.status === 'completed', 20_000);
    let env = '';
    try {
      env = readFileSync(hookEnvFile, 'utf8');
    } catch {
      env = '';
    }
    const ran = [...new Set([...env.matchAll(/^== (\S+)/gm)].map((m) => m[1]))].join(', ');
    // No hook running at all is a fine outcome too (hooks off for every command the relay runs).
    // Guards a leak the audit found (fixed): src/relay/delivery/git-env.ts gitEnv() copies the relay's whole process.env (with
    // AGRENTING_API_KEY, and AGRENTING_RELAY_OPERATOR_TOKEN when set) into every git command, and
    // gitExec() — used for the commit step in src/relay/delivery/push.ts — runs without
    // core.hooksPath=/dev/null (only commands with a token get it), so the workspace's
    // post-commit and reference-transaction hooks run with the agent key in their environment.
    expect(
      leaks(
        [{ where: 'environment of a workspace git hook', text: env }],
        [...w.platformSecrets(), ...w.relayTokens()],
      ),
      `hooks that ran: ${ran}`,
    ).toEqual([]);
  });

  it('does not send the repository token to a proxy the workspace config names', async () => {
    const seen: string[] = [];
    const proxy = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
      res.writeHead(502).end();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const repo = await w.sandbox.git.createRepository('acme', 'audit-proxy');
      const token = w.sandbox.git.issueToken('acme', 'audit-proxy', 'write');
      const id = await w.hire({
        task_description: 'Proxy in the workspace config',
        delivery_mode: 'push',
        repo_url: repo.cloneUrl,
        repo_access_token: token,
      });
      const dir = await w.prepare(id);
      spawnSync('git', [
        '-C',
        dir,
        'config',
        'http.proxy',
        `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      ]);
      writeFileSync(join(dir, 'PROXIED.md'), 'proxied\n');
      const sub = await w.submitAndApprove(id, { summary: 'proxied' });
      // Fixed, the push ignores the proxy and completes; as now, the proxy sees it and it fails.
      await waitFor(
        'the push through the proxy, its failure, or its completion',
        () =>
          seen.length > 0 || w.failureOf(String(sub.id)) !== undefined || w.sandbox.hiring(id)?.status === 'completed',
        20_000,
      );
      // Guards a leak the audit found (fixed): src/relay/delivery/git-env.ts gitEnv() scopes the Authorization extraHeader to the
      // repository's origin but leaves the workspace's own http.proxy (likewise http.curloptResolve,
      // http.sslVerify, http.sslCAInfo...) in force, so a worker who sets http.proxy in .git/config
      // receives the repository token on the relay's push (src/relay/delivery/push.ts remote.push).
      expect(
        leaks(
          [{ where: 'requests a workspace-configured proxy received', text: seen.join('\n') }],
          [
            { name: 'repository token', value: token },
            { name: 'repository token (Basic form)', value: basicAuthValue(token).slice('Basic '.length) },
          ],
        ),
      ).toEqual([]);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });
});
