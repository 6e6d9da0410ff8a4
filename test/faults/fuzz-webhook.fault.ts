// Hostile webhook deliveries to the bridge's inbox, wired to a real relay core:
// random and near-miss JSON (signed, so they get past authentication to the
// parser), wrong types, unsafe hiring ids, huge and deeply nested bodies, path
// and method tricks. Never a 5xx, every refusal carries a message, an unsafe id
// never reaches the store, whatever is accepted is stored, and a valid delivery
// after the garbage arrives.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, webhookSignature, type Bridge } from '../../src/relay/bridge';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { Caller } from '../../src/relay/types';
import { createLogger } from '../../src/shared/log';
import { payload } from '../bridge/helpers';
import { tempDir } from '../inbox/helpers';

import { quietSandbox } from '../upstream/helpers';
import type { Sandbox } from '../../src/sandbox/index';
import { deepJson, hostileBody, nastyString, type Json } from '../support/fuzz';
import { between, envInt, faultSeed, fork, pick } from '../support/seed';
import { waitFor } from '../support/wait';
import { parseBridgeConfig } from '../../src/relay/bridge/config';

const BODIES = envInt('FUZZ_WEBHOOK_BODIES', 300);
const KEY = 'fault-webhook-key-0123456789';
const SECRET = 'fault-webhook-secret-abcdefgh';
const MAX_BODY = 64 * 1024;
const OPERATOR: Caller = { role: 'operator', name: 'fuzz' };

const PATH_TRICKS = [
  '/webhook/agrenting/hiring/',
  '/webhook/agrenting/hiring/..',
  '/webhook/agrenting/../agrenting/hiring',
  '//webhook/agrenting/hiring',
  '/webhook/agrenting/hiring%2F..%2F..',
  '/webhook/agrenting/hiring?next=../../x',
  '/WEBHOOK/agrenting/hiring',
  '/..%2f..%2fetc/passwd',
  '/health/../webhook/agrenting/hiring',
  '/webhook/agrenting/hiring/%00',
  '/webhook%2fagrenting%2fhiring',
  '*',
];

const UNSAFE_IDS = ['../escape', '..', 'a/b', 'a b', '.hidden', '', 'x'.repeat(200), '%2e%2e', 'a\\b', '-leading'];

interface Answer {
  status: number;
  text: string;
}

/** A raw request: the path goes out exactly as written (fetch would normalise the dot segments away). */
function send(
  port: number,
  path: string,
  method: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function signedHeaders(body: string, sign = true): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: `ApiKey ${KEY}`,
    ...(sign ? { 'x-webhook-signature': webhookSignature(SECRET, body) } : {}),
  };
}

function messageOf(text: string): string | undefined {
  try {
    const m = (JSON.parse(text) as { errors?: { message?: unknown }[] }).errors?.[0]?.message;
    return typeof m === 'string' && m.trim() ? m : undefined;
  } catch {
    return undefined;
  }
}

describe('fuzzing webhook deliveries', () => {
  const seed = faultSeed('fuzz-webhook');
  const state = tempDir('faults-fuzz-hook-');
  let sb: Sandbox;
  let relay: Relay;
  let bridge: Bridge;
  let port = 0;

  beforeAll(async () => {
    sb = await quietSandbox();
    const agent = sb.registerAgent({ name: 'webhook fuzz agent' });
    relay = await startRelay({
      agents: [{ name: 'hook', baseUrl: sb.url, apiKey: agent.apiKey, agentId: agent.id }],
      stateDir: state.dir,
      port: 0,
      durable: false,
      logger: createLogger('relay', { level: 'error', sink: () => undefined }),
    });
    bridge = createBridge({
      core: relay,
      agent: 'hook',
      config: parseBridgeConfig({
        listen: { host: '127.0.0.1', port: 0 },
        webhookKeyEnv: 'F_HOOK_KEY',
        webhookSecretEnv: 'F_HOOK_SECRET',
        maxBodyBytes: MAX_BODY,
        tasksDir: `${state.dir}/tasks`,
      }),
      env: { F_HOOK_KEY: KEY, F_HOOK_SECRET: SECRET },
      log: createLogger('bridge', { level: 'error', sink: () => undefined }),
    });
    await bridge.start();
    port = Number(new URL(bridge.webhookUrl).port);
  });

  afterAll(async () => {
    await bridge?.stop();
    await relay?.stop();
    await sb?.close();
    state.cleanup();
  });

  const stored = (id: string) => relay.listAll(OPERATOR).some((v) => String(v.hiring.id) === id);

  it(`refuses ${BODIES} hostile deliveries clearly and still stores a valid one`, async () => {
    const rand = fork(seed, 1);
    const unclear: string[] = [];
    const accepted: string[] = [];
    const statuses: Record<number, number> = {};
    const check = (what: string, a: Answer) => {
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      if (a.status >= 500 || a.status === 0) unclear.push(`${what}: ${a.status} ${a.text.slice(0, 120)}`);
      else if (a.status >= 400 && !messageOf(a.text)) {
        unclear.push(`${what}: ${a.status} without a message: ${a.text.slice(0, 120)}`);
      }
    };

    for (let i = 0; i < BODIES; i++) {
      const valid = payload(`fz-${i}`) as { [k: string]: Json };
      const kind = between(rand, 0, 9);
      let body: string;
      let headers: Record<string, string>;
      if (kind <= 5) {
        body = hostileBody(rand, valid);
        headers = signedHeaders(body);
      } else if (kind === 6) {
        body = JSON.stringify({ ...valid, hiring_id: pick(rand, UNSAFE_IDS) });
        headers = signedHeaders(body);
      } else if (kind === 7) {
        body =
          rand() < 0.5
            ? JSON.stringify({ ...valid, task: { description: 'x'.repeat(MAX_BODY + between(rand, 1, 1000)) } })
            : deepJson(between(rand, 1000, 30_000));
        headers = signedHeaders(body);
      } else if (kind === 8) {
        body = JSON.stringify(valid);
        headers = pick(rand, [
          signedHeaders(body, false),
          { ...signedHeaders(body), authorization: `ApiKey ${nastyString(rand).replace(/[^\x20-\x7e]/g, '')}` },
          { ...signedHeaders(body), 'x-webhook-signature': 'sha256=AAAA' },
        ]);
      } else {
        body = JSON.stringify(valid);
        headers = signedHeaders(body);
      }
      const a = await send(port, '/webhook/agrenting/hiring', 'POST', body, headers);
      check(`body #${i} (kind ${kind})`, a);
      if (a.status === 200) {
        const id = (JSON.parse(a.text) as { data: { hiring_id: string } }).data.hiring_id;
        accepted.push(id);
        if (kind === 6 || kind === 8) unclear.push(`body #${i} (kind ${kind}) was accepted: ${id}`);
      }
    }
    for (const path of PATH_TRICKS) {
      const body = JSON.stringify(payload(`path-${accepted.length}`));
      for (const method of ['POST', 'GET', 'PUT', 'DELETE']) {
        const a = await send(port, path, method, method === 'GET' ? undefined : body, signedHeaders(body));
        check(`${method} ${path}`, a);
        // A path that normalises to the inbox is the inbox: what it accepts must be stored too.
        if (a.status === 200 && method === 'POST') {
          accepted.push((JSON.parse(a.text) as { data: { hiring_id: string } }).data.hiring_id);
        }
      }
    }

    // Whatever was accepted was stored; no unsafe id ever was.
    await waitFor('every accepted delivery to reach the store', () => accepted.every(stored), 10_000);
    for (const id of UNSAFE_IDS) expect(stored(id), `unsafe id ${JSON.stringify(id)} in the store`).toBe(false);
    // A valid delivery after all that still arrives.
    const last = JSON.stringify(payload('after-the-garbage'));
    const a = await send(port, '/webhook/agrenting/hiring', 'POST', last, signedHeaders(last));
    expect(a.status).toBe(200);
    await waitFor('the valid delivery in the store', () => stored('after-the-garbage'), 10_000);
    const health = await send(port, '/health', 'GET', undefined, {});
    expect(health.status).toBe(200);

    console.log(
      `[faults] fuzz-webhook: ${BODIES} bodies + ${PATH_TRICKS.length * 4} path/method tricks; statuses ${JSON.stringify(statuses)}; ${accepted.length} accepted and stored`,
    );
    expect(unclear).toEqual([]);
  });
});
