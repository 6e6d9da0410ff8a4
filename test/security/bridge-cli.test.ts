// The webhook bridge of the built relay (its own process, config file with a
// `bridge` section, every secret in the environment) against the real sandbox,
// s3rver and the fake Matrix homeserver: signed webhook deliveries of an output
// and a push hiring, bad deliveries (wrong key, wrong signature), hand-off to a
// HiClaw worker. Then the task files (S3 and local), the Matrix rooms, the relay's
// files, logs, argv and MCP resources, the webhook answers and the sandbox's
// inspection endpoint are searched for the webhook key and secret, the Matrix
// token, the S3 keys, the agent key and the repository tokens.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAgent, type RegisteredAgent } from '../../src/relay/register';
import { readRelayFile, type RelayFile } from '../../src/relay/relay-file';
import { startSandbox, signWebhook, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { key, streamableClient, type TestClient } from '../downstream/helpers';
import { FakeMatrix } from '../bridge/fake-matrix';
import { startS3, type S3Fixture } from '../bridge/helpers';
import { ensureBuilt, filesUnder, leaks, sampleArgv, type ArgvSampler, type Observed, type Secret } from './scan';
import { freePort } from '../support/net';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const DOMAIN = 'hiclaw.test';
const USER_TOKEN = 'ap_AUDITBRIDGEUSERTOKEN0123456789';
const HOOK_KEY = 'webhook-key-AUDIT-1234567890abcdef';
const HOOK_SECRET = 'webhook-secret-AUDIT-0987654321fedcba';
const MATRIX_TOKEN = 'syt_AUDIT_matrix_token_1234567890';
/** s3rver accepts only its own fixed credentials. */
const S3_KEY = 'S3RVER';

function text(r: unknown): string {
  const o = r as { content?: { text?: string }[]; contents?: { text?: string }[] };
  return [...(o.content ?? []), ...(o.contents ?? [])].map((c) => c.text ?? '').join('');
}

describe('the bridge of the built relay: webhook, S3 task files and Matrix carry no secret', () => {
  let sandbox: Sandbox;
  let s3: S3Fixture;
  let fake: FakeMatrix;
  let agent: RegisteredAgent;
  let child: ChildProcess;
  let info: RelayFile;
  let operator: TestClient;
  let sampler: ArgvSampler;
  let hookUrl = '';
  let out = '';
  let err = '';
  let exited: Promise<unknown> = Promise.resolve();
  const work = mkdtempSync(join(tmpdir(), 'security-bridge-'));
  const stateDir = join(work, 'state');
  const tasksDir = join(work, 'tasks');
  const repoTokens: Secret[] = [];
  const answers: Observed[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    ensureBuilt(ROOT);
    sandbox = await startSandbox({
      userToken: USER_TOKEN,
      log: memoryLogger('sandbox'),
      knobs: { webhookBackoffMs: 10 },
    });
    s3 = await startS3();
    fake = new FakeMatrix(DOMAIN);
    await fake.start();
    const bridgeUser = fake.addUser('agrenting-bridge', 'pw', MATRIX_TOKEN);
    fake.addWorker(
      'ivy',
      {
        outcome: 'complete',
        onTask: (id) => s3.store.put(`shared/tasks/${id}/result.md`, `# Done\n\nResult for ${id}.\n`),
      },
      { allowed: [bridgeUser], members: [bridgeUser] },
    );
    const port = await freePort();
    hookUrl = `http://127.0.0.1:${port}/webhook/agrenting/hiring`;
    agent = await registerAgent({
      baseUrl: sandbox.url,
      userToken: USER_TOKEN,
      mode: 'bridge',
      name: 'HiClaw Ivy',
      callbackUrl: hookUrl,
      callbackAuthHeader: `Authorization: ApiKey ${HOOK_KEY}`,
      webhookSecret: HOOK_SECRET,
      workerMatrixId: `@ivy:${DOMAIN}`,
    });
    const config = {
      agents: [{ name: 'ivy-agent', apiKeyEnv: 'AUDIT_AGENT_KEY' }],
      bridge: {
        listen: `127.0.0.1:${port}`,
        webhookKeyEnv: 'AUDIT_HOOK_KEY',
        webhookSecretEnv: 'AUDIT_HOOK_SECRET',
        s3: { endpoint: s3.endpoint, accessKeyEnv: 'AUDIT_S3', secretKeyEnv: 'AUDIT_S3' },
        matrix: { homeserver: fake.url, accessTokenEnv: 'AUDIT_MATRIX', userId: bridgeUser, domain: DOMAIN },
        pollIntervalMs: 20,
        tasksDir,
      },
    };
    const configFile = join(work, 'relay-config.json');
    writeFileSync(configFile, JSON.stringify(config));
    sampler = sampleArgv([process.pid]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AUDIT_AGENT_KEY: agent.apiKey,
      AUDIT_HOOK_KEY: HOOK_KEY,
      AUDIT_HOOK_SECRET: HOOK_SECRET,
      AUDIT_S3: S3_KEY,
      AUDIT_MATRIX: MATRIX_TOKEN,
    };
    for (const k of [
      'AGRENTING_API_KEY',
      'AGRENTING_RELAY_TOKEN',
      'AGRENTING_RELAY_OPERATOR_TOKEN',
      'AGRENTING_STATE_DIR',
    ]) {
      delete env[k];
    }
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'dist', 'relay.js'),
        '--config',
        configFile,
        '--upstream',
        sandbox.url,
        '--state-dir',
        stateDir,
        '--listen',
        '127.0.0.1:0',
        '--log-level',
        'debug',
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    let code: number | null | undefined;
    exited = new Promise((r) => child.on('exit', (c) => r((code = c))));
    info = await waitFor(
      'relay.json',
      () => {
        if (code !== undefined) throw new Error(`the relay exited: ${err.slice(-1500)}`);
        const f = readRelayFile(stateDir);
        return f && f.pid === child.pid ? f : undefined;
      },
      20_000,
    );
    operator = await streamableClient(info.url, key(info.operatorToken));
    await waitFor('the MCP link and the webhook inbox', async () => {
      const status = JSON.parse(text(await operator.client.readResource({ uri: 'relay://status' }))) as {
        links?: { state: string }[];
      };
      const inbox = await fetch(hookUrl.replace('/webhook/agrenting/hiring', '/health')).then(
        (r) => r.ok,
        () => false,
      );
      return inbox && (status.links ?? []).every((l) => l.state === 'connected') && sandbox.sessionCount(agent.id) > 0;
    });
  }, 60_000);

  afterAll(async () => {
    sampler?.stop();
    await operator?.close().catch(() => undefined);
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await sandbox?.close();
    await fake?.close();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function hireAndHandOff(input: Parameters<Sandbox['hire']>[1]): Promise<string> {
    const h = await sandbox.hire(agent.id, input);
    ids.push(h.id);
    const token =
      h.repo_access_token ??
      (typeof h.task_input.repo_access_token === 'string' ? h.task_input.repo_access_token : null);
    if (token) repoTokens.push({ name: `repository token of ${h.id}`, value: token });
    await waitFor(`a signed webhook delivery of ${h.id}`, () =>
      (sandbox.hiring(h.id)?.webhooks ?? []).some((w) => w.ok),
    );
    await waitFor(
      `the worker's result for ${h.id} in review`,
      async () => text(await operator.client.readResource({ uri: 'review://queue' })).includes(h.id),
      15_000,
    );
    return h.id;
  }

  it('hands an output hiring and a push hiring to the HiClaw worker', async () => {
    const first = await hireAndHandOff({ task_description: 'Write a slugify function' });
    const queue = JSON.parse(text(await operator.client.readResource({ uri: 'review://queue' }))) as {
      id: string;
      hiringId: string;
    }[];
    const sub = queue.find((s) => s.hiringId === first);
    const approved = await operator.client.callTool({
      name: 'approve_submission',
      arguments: { submission_id: sub?.id },
    });
    answers.push({ where: 'operator approve_submission', text: JSON.stringify(approved) });
    await waitFor('the output hiring completed', () => sandbox.hiring(first)?.status === 'completed');
    await hireAndHandOff({ task_description: 'Add a LICENSE', delivery_mode: 'push' });
  });

  it('answers bad deliveries without quoting the expected key or secret', async () => {
    const body = JSON.stringify({
      hiring_id: 'x',
      agent_id: agent.id,
      task: { description: 'x' },
      customer_id: 'c',
      price: '1.00',
    });
    const attempts: [string, Record<string, string>][] = [
      ['no key', { 'content-type': 'application/json' }],
      ['wrong key', { 'content-type': 'application/json', authorization: 'ApiKey wrong-key-AUDIT-000000' }],
      [
        'right key, wrong signature',
        {
          'content-type': 'application/json',
          authorization: `ApiKey ${HOOK_KEY}`,
          'x-webhook-signature': signWebhook(body, 'not-the-secret'),
        },
      ],
      ['right key, no signature', { 'content-type': 'application/json', authorization: `ApiKey ${HOOK_KEY}` }],
    ];
    for (const [what, headers] of attempts) {
      const res = await fetch(hookUrl, { method: 'POST', headers, body });
      expect(res.status, what).toBe(401);
      answers.push({
        where: `webhook answer (${what})`,
        text: `${JSON.stringify([...res.headers])} ${await res.text()}`,
      });
    }
  });

  function secrets(): Secret[] {
    return [
      { name: 'webhook key', value: HOOK_KEY },
      { name: 'webhook secret', value: HOOK_SECRET },
      { name: 'Matrix token', value: MATRIX_TOKEN },
      { name: 'agent key', value: agent.apiKey },
      { name: 'user token', value: USER_TOKEN },
      ...repoTokens,
    ];
  }

  it('writes no secret into the task files (S3 and local copy) or the relay state', () => {
    const files = [...filesUnder(s3.dir, 's3'), ...filesUnder(tasksDir, 'tasks'), ...filesUnder(stateDir, 'state')];
    expect(files.some((f) => f.where.includes('spec.md'))).toBe(true);
    expect(repoTokens.length).toBe(1);
    expect(leaks(files, secrets())).toEqual([]);
  });

  it('posts no secret to Matrix rooms', () => {
    const events: Observed[] = [...fake.rooms.values()].flatMap((r) =>
      r.events.map((e) => ({ where: `Matrix ${r.id} ${e.sender}`, text: JSON.stringify(e) })),
    );
    expect(events.some((e) => e.text.includes('New task'))).toBe(true);
    expect(leaks(events, [...secrets(), { name: 'S3 key', value: S3_KEY }])).toEqual([]);
  });

  it('logs no secret and serves none over MCP', async () => {
    const served: Observed[] = [];
    for (const uri of [
      'hiring://pending',
      'relay://hirings',
      'relay://status',
      'review://queue',
      ...ids.map((i) => `hiring://${i}`),
    ]) {
      served.push({
        where: `operator reads ${uri}`,
        text: JSON.stringify(await operator.client.readResource({ uri })),
      });
    }
    const logs: Observed[] = [
      { where: 'relay stdout', text: out },
      { where: 'relay stderr', text: err },
      ...filesUnder(stateDir, 'state').filter((f) => f.where.endsWith('.log')),
    ];
    expect(err).toContain('bridge');
    expect(leaks([...logs, ...served, ...answers], [...secrets(), { name: 'S3 key', value: S3_KEY }])).toEqual([]);
  });

  it('puts no secret in any argv (relay, git)', () => {
    const argv = sampler.stop();
    expect(argv.some((a) => a.text.includes('dist/relay.js'))).toBe(true);
    expect(leaks(argv, [...secrets(), { name: 'S3 key', value: S3_KEY }])).toEqual([]);
  });

  it('the sandbox state endpoint does not show the webhook key of a bridge agent', async () => {
    // Guards a leak the audit found (fixed): src/sandbox/store.ts addAgent() keeps metadata.callback_auth_header ("Authorization:
    // ApiKey <webhook key>") in the agent view, and src/sandbox/inspect.ts sandboxState() serves
    // agents[].metadata as-is on GET /_sandbox/state (masking covers only repository tokens).
    const res = await fetch(`${sandbox.url}/_sandbox/state`, { headers: { authorization: `Bearer ${USER_TOKEN}` } });
    const page = await fetch(`${sandbox.url}/_sandbox`, { headers: { authorization: `Bearer ${USER_TOKEN}` } });
    expect(
      leaks(
        [
          { where: 'sandbox /_sandbox/state', text: await res.text() },
          { where: 'sandbox /_sandbox', text: await page.text() },
        ],
        secrets(),
      ),
    ).toEqual([]);
  });
});
