// The built relay (`node dist/relay.js`) in its own process against the real
// sandbox, worked over MCP by a worker and the operator: output and push
// hirings, a review rejection, a refused repository token, a push the remote
// refuses, a delivery the platform rejects, and a restart. Then everything a
// person or another process can observe is searched for the secrets: files in
// the state dir and workspaces (.git internals, objects, reflog), the relay's
// log and console, every MCP resource and tool answer, the argv of the relay
// and of every git it or the sandbox ran, and the sandbox's inspection pages.
// The relay runs in its own process so that its redaction works only with
// what the relay itself registered (the sandbox in this process registers its
// own keys, which would hide a leak in an in-process logger).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { readRelayFile, type RelayFile } from '../../src/relay/relay-file';
import { basicAuthValue } from '../../src/relay/delivery/git-env';
import { memoryLogger } from '../../src/shared/log';
import { PENDING_URI } from '../../src/shared/protocol';
import { key, streamableClient, type TestClient } from '../downstream/helpers';
import { waitFor } from '../relay/helpers';
import { ensureBuilt, filesUnder, leaks, sampleArgv, type ArgvSampler, type Observed, type Secret } from './scan';

const ROOT = join(__dirname, '..', '..');
const USER_TOKEN = 'ap_AUDITUSERTOKEN0123456789abcdef';
const WRONG_TOKEN = 'repo-token-AUDIT-WRONG-0123456789';

interface RelayRun {
  child: ChildProcess;
  pid: number;
  info: RelayFile;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

async function startRelay(upstream: string, stateDir: string, apiKey: string): Promise<RelayRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, AGRENTING_API_KEY: apiKey };
  for (const k of ['AGRENTING_RELAY_TOKEN', 'AGRENTING_RELAY_OPERATOR_TOKEN', 'AGRENTING_STATE_DIR']) delete env[k];
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'relay.js'), '--upstream', upstream, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--review', 'required', '--log-level', 'debug'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r((code = c))));
  const pid = child.pid ?? 0;
  const info = await waitFor(
    'relay.json of the relay process',
    () => {
      if (code !== undefined) throw new Error(`the relay exited early: ${err.slice(-1500)}`);
      const f = readRelayFile(stateDir);
      return f && f.pid === pid ? f : undefined;
    },
    20_000,
  );
  return { child, pid, info, out: () => out, err: () => err, exited };
}

/** The text of a tool answer (`content`) or of a resource read (`contents`). */
function text(r: unknown): string {
  const o = r as { content?: { text?: string }[]; contents?: { text?: string }[] };
  return [...(o.content ?? []), ...(o.contents ?? [])].map((c) => c.text ?? '').join('');
}

describe('the built relay process with the real sandbox: no secret leaves its place', () => {
  let sandbox: Sandbox;
  let agentId: string;
  let apiKey: string;
  let relay: RelayRun;
  let worker: TestClient;
  let operator: TestClient;
  let sampler: ArgvSampler;
  const sandboxLog = memoryLogger('sandbox');
  const work = mkdtempSync(join(tmpdir(), 'security-cli-'));
  const stateDir = join(work, 'state');
  const gitRoot = join(work, 'git');
  const repoTokens: Secret[] = [];
  /** Repository token handed over inside repo_url (https://x-access-token:<token>@host/...). */
  const urlTokens: Secret[] = [];
  const answers: Observed[] = [];
  const consoles: Observed[] = [];
  const hiringIds: string[] = [];
  const hookEnvFile = join(work, 'hook-env.txt');
  let hookRan = false;

  async function call(c: TestClient, who: string, name: string, args: Record<string, unknown>) {
    const r = await c.client.callTool({ name, arguments: args });
    answers.push({ where: `${who} tool ${name}`, text: JSON.stringify(r) });
    return r;
  }
  const json = (r: unknown) => JSON.parse(text(r)) as Record<string, unknown>;

  /** The error the relay recorded for a submission (its review or outbox journal), once there is one. */
  function failureOf(submissionId: string): string | undefined {
    for (const f of ['reviews.jsonl', 'outbox.jsonl']) {
      let body = '';
      try {
        body = readFileSync(join(stateDir, f), 'utf8');
      } catch {
        continue;
      }
      for (const line of body.split('\n')) {
        if (!line.includes(submissionId)) continue;
        const m = /"(?:error|lastError)":"((?:[^"\\]|\\.)*)"/.exec(line);
        if (m) return m[1];
      }
    }
    return undefined;
  }

  async function connect(): Promise<void> {
    worker = await streamableClient(relay.info.url, key(Object.values(relay.info.workerTokens)[0]));
    operator = await streamableClient(relay.info.url, key(relay.info.operatorToken));
    await waitFor(
      'the relay linked to the sandbox',
      async () => {
        const status = JSON.parse(text(await operator.client.readResource({ uri: 'relay://status' }))) as { links?: { state: string }[] };
        return (status.links ?? []).length > 0 && (status.links ?? []).every((l) => l.state === 'connected') && sandbox.sessionCount(agentId) > 0;
      },
      15_000,
    );
  }

  async function hire(input: Parameters<Sandbox['hire']>[1]): Promise<string> {
    const h = await sandbox.hire(agentId, input);
    hiringIds.push(h.id);
    const token = h.repo_access_token ?? (typeof h.task_input.repo_access_token === 'string' ? h.task_input.repo_access_token : null);
    if (token && !urlTokens.some((s) => s.value === token)) repoTokens.push({ name: `repository token of ${h.id}`, value: token });
    await waitFor(`hiring ${h.id} in the relay`, async () => text(await worker.client.readResource({ uri: PENDING_URI })).includes(h.id));
    return h.id;
  }

  async function submitAndApprove(id: string, output: unknown): Promise<Record<string, unknown>> {
    const sub = json(await call(worker, 'worker', 'submit_hiring_result', { hiring_id: id, output }));
    await call(operator, 'operator', 'approve_submission', { submission_id: sub.id });
    return sub;
  }

  beforeAll(async () => {
    ensureBuilt(ROOT);
    sandbox = await startSandbox({ userToken: USER_TOKEN, gitRoot, log: sandboxLog });
    const reg = sandbox.registerAgent({ name: 'Audit agent', capabilities: ['coding'] });
    agentId = reg.id;
    apiKey = reg.apiKey;
    sampler = sampleArgv([process.pid]);
    relay = await startRelay(sandbox.url, stateDir, apiKey);
    await connect();
  }, 60_000);

  afterAll(async () => {
    sampler?.stop();
    await worker?.close().catch(() => undefined);
    await operator?.close().catch(() => undefined);
    if (relay && relay.child.exitCode === null) {
      relay.child.kill('SIGTERM');
      await relay.exited;
    }
    await sandbox?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('works an output hiring through a rejection and an approval', async () => {
    const id = await hire({ task_description: 'Write a slugify function' });
    await call(worker, 'worker', 'claim_hiring', { hiring_id: id });
    await call(worker, 'worker', 'task_emit_chunk', { hiring_id: id, content: 'Working on it' });
    await call(worker, 'worker', 'add_hiring_message', { hiring_id: id, content: 'One question: ASCII only?' });
    const first = json(await call(worker, 'worker', 'submit_hiring_result', { hiring_id: id, output: 'draft' }));
    await call(operator, 'operator', 'reject_submission', { submission_id: first.id, feedback: 'Handle unicode too.' });
    await submitAndApprove(id, { summary: 'slugify with unicode' });
    await waitFor('the output hiring completed', () => sandbox.hiring(id)?.status === 'completed');
  });

  it('works a push hiring on a repository the sandbox created', async () => {
    const id = await hire({ task_description: 'Add a LICENSE', delivery_mode: 'push' });
    const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
    const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
    writeFileSync(join(dir, 'LICENSE'), 'MIT\n');
    await submitAndApprove(id, { summary: 'Added a LICENSE' });
    await waitFor('the push hiring completed', () => sandbox.hiring(id)?.status === 'completed', 20_000);
  });

  it("runs no workspace hook with the relay's own secrets in its environment", async () => {
    // The workspace is the worker's: a worker holds only its relay token, so whatever git runs
    // from the workspace (hooks, fsmonitor, a pager set in .git/config) must not inherit the
    // agent key or the relay's tokens from the relay's environment.
    const id = await hire({ task_description: 'Hook in the workspace', delivery_mode: 'push' });
    const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
    const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
    for (const hook of ['pre-commit', 'post-commit', 'reference-transaction', 'pre-push']) {
      writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\n{ echo "== ${hook}"; env; } >> '${hookEnvFile}'\nexit 0\n`, { mode: 0o755 });
    }
    writeFileSync(join(dir, 'HOOKED.md'), 'hooked\n');
    await submitAndApprove(id, { summary: 'hooked' });
    await waitFor('the hooked push hiring completed', () => sandbox.hiring(id)?.status === 'completed', 20_000);
    let env = '';
    try {
      env = readFileSync(hookEnvFile, 'utf8');
    } catch {
      env = '';
    }
    hookRan = env.length > 0;
    // LEAK: src/relay/delivery/git-env.ts gitEnv() copies the relay's whole process.env (with
    // AGRENTING_API_KEY) into every git command, and gitExec() (src/relay/delivery/push.ts commit
    // step) runs without core.hooksPath=/dev/null, so the workspace's post-commit /
    // reference-transaction hooks run with the agent key in their environment.
    const ran = [...new Set([...env.matchAll(/^== (\S+)/gm)].map((m) => m[1]))].join(', ');
    expect(leaks([{ where: 'environment of a workspace git hook', text: env }], [{ name: 'agent key', value: apiKey }, ...relayTokens(), ...repoTokens]), `hooks that ran: ${ran}`).toEqual([]);
  });

  it('does not send the repository token to a proxy the workspace config names', async () => {
    // The worker can edit the workspace's .git/config; the relay pushes from that workspace with
    // the token in an http.extraHeader. An http.proxy set there must not receive the header.
    const seen: string[] = [];
    const proxy = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
      res.writeHead(502).end();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const repo = await sandbox.git.createRepository('acme', 'audit-proxy');
      const token = sandbox.git.issueToken('acme', 'audit-proxy', 'write');
      const id = await hire({ task_description: 'Proxy in the workspace config', delivery_mode: 'push', repo_url: repo.cloneUrl, repo_access_token: token });
      const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
      const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
      spawnSync('git', ['-C', dir, 'config', 'http.proxy', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`]);
      writeFileSync(join(dir, 'PROXIED.md'), 'proxied\n');
      const sub = await submitAndApprove(id, { summary: 'proxied' });
      await waitFor('the push attempt through the proxy', () => seen.length > 0 || failureOf(String(sub.id)) !== undefined);
      const basic = basicAuthValue(token).slice('Basic '.length);
      // LEAK: src/relay/delivery/git-env.ts gitEnv() scopes the Authorization extraHeader to the
      // repository's origin but leaves the workspace's own http.proxy (and http.sslVerify,
      // http.sslCAInfo...) in force, so a worker who sets http.proxy in .git/config receives the
      // repository token on the relay's push (src/relay/delivery/push.ts remote.push).
      expect(leaks([{ where: 'requests a workspace-configured proxy received', text: seen.join('\n') }], [{ name: 'repository token (Basic form)', value: basic }, { name: 'repository token', value: token }])).toEqual([]);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('refuses a wrong repository token and a read-only one without quoting them', async () => {
    const repo = await sandbox.git.createRepository('acme', 'audit-wrong');
    repoTokens.push({ name: 'wrong repository token', value: WRONG_TOKEN });
    const wrong = await hire({ task_description: 'Cannot clone', delivery_mode: 'push', repo_url: repo.cloneUrl, repo_access_token: WRONG_TOKEN });
    const r1 = await call(worker, 'worker', 'prepare_workspace', { hiring_id: wrong });
    expect(r1.isError).toBe(true);
    const ro = sandbox.git.issueToken('acme', 'audit-wrong', 'read');
    const readOnly = await hire({ task_description: 'Cannot push', delivery_mode: 'push', repo_url: repo.cloneUrl, repo_access_token: ro });
    const r2 = await call(worker, 'worker', 'prepare_workspace', { hiring_id: readOnly });
    expect(r2.isError).toBe(true);
  });

  it('reports a push the remote refuses (the branch moved meanwhile)', async () => {
    const repo = await sandbox.git.createRepository('acme', 'audit-diverged');
    const token = sandbox.git.issueToken('acme', 'audit-diverged', 'write');
    const id = await hire({ task_description: 'Push will be refused', delivery_mode: 'push', repo_url: repo.cloneUrl, repo_access_token: token });
    const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
    const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
    // Someone else puts an unrelated commit on the hiring's branch: the relay's push is not a fast-forward.
    const bare = join(gitRoot, 'acme', 'audit-diverged.git');
    const g = (args: string[]) => spawnSync('git', ['--git-dir', bare, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'x', GIT_AUTHOR_EMAIL: 'x@x', GIT_COMMITTER_NAME: 'x', GIT_COMMITTER_EMAIL: 'x@x' } }).stdout.trim();
    const other = g(['commit-tree', 'HEAD^{tree}', '-p', 'HEAD', '-m', 'someone else']);
    g(['update-ref', `refs/heads/agrenting/${id}`, other]);
    writeFileSync(join(dir, 'CHANGES.md'), 'changed\n');
    const sub = await submitAndApprove(id, { summary: 'will not push' });
    const why = await waitFor('the refused push recorded with its reason', () => failureOf(String(sub.id)));
    expect(why).toMatch(/push|reject|fetch first|non-fast-forward/i);
    expect(sandbox.hiring(id)?.status).not.toBe('completed');
  });

  it('delivers a push hiring whose repo_url carries the token (the tutorial form)', async () => {
    const repo = await sandbox.git.createRepository('acme', 'audit-url');
    const token = sandbox.git.issueToken('acme', 'audit-url', 'write');
    urlTokens.push({ name: 'repository token given inside repo_url', value: token });
    const u = new URL(repo.cloneUrl);
    u.username = 'x-access-token';
    u.password = token;
    const id = await hire({ task_description: 'Token in the URL', delivery_mode: 'push', repo_url: u.toString(), repo_access_token: token });
    const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
    const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
    writeFileSync(join(dir, 'NOTES.md'), 'notes\n');
    await submitAndApprove(id, { summary: 'notes' });
    await waitFor('the URL-token hiring completed', () => sandbox.hiring(id)?.status === 'completed', 20_000);
  });

  it('a delivery the platform rejects (hiring cancelled meanwhile) reports without secrets', async () => {
    const id = await hire({ task_description: 'Cancelled before delivery' });
    const sub = json(await call(worker, 'worker', 'submit_hiring_result', { hiring_id: id, output: 'late' }));
    sandbox.cancel(id);
    const approved = await call(operator, 'operator', 'approve_submission', { submission_id: sub.id });
    // Either the relay already knows of the cancellation and says so, or the platform refuses the delivery.
    await waitFor(
      'the refused delivery',
      () => approved.isError === true || (sandbox.hiring(id)?.deliveries ?? []).some((d) => d.outcome !== 'accepted'),
    );
  });

  it('keeps a prepared push hiring across a restart and re-reads its token from the platform', async () => {
    const id = await hire({ task_description: 'Survive a restart', delivery_mode: 'push' });
    const ws = json(await call(worker, 'worker', 'prepare_workspace', { hiring_id: id }));
    const dir = String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
    writeFileSync(join(dir, 'RESTART.md'), 'after restart\n');
    await worker.close();
    await operator.close();
    consoles.push({ where: 'relay stdout (first run)', text: relay.out() }, { where: 'relay stderr (first run)', text: relay.err() });
    relay.child.kill('SIGTERM');
    await relay.exited;
    relay = await startRelay(sandbox.url, stateDir, apiKey);
    await connect();
    await waitFor('the hiring back after the restart', async () => text(await worker.client.readResource({ uri: PENDING_URI })).includes(id));
    await submitAndApprove(id, { summary: 'after restart' });
    await waitFor('the restarted push hiring completed', () => sandbox.hiring(id)?.status === 'completed', 20_000);
  });

  // ───────────── what is observable ─────────────

  async function resources(): Promise<Observed[]> {
    const out: Observed[] = [];
    for (const [who, c] of [
      ['worker', worker],
      ['operator', operator],
    ] as const) {
      const listed = await c.client.listResources().catch((e: Error) => ({ resources: [], error: e.message }));
      out.push({ where: `${who} resources/list`, text: JSON.stringify(listed) });
      const uris = new Set([PENDING_URI, 'relay://hirings', 'relay://status', 'review://queue', ...hiringIds.map((i) => `hiring://${i}`)]);
      for (const r of (listed as { resources: { uri: string }[] }).resources) uris.add(r.uri);
      for (const uri of uris) {
        const r = await c.client.readResource({ uri }).catch((e: Error) => ({ error: e.message }));
        out.push({ where: `${who} reads ${uri}`, text: JSON.stringify(r) });
      }
      const prompt = await c.client.getPrompt({ name: 'system-prompt' }).catch((e: Error) => ({ error: e.message }));
      out.push({ where: `${who} prompt system-prompt`, text: JSON.stringify(prompt) });
    }
    return out;
  }

  function platformSecrets(): Secret[] {
    const tokens = [...repoTokens, ...urlTokens];
    return [
      { name: 'agent key', value: apiKey },
      { name: 'user token', value: USER_TOKEN },
      ...tokens,
      // The Basic header git carries: base64 of x-access-token:<token>.
      ...tokens.map((t) => ({ name: `${t.name} (Basic form)`, value: basicAuthValue(t.value).slice('Basic '.length) })),
    ];
  }
  const relayTokens = (): Secret[] => [
    { name: 'operator token', value: relay.info.operatorToken },
    ...Object.entries(relay.info.workerTokens).map(([a, t]) => ({ name: `worker token of ${a}`, value: t })),
  ];
  const onlyStandard = (s: Secret[]) => s.filter((x) => !urlTokens.some((u) => x.name.startsWith(u.name)));

  it('leaves no agent key, user token or repository token in any file of the state dir or the workspaces', () => {
    const files = filesUnder(stateDir, 'state');
    expect(files.some((f) => f.where.endsWith('hirings.jsonl'))).toBe(true);
    expect(files.some((f) => /workspaces\/[^/]+\/\.git\/config$/.test(f.where))).toBe(true);
    expect(files.some((f) => f.where.includes('(reflog)'))).toBe(true);
    expect(leaks(files, onlyStandard(platformSecrets()))).toEqual([]);
  });

  it('keeps the relay tokens in relay.json and tokens.json only', () => {
    const file = readRelayFile(stateDir);
    expect(Object.keys(file ?? {}).sort()).toEqual(['operatorToken', 'pid', 'startedAt', 'url', 'version', 'workerTokens']);
    // Where they are kept, only the owner can read them.
    for (const f of ['relay.json', 'tokens.json']) expect(statSync(join(stateDir, f)).mode & 0o077, f).toBe(0);
    expect(statSync(stateDir).mode & 0o077).toBe(0);
    const others = filesUnder(stateDir, 'state').filter((f) => !/^state\/(relay|tokens)\.json$/.test(f.where));
    expect(leaks(others, relayTokens())).toEqual([]);
  });

  it('logs and prints no secret (relay.log, stderr, stdout of both runs)', () => {
    const logs: Observed[] = [
      ...consoles,
      { where: 'relay stdout (second run)', text: relay.out() },
      { where: 'relay stderr (second run)', text: relay.err() },
      ...filesUnder(stateDir, 'state').filter((f) => f.where.endsWith('.log')),
    ];
    expect(logs.map((l) => l.text).join('\n')).toContain('relay');
    expect(leaks(logs, [...platformSecrets(), ...relayTokens()])).toEqual([]);
  });

  it('serves no secret in any resource, prompt or tool answer, to a worker or the operator', async () => {
    const served = [...(await resources()), ...answers];
    expect(served.length).toBeGreaterThan(10);
    expect(leaks(served, [...onlyStandard(platformSecrets()), ...relayTokens()])).toEqual([]);
  });

  it('puts no secret in the argv of the relay, of git, or of git http-backend (what `ps` shows)', () => {
    const argv = sampler.stop();
    // The relay itself and at least one git it ran for push mode were seen.
    expect(argv.some((a) => a.text.includes('dist/relay.js'))).toBe(true);
    expect(argv.some((a) => /\bgit\b.*\b(clone|push)\b/.test(a.text))).toBe(true);
    expect(leaks(argv, [...platformSecrets(), ...relayTokens()])).toEqual([]);
  });

  it('the sandbox state endpoint and page show no agent key or repository token', async () => {
    const auth = { authorization: `Bearer ${USER_TOKEN}` };
    const pages: Observed[] = [];
    for (const p of ['/_sandbox/state', '/_sandbox', '/git/acme/audit-url', '/']) {
      const res = await fetch(`${sandbox.url}${p}`, { headers: auth });
      pages.push({ where: `sandbox ${p}`, text: await res.text() });
    }
    expect(pages[0].text).toContain('hirings');
    expect(leaks(pages, onlyStandard(platformSecrets()))).toEqual([]);
  });

  // ───────────── the repository token inside repo_url ─────────────

  it('does not keep a token given inside repo_url in the journal, the workspace or any file', () => {
    // LEAK: src/shared/hiring.ts withoutSecrets() (used by src/relay/inbox/store.ts upsert) drops
    // repo_access_token but keeps repo_url as given, so https://x-access-token:<token>@host/… is
    // journalled in <state>/hirings.jsonl.
    expect(leaks(filesUnder(stateDir, 'state'), urlTokens)).toEqual([]);
  });

  it('does not serve a token given inside repo_url to MCP clients', async () => {
    // LEAK: src/relay/core/views.ts toView() → withoutSecrets() keeps the credentials in
    // hiring.repo_url (and task_input.repo_url), so hiring://pending, hiring://{id} and
    // relay://hirings hand the token to every worker and to the extension.
    expect(leaks([...(await resources()), ...answers], urlTokens)).toEqual([]);
  });

  it('does not show a token given inside repo_url on the sandbox state endpoint', async () => {
    // LEAK: src/sandbox/inspect.ts maskHiring() masks repo_access_token but not the credentials
    // inside repo_url / task_input.repo_url, so GET /_sandbox/state shows them.
    const res = await fetch(`${sandbox.url}/_sandbox/state`, { headers: { authorization: `Bearer ${USER_TOKEN}` } });
    expect(leaks([{ where: 'sandbox /_sandbox/state', text: await res.text() }], urlTokens)).toEqual([]);
  });

  it('had work to search (guards against a vacuous pass)', () => {
    expect(hookRan).toBe(true);
    expect(hiringIds.length).toBeGreaterThanOrEqual(7);
    expect(readdirSync(join(stateDir, 'workspaces')).length).toBeGreaterThanOrEqual(3);
  });
});
