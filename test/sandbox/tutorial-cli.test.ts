// The tutorial's client against `agrenting-sandbox` as a user starts it: the built CLI
// (dist/sandbox.js) with no flags and no knobs. The client reads every JSON-RPC answer
// from the POST body (never from the stream), answers the server's pings, and on every
// notification reads hiring://pending and submits a result for each hiring listed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_URI, TOOL } from '../../src/shared/protocol';
import type { PlatformHiring } from '../../src/sandbox/index';
import { initializeBody, RawSseClient } from '../downstream/helpers';
import { REPO_ROOT } from '../support/relay-process';
import { waitFor } from '../support/wait';

const SANDBOX_BIN = path.join(REPO_ROOT, 'dist', 'sandbox.js');
const run = promisify(execFile);
const env = { ...process.env, AGRENTING_LOG_LEVEL: 'warn' };

let child: ChildProcess;
let stdout = '';
let exit: number | null | undefined;
let url = '';
let userToken = '';

beforeAll(async () => {
  if (!existsSync(SANDBOX_BIN)) throw new Error(`${SANDBOX_BIN} is missing; run npm run build`);
  // No --port (a free one is picked), no --knob: the defaults a new user gets.
  child = spawn(process.execPath, [SANDBOX_BIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.resume();
  child.on('exit', (code) => (exit = code));
  const line = await waitFor('the listening line', () => /listening on (\S+)\nUser token: (\S+)/.exec(stdout) ?? undefined, 20_000);
  url = line[1];
  userToken = line[2];
});

afterAll(async () => {
  if (exit !== undefined) return;
  child.kill('SIGTERM');
  await waitFor('the sandbox to exit', () => exit !== undefined, 10_000);
});

const cli = (...args: string[]) => run(process.execPath, [SANDBOX_BIN, ...args, '--url', url, '--user-token', userToken], { env });

interface TutorialClient {
  raw: RawSseClient;
  /** Every answer to a request, as read from its POST body. */
  answers: { method: string; status: number; body: unknown }[];
  /** Hiring ids the client submitted a result for, once per submission. */
  submitted: string[];
  /** What would have crashed the tutorial's loop (e.g. a POST answered 202 with no body). */
  errors: Error[];
  stop(): void;
}

/** The tutorial's loop: answer pings, and on each notification read pending and submit every hiring in it. */
async function tutorialClient(apiKey: string): Promise<TutorialClient> {
  const raw = new RawSseClient(url, { 'X-API-Key': apiKey });
  await raw.open();
  const answers: TutorialClient['answers'] = [];
  const submitted: string[] = [];
  const errors: Error[] = [];
  const call = async (method: string, params?: Record<string, unknown>) => {
    const res = await raw.call(method, params);
    answers.push({ method, status: 200, body: res });
    return res.result ?? {};
  };
  await call('initialize', initializeBody().params as Record<string, unknown>);
  await raw.notify('initialized');
  await call('resources/subscribe', { uri: PENDING_URI });

  let seen = 0;
  let busy = false;
  const step = async () => {
    const messages = raw.messages();
    for (; seen < messages.length; seen++) {
      const m = messages[seen];
      if (m.method === 'ping' && 'id' in m) await raw.post({ jsonrpc: '2.0', id: m.id, result: {} });
      if (m.method === 'notifications/resources/updated') {
        const read = (await call('resources/read', { uri: PENDING_URI })) as { contents: { text: string }[] };
        for (const h of JSON.parse(read.contents[0].text) as PlatformHiring[]) {
          await call('tools/call', { name: TOOL.submitResult, arguments: { hiring_id: h.id, output: { text: `done: ${h.task_description}` } } });
          submitted.push(h.id);
        }
      }
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    step()
      .catch((e: Error) => errors.push(e))
      .finally(() => (busy = false));
  }, 10);
  return { raw, answers, submitted, errors, stop: () => (clearInterval(timer), raw.close()) };
}

describe('a client written the tutorial way against agrenting-sandbox with its defaults', () => {
  it('reads each answer from the POST body, passes the availability probe and completes two hirings', async () => {
    const reg = await cli('register', '--name', 'tutorial agent');
    const agentId = /Agent id: (\S+)/.exec(reg.stdout)?.[1] ?? '';
    const apiKey = /API key: (\S+)/.exec(reg.stdout)?.[1] ?? '';
    expect(agentId).not.toBe('');
    const client = await tutorialClient(apiKey);
    try {
      const ids: string[] = [];
      for (const task of ['Fix the flaky date test', 'Explain the RecursionError']) {
        const hired = await cli('hire', '--agent', agentId, '--price', '5.00', task);
        // The probe ping was answered by the client, so the hiring was not refused as unavailable.
        const m = /^Hiring (\S+): in_progress$/m.exec(hired.stdout);
        expect(m, hired.stdout).not.toBeNull();
        ids.push(m![1]);
      }
      const status = async (id: string) => {
        const res = await fetch(`${url}/api/v1/hirings/${id}`, { headers: { Authorization: `Bearer ${userToken}` } });
        return ((await res.json()) as { data: PlatformHiring }).data;
      };
      for (const id of ids) {
        await waitFor(`hiring ${id} completed`, async () => {
          if (client.errors.length > 0) throw client.errors[0];
          return (await status(id)).status === 'completed';
        });
      }
      expect(client.errors).toEqual([]);
      expect((await status(ids[0])).task_output).toEqual({ text: 'done: Fix the flaky date test' });
      // Every request got its JSON-RPC answer in the body of a 200 (raw.call throws otherwise).
      expect(client.answers.length).toBeGreaterThanOrEqual(5);
      expect(client.answers.every((a) => (a.body as { jsonrpc?: string }).jsonrpc === '2.0')).toBe(true);
      expect(client.submitted).toEqual(expect.arrayContaining(ids));
    } finally {
      client.stop();
    }
  });

  it('shuts down cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    await waitFor('exit', () => exit !== undefined, 10_000);
    expect(exit).toBe(0);
  });
});
