// The built relay (`node dist/relay.js`) in its own process against the real
// sandbox in this one, with a worker and the operator attached over MCP. The
// relay runs apart so that its redaction works only with what the relay itself
// registered (the sandbox here registers its own keys, which would hide a leak
// in an in-process logger). Records every tool answer for the secret scans.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthValue } from '../../src/relay/delivery/git-env';
import { readRelayFile, type RelayFile } from '../../src/relay/relay-file';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { PENDING_URI } from '../../src/shared/protocol';
import { key, streamableClient, type TestClient } from '../downstream/helpers';

import { ensureBuilt, type Observed, type Secret } from './scan';
import { waitFor } from '../support/wait';

export const ROOT = join(__dirname, '..', '..');

export interface RelayRun {
  child: ChildProcess;
  pid: number;
  info: RelayFile;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

export async function startRelay(upstream: string, stateDir: string, apiKey: string): Promise<RelayRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, AGRENTING_API_KEY: apiKey };
  for (const k of ['AGRENTING_RELAY_TOKEN', 'AGRENTING_RELAY_OPERATOR_TOKEN', 'AGRENTING_STATE_DIR']) delete env[k];
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'dist', 'relay.js'),
      '--upstream',
      upstream,
      '--state-dir',
      stateDir,
      '--listen',
      '127.0.0.1:0',
      '--review',
      'required',
      '--log-level',
      'debug',
    ],
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
export function text(r: unknown): string {
  const o = r as { content?: { text?: string }[]; contents?: { text?: string }[] };
  return [...(o.content ?? []), ...(o.contents ?? [])].map((c) => c.text ?? '').join('');
}

export const json = (r: unknown) => JSON.parse(text(r)) as Record<string, unknown>;

export class CliWorld {
  sandbox!: Sandbox;
  agentId = '';
  apiKey = '';
  relay!: RelayRun;
  worker!: TestClient;
  operator!: TestClient;
  readonly work: string;
  readonly stateDir: string;
  readonly gitRoot: string;
  readonly repoTokens: Secret[] = [];
  /** Repository tokens handed over inside repo_url (http://x-access-token:<token>@host/...). */
  readonly urlTokens: Secret[] = [];
  readonly answers: Observed[] = [];
  readonly hiringIds: string[] = [];

  constructor(
    prefix: string,
    readonly userToken: string,
  ) {
    this.work = mkdtempSync(join(tmpdir(), prefix));
    this.stateDir = join(this.work, 'state');
    this.gitRoot = join(this.work, 'git');
  }

  async start(beforeRelay?: () => void): Promise<void> {
    ensureBuilt(ROOT);
    this.sandbox = await startSandbox({
      userToken: this.userToken,
      gitRoot: this.gitRoot,
      log: memoryLogger('sandbox'),
    });
    const reg = this.sandbox.registerAgent({ name: 'Audit agent', capabilities: ['coding'] });
    this.agentId = reg.id;
    this.apiKey = reg.apiKey;
    beforeRelay?.();
    this.relay = await startRelay(this.sandbox.url, this.stateDir, this.apiKey);
    await this.connect();
  }

  async connect(): Promise<void> {
    this.worker = await streamableClient(this.relay.info.url, key(Object.values(this.relay.info.workerTokens)[0]));
    this.operator = await streamableClient(this.relay.info.url, key(this.relay.info.operatorToken));
    await waitFor(
      'the relay linked to the sandbox',
      async () => {
        const status = JSON.parse(text(await this.operator.client.readResource({ uri: 'relay://status' }))) as {
          links?: { state: string }[];
        };
        const links = status.links ?? [];
        return (
          links.length > 0 && links.every((l) => l.state === 'connected') && this.sandbox.sessionCount(this.agentId) > 0
        );
      },
      15_000,
    );
  }

  /** Stops the relay (SIGTERM, a clean shutdown) and starts it again on the same state dir. */
  async restart(): Promise<Observed[]> {
    await this.worker.close();
    await this.operator.close();
    const said = [
      { where: 'relay stdout (earlier run)', text: this.relay.out() },
      { where: 'relay stderr (earlier run)', text: this.relay.err() },
    ];
    this.relay.child.kill('SIGTERM');
    await this.relay.exited;
    this.relay = await startRelay(this.sandbox.url, this.stateDir, this.apiKey);
    await this.connect();
    return said;
  }

  async close(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    await this.operator?.close().catch(() => undefined);
    if (this.relay && this.relay.child.exitCode === null) {
      this.relay.child.kill('SIGTERM');
      await this.relay.exited;
    }
    await this.sandbox?.close();
    rmSync(this.work, { recursive: true, force: true });
  }

  async call(who: 'worker' | 'operator', name: string, args: Record<string, unknown>) {
    const r = await this[who].client.callTool({ name, arguments: args });
    this.answers.push({ where: `${who} tool ${name}`, text: JSON.stringify(r) });
    return r;
  }

  /** Hires the agent (as the sandbox's hirer) and waits until the worker sees the hiring. */
  async hire(input: Parameters<Sandbox['hire']>[1], opts: { tokenInUrl?: boolean } = {}): Promise<string> {
    const h = await this.sandbox.hire(this.agentId, input);
    this.hiringIds.push(h.id);
    const token =
      h.repo_access_token ??
      (typeof h.task_input.repo_access_token === 'string' ? h.task_input.repo_access_token : null);
    if (token) {
      (opts.tokenInUrl ? this.urlTokens : this.repoTokens).push({
        name: `repository token of ${h.id}${opts.tokenInUrl ? ' (inside repo_url)' : ''}`,
        value: token,
      });
    }
    await waitFor(`hiring ${h.id} in the relay`, async () =>
      text(await this.worker.client.readResource({ uri: PENDING_URI })).includes(h.id),
    );
    return h.id;
  }

  /** prepare_workspace as the worker; the workspace folder. */
  async prepare(id: string): Promise<string> {
    const ws = json(await this.call('worker', 'prepare_workspace', { hiring_id: id }));
    return String((ws.workspace as { dir?: string } | undefined)?.dir ?? ws.dir);
  }

  async submitAndApprove(id: string, output: unknown): Promise<Record<string, unknown>> {
    const sub = json(await this.call('worker', 'submit_hiring_result', { hiring_id: id, output }));
    await this.call('operator', 'approve_submission', { submission_id: sub.id });
    return sub;
  }

  /** The error the relay recorded for a submission (its review or outbox journal), once there is one. */
  failureOf(submissionId: string): string | undefined {
    for (const f of ['reviews.jsonl', 'outbox.jsonl']) {
      let body = '';
      try {
        body = readFileSync(join(this.stateDir, f), 'utf8');
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

  /** Every resource and the system prompt, read as the worker and as the operator. */
  async resources(): Promise<Observed[]> {
    const out: Observed[] = [];
    for (const who of ['worker', 'operator'] as const) {
      const c = this[who];
      const listed = await c.client.listResources().catch((e: Error) => ({ resources: [], error: e.message }));
      out.push({ where: `${who} resources/list`, text: JSON.stringify(listed) });
      const uris = new Set([
        PENDING_URI,
        'relay://hirings',
        'relay://status',
        'review://queue',
        ...this.hiringIds.map((i) => `hiring://${i}`),
      ]);
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

  /** The agent key, the user token and the repository tokens (with the Basic form git sends); the URL-carried ones only when asked. */
  platformSecrets(withUrlTokens = false): Secret[] {
    const tokens = [...this.repoTokens, ...(withUrlTokens ? this.urlTokens : [])];
    return [
      { name: 'agent key', value: this.apiKey },
      { name: 'user token', value: this.userToken },
      ...tokens,
      ...tokens.map((t) => ({ name: `${t.name} (Basic form)`, value: basicAuthValue(t.value).slice('Basic '.length) })),
    ];
  }

  relayTokens(): Secret[] {
    return [
      { name: 'operator token', value: this.relay.info.operatorToken },
      ...Object.entries(this.relay.info.workerTokens).map(([a, t]) => ({ name: `worker token of ${a}`, value: t })),
    ];
  }
}
