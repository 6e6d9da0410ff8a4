// Malformed JSON-RPC from clients: POSTed to the relay's Streamable HTTP /mcp
// (with and without a session), to its legacy /mcp/messages/<id>, and to the
// sandbox's /mcp/messages/<id>. Never a 5xx, always an error a person can read
// (HTTP 4xx with a message, or a JSON-RPC error with a message), the servers
// keep answering valid requests, and a hiring made after the garbage is worked
// and delivered exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../src/relay/relay';
import type { Sandbox } from '../../src/sandbox/index';
import { createLogger } from '../../src/shared/log';
import { RawSseClient, initializeBody, key, streamableClient } from '../downstream/helpers';
import { tempDir } from '../inbox/helpers';

import { quietSandbox, startCallbackServer } from '../upstream/helpers';
import { hostileBody, type Json } from '../support/fuzz';
import { readLedger, describeVerdicts } from '../support/ledger';
import { envInt, faultSeed, fork, pick } from '../support/seed';
import { startWorker, type Worker } from '../support/worker';
import { waitFor } from '../support/wait';

const BODIES = envInt('FUZZ_RPC_BODIES', 150);

const VALID_CALL: { [k: string]: Json } = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'submit_hiring_result', arguments: { hiring_id: 'nope', output: { summary: 'x' } } },
};
const VALID_READ: { [k: string]: Json } = {
  jsonrpc: '2.0',
  id: 8,
  method: 'resources/read',
  params: { uri: 'hiring://pending' },
};

/** Every JSON-RPC message in a body: plain JSON (one or a batch) or SSE `data:` lines. */
function messagesIn(text: string): unknown[] {
  const parts = text.includes('data:')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
    : [text];
  return parts.flatMap((p) => {
    try {
      const v: unknown = JSON.parse(p);
      return Array.isArray(v) ? v : [v];
    } catch {
      return [];
    }
  });
}

/** Why an answer is not a clear error (undefined when it is fine). */
export function unclear(status: number, text: string): string | undefined {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  const msgs = messagesIn(text) as { error?: { message?: unknown }; errors?: { message?: unknown }[] }[];
  if (status >= 400) {
    const m = msgs[0]?.error?.message ?? msgs[0]?.errors?.[0]?.message;
    return typeof m === 'string' && m.trim().length > 0
      ? undefined
      : `answered ${status} without a message: ${text.slice(0, 200)}`;
  }
  const silent = msgs.find(
    (m) =>
      m &&
      typeof m === 'object' &&
      'error' in m &&
      !(typeof m.error?.message === 'string' && m.error.message.length > 0),
  );
  return silent ? `a JSON-RPC error without a message: ${JSON.stringify(silent).slice(0, 200)}` : undefined;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

describe('fuzzing JSON-RPC sent to the relay and the sandbox', () => {
  const seed = faultSeed('fuzz-rpc');
  const state = tempDir('faults-fuzz-rpc-');
  let sb: Sandbox;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let relay: Relay;
  let worker: Worker | undefined;
  let agent: { id: string; apiKey: string };
  const problems: string[] = [];

  beforeAll(async () => {
    sb = await quietSandbox({ postAnswer: 'body', rateLimitPerMinute: 0 });
    callback = await startCallbackServer();
    agent = sb.registerAgent({ name: 'fuzz agent', metadata: { callback_url: callback.url } });
    relay = await startRelay({
      agents: [{ name: 'fz', baseUrl: sb.url, apiKey: agent.apiKey, agentId: agent.id }],
      stateDir: state.dir,
      port: 0,
      review: 'off',
      durable: false,
      keepAliveMs: 0,
      logger: createLogger('relay', { level: 'error', sink: (line) => problems.push(line) }),
    });
    worker = startWorker({ locate: () => ({ url: relay.url, token: relay.tokens.workerTokens.fz }), pollMs: 300 });
  });

  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await callback?.close();
    await sb?.close();
    state.cleanup();
  });

  it(`answers ${BODIES} hostile bodies per endpoint with clear errors and keeps serving`, async () => {
    const rand = fork(seed, 1);
    const token = relay.tokens.workerTokens.fz;
    const json = {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'X-API-Key': token,
    };
    // A Streamable HTTP session to aim garbage at.
    const init = await fetch(`${relay.url}/mcp`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(initializeBody('2025-03-26')),
    });
    await init.text();
    const sid = init.headers.get('mcp-session-id');
    expect(sid).toBeTruthy();
    await post(`${relay.url}/mcp`, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
      ...json,
      'mcp-session-id': String(sid),
    });
    const legacy = new RawSseClient(relay.url, key(token));
    await legacy.open();
    const platform = new RawSseClient(sb.url, key(agent.apiKey));
    await platform.open();

    const targets: { name: string; send: (body: string) => Promise<{ status: number; text: string }> }[] = [
      { name: 'relay /mcp (no session)', send: (b) => post(`${relay.url}/mcp`, b, json) },
      {
        name: 'relay /mcp (session)',
        send: (b) =>
          post(`${relay.url}/mcp`, b, {
            ...json,
            'mcp-session-id': String(sid),
            ...(rand() < 0.2
              ? { 'Content-Type': pick(rand, ['text/plain', 'application/x-www-form-urlencoded', '']) }
              : {}),
          }),
      },
      { name: 'relay /mcp/messages', send: (b) => legacy.post(b) },
      { name: 'sandbox /mcp/messages', send: (b) => platform.post(b) },
    ];
    const unclearAnswers: string[] = [];
    const statuses: Record<string, Record<number, number>> = {};
    for (const t of targets) {
      statuses[t.name] = {};
      for (let i = 0; i < BODIES; i++) {
        const body = hostileBody(rand, rand() < 0.5 ? VALID_CALL : VALID_READ);
        const a = await t.send(body);
        statuses[t.name][a.status] = (statuses[t.name][a.status] ?? 0) + 1;
        const why = unclear(a.status, a.text);
        if (why) unclearAnswers.push(`${t.name} ← ${JSON.stringify(body.slice(0, 120))}: ${why}`);
      }
    }
    console.log(
      `[faults] fuzz-rpc: ${BODIES} bodies × ${targets.length} endpoints; statuses ${JSON.stringify(statuses)}`,
    );
    expect(unclearAnswers).toEqual([]);

    // Still serving: the same sessions answer valid requests.
    const ok = await post(`${relay.url}/mcp`, JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'tools/list' }), {
      ...json,
      'mcp-session-id': String(sid),
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('submit_hiring_result');
    expect((await legacy.call('ping')).result).toEqual({});
    expect((await platform.call('ping')).result).toEqual({});
    const fresh = await streamableClient(relay.url, key(token));
    expect((await fresh.client.listTools()).tools.length).toBeGreaterThan(3);
    await fresh.close();
    legacy.close();
    platform.close();

    // Nothing lost: work made after the garbage goes through once.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await sb.hire(agent.id, { task_description: `after the garbage #${i}`, price: '1.00' })).id);
    }
    await waitFor(
      'hirings made after the garbage to complete',
      () => ids.every((id) => sb.hiring(id)?.status === 'completed'),
      20_000,
    );
    const ledger = readLedger(sb, ids);
    expect(ledger.lost, describeVerdicts(ledger.lost)).toEqual([]);
    expect(ledger.doubled, describeVerdicts(ledger.doubled)).toEqual([]);
    expect(problems, 'errors the relay logged').toEqual([]);
  });
});
