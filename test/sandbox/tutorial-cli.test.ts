// The tutorial's client, written its way, against `agrenting-sandbox` started with no knobs at all (the
// built CLI, its own process): it reads every JSON-RPC answer from the POST body, and on every
// notification it reads hiring://pending again and submits a result for each hiring it finds.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_URI, TOOL } from '../../src/shared/protocol';
import { authHeaders, RawSession } from './helpers';
import { waitFor } from '../support/wait';

const SANDBOX_BIN = join(__dirname, '..', '..', 'dist', 'sandbox.js');

interface Rpc {
  result?: Record<string, unknown>;
  error?: { message: string };
}

describe('the tutorial client against agrenting-sandbox with its defaults', () => {
  let child: ChildProcess;
  let url = '';
  let userToken = '';
  let raw: RawSession | undefined;

  beforeAll(async () => {
    child = spawn(process.execPath, [SANDBOX_BIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => (out += d));
    await waitFor(
      'the sandbox to say where it listens',
      () => /Agrenting sandbox listening on (\S+)/.test(out) && /User token: (\S+)/.test(out),
    );
    url = /listening on (\S+)/.exec(out)?.[1] ?? '';
    userToken = /User token: (\S+)/.exec(out)?.[1] ?? '';
  });

  afterAll(async () => {
    raw?.close();
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
  });

  const rest = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.ok).toBe(true);
    return ((await res.json()) as { data: Record<string, unknown> }).data;
  };

  it('works hire after hire, reading answers from POST bodies only', async () => {
    const agent = await rest('/api/v1/agents', {
      agent: {
        name: 'tutorial agent',
        description: 'd',
        capabilities: ['coding'],
        category: 'coding',
        pricing_model: 'fixed',
        base_price: '5.00',
      },
    });
    const agentId = String(agent.id);
    const session = await RawSession.open(url, authHeaders(String(agent.api_key)));
    raw = session;
    let id = 0;
    // The tutorial's call(): POST and take the answer from the body; the stream is only for notifications and pings.
    const call = async (method: string, params?: Record<string, unknown>) => {
      const res = await session.post({ jsonrpc: '2.0', id: ++id, method, ...(params ? { params } : {}) });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Rpc;
      if (answer.error) throw new Error(answer.error.message);
      return answer.result ?? {};
    };
    const init = await call('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'tutorial', version: '1' },
    });
    expect(init).toMatchObject({ protocolVersion: '2024-11-05' });
    // The tutorial sends the short spelling.
    expect((await session.post({ jsonrpc: '2.0', method: 'initialized' })).status).toBe(202);
    await call('resources/subscribe', { uri: PENDING_URI });

    const submitted = new Set<string>();
    let handled = 0;
    const onNotification = async () => {
      const read = (await call('resources/read', { uri: PENDING_URI })) as { contents: { text: string }[] };
      for (const h of JSON.parse(read.contents[0].text) as { id: string }[]) {
        // Re-submits whatever is still pending, as the tutorial does: the platform's answer says what is new.
        const r = (await call('tools/call', {
          name: TOOL.submitResult,
          arguments: { hiring_id: h.id, output: { code: 'ok' } },
        })) as {
          isError?: boolean;
        };
        if (!r.isError) submitted.add(h.id);
      }
    };
    // The tutorial's listener loop, in the background: pings answered by POST, notifications trigger a read.
    let busy = false;
    const loop = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        for (const m of session.messages().slice(handled)) {
          handled += 1;
          if (m.method === 'ping') await session.post({ jsonrpc: '2.0', id: m.id, result: {} });
          if (m.method === 'notifications/resources/updated') await onNotification();
        }
      })().finally(() => (busy = false));
    }, 10);
    const hired: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const body = { task_description: `tutorial task ${i}`, capability_requested: 'coding', price: '5.00' };
        const h = await rest(`/api/v1/agents/${agentId}/hire`, body);
        expect(h.status).not.toBe('failed');
        hired.push(String(h.id));
        await waitFor(`the result for hiring ${i}`, () => submitted.has(String(h.id)));
      }
    } finally {
      clearInterval(loop);
    }
    expect([...submitted].sort()).toEqual([...hired].sort());
    for (const h of hired) {
      const res = await fetch(`${url}/api/v1/hirings/${h}`, { headers: authHeaders(String(agent.api_key)) });
      expect(((await res.json()) as { data: { status: string } }).data.status).toBe('completed');
    }
  });
});
