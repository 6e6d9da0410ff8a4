// The SDK client over Streamable HTTP at /mcp: what the extension and modern agents see.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallToolResultSchema, type Resource } from '@modelcontextprotocol/sdk/types.js';
import {
  TOKENS,
  initializeBody,
  jsonOf,
  key,
  rawRequest,
  resourceJson,
  startTestRelay,
  streamableClient,
  type TestRelay,
} from './helpers';
import { waitFor } from '../support/wait';

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
  t.core.addHiring('alpha', {
    id: 'h-push',
    delivery_mode: 'push',
    task_input: {
      delivery_mode: 'push',
      repo_url: 'https://git.example/o/r.git',
      repo_access_token: 'ghs_secretrepotoken1234567890',
    },
  });
  t.core.addHiring('alpha', { id: 'h-done', status: 'completed' });
  t.core.addHiring('beta', { id: 'h-beta' });
});

afterAll(async () => {
  await t.server.close();
});

describe('Streamable HTTP /mcp with the SDK client', () => {
  it('initializes with tools, subscribable resources and prompts', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const caps = c.client.getServerCapabilities();
      expect(caps?.tools).toBeDefined();
      expect(caps?.resources?.subscribe).toBe(true);
      expect(caps?.prompts).toBeDefined();
      expect(c.client.getServerVersion()?.version).toBe('0.1.0-test');
    } finally {
      await c.close();
    }
  });

  it('serves hiring://pending platform-shaped, without the repository token, with a relay object', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const read = await c.client.readResource({ uri: 'hiring://pending' });
      expect(read.contents[0]?.mimeType).toBe('application/json');
      expect(JSON.stringify(read)).not.toContain('ghs_secretrepotoken');
      const pending = resourceJson<Record<string, unknown>[]>(read);
      expect(pending.map((h) => h.id).sort()).toEqual(['h-beta', 'h-push']);
      const push = pending.find((h) => h.id === 'h-push')!;
      expect(push.repo_url).toBe('https://git.example/o/r.git');
      expect(push.repo_access_token).toBeNull();
      expect(push.relay).toMatchObject({
        agent: 'alpha',
        phase: 'new',
        submissions: [],
        chunks: [],
        relayMessages: [],
      });
    } finally {
      await c.close();
    }
  });

  it('serves one hiring at hiring://{id}, history included, and a JSON-RPC error for an unknown id', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const done = resourceJson<Record<string, unknown>>(await c.client.readResource({ uri: 'hiring://h-done' }));
      expect(done).toMatchObject({ id: 'h-done', status: 'completed', relay: { agent: 'alpha' } });
      await expect(c.client.readResource({ uri: 'hiring://nope' })).rejects.toThrow(/nope/);
      await expect(c.client.readResource({ uri: 'ftp://elsewhere' })).rejects.toThrow(/Unknown resource/);
      const templates = await c.client.listResourceTemplates();
      expect(templates.resourceTemplates.map((r) => r.uriTemplate)).toEqual([
        'hiring://pending{?since}',
        'hiring://{id}',
        'run://{hiring_id}/log',
      ]);
      const list = await c.client.listResources();
      const uris = list.resources.map((r: Resource) => r.uri);
      expect(uris).toEqual(
        expect.arrayContaining([
          'hiring://pending',
          'relay://hirings',
          'relay://status',
          'review://queue',
          'hiring://h-push',
        ]),
      );
      expect(uris).not.toContain('hiring://h-done');
    } finally {
      await c.close();
    }
  });

  it('serves relay://hirings (all, history included), relay://status and review://queue', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const all = resourceJson<
        { hiring: { id: string; repo_access_token: unknown; task_input: Record<string, unknown> } }[]
      >(await c.client.readResource({ uri: 'relay://hirings' }));
      expect(all.map((v) => v.hiring.id).sort()).toEqual(['h-beta', 'h-done', 'h-push']);
      const push = all.find((v) => v.hiring.id === 'h-push')!;
      expect(push.hiring.repo_access_token).toBeNull();
      expect(push.hiring.task_input.repo_access_token).toBeUndefined();
      const status = resourceJson<{ links: unknown[]; version: string }>(
        await c.client.readResource({ uri: 'relay://status' }),
      );
      expect(status.version).toBe('0.1.0-test');
      expect(status.links).toHaveLength(2);
      expect(resourceJson(await c.client.readResource({ uri: 'review://queue' }))).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('lists all ten tools for the operator with the platform input schemas', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    try {
      const { tools } = await c.client.listTools();
      expect(tools.map((x) => x.name).sort()).toEqual(
        [
          'add_hiring_message',
          'approve_submission',
          'claim_hiring',
          'prepare_workspace',
          'reject_submission',
          'report_hiring_failure',
          'start_run',
          'stop_run',
          'submit_hiring_result',
          'task_emit_chunk',
        ].sort(),
      );
      const submit = tools.find((x) => x.name === 'submit_hiring_result')!;
      expect(submit.inputSchema.required).toEqual(['hiring_id', 'output']);
    } finally {
      await c.close();
    }
  });

  it('submits a result into the review queue and returns the Submission as JSON', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const result = await c.client.callTool({
        name: 'submit_hiring_result',
        arguments: { hiring_id: 'h-push', output: { summary: 'fixed' } },
      });
      expect(result.isError).toBeFalsy();
      const sub = jsonOf<{ id: string; state: string; hiringId: string; submittedBy: string }>(result);
      expect(sub).toMatchObject({ state: 'awaiting_review', hiringId: 'h-push', submittedBy: 'alpha' });
      expect(t.core.submissions.get(sub.id)?.result?.output).toEqual({ summary: 'fixed' });
    } finally {
      await c.close();
    }
  });

  it('sends progress notifications during prepare_workspace when the client asks for them', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const progress: string[] = [];
      const result = await c.client.callTool(
        { name: 'prepare_workspace', arguments: { hiring_id: 'h-push' } },
        CallToolResultSchema,
        {
          onprogress: (p) => progress.push(p.message ?? ''),
        },
      );
      expect(jsonOf(result)).toMatchObject({ branch: 'agrenting/h-push', baseBranch: 'main' });
      expect(progress).toEqual(['cloning the repository', 'creating the branch', 'workspace ready']);
    } finally {
      await c.close();
    }
  });

  it('serves the system prompt', async () => {
    const c = await streamableClient(t.server.url, key(TOKENS.workers.alpha));
    try {
      const { prompts } = await c.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['system-prompt']);
      const p = await c.client.getPrompt({ name: 'system-prompt' });
      expect(p.messages[0]?.content).toEqual({ type: 'text', text: 'You are an agent working Agrenting hirings.' });
      await expect(c.client.getPrompt({ name: 'other' })).rejects.toThrow(/Unknown prompt/);
    } finally {
      await c.close();
    }
  });

  it('ends the session on DELETE', async () => {
    const before = t.server.sessionCount();
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    expect(t.server.sessionCount()).toBe(before + 1);
    const transport = c.client.transport as unknown as { terminateSession(): Promise<void>; sessionId?: string };
    const sid = transport.sessionId!;
    await transport.terminateSession();
    await waitFor('the session to end', () => t.server.sessionCount() === before);
    const after = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers: {
        ...key(TOKENS.operator),
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sid,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body)).toMatchObject({ error: { code: -32001 } });
    await c.close();
  });

  it('answers protocolVersion 2024-11-05 to an old client', async () => {
    const res = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers: {
        ...key(TOKENS.operator),
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(initializeBody('2024-11-05')),
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('"protocolVersion":"2024-11-05"');
    const sid = String(res.headers['mcp-session-id']);
    const del = await rawRequest(`${t.server.url}/mcp`, {
      method: 'DELETE',
      headers: { ...key(TOKENS.operator), 'Mcp-Session-Id': sid },
    });
    expect(del.status).toBe(200);
  });

  it('refuses a request without a session that is not initialize, and a malformed body, without crashing', async () => {
    const headers = {
      ...key(TOKENS.operator),
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    };
    const noSession = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    expect(JSON.parse(noSession.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { message: expect.stringMatching(/initialize/) },
    });
    const bad = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers,
      body: '{"jsonrpc": "2.0", "id": 1, "method": ',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    const unknown = await rawRequest(`${t.server.url}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'Mcp-Session-Id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    // and the server still works
    const c = await streamableClient(t.server.url, key(TOKENS.operator));
    expect((await c.client.listTools()).tools.length).toBe(10);
    await c.close();
  });
});

describe('Streamable HTTP notification stream', () => {
  it('sends keep-alive comments on the GET stream', async () => {
    const k = await startTestRelay({ keepAliveMs: 20 });
    try {
      const headers = {
        ...key(TOKENS.operator),
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      };
      const init = await rawRequest(`${k.server.url}/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify(initializeBody('2025-06-18')),
      });
      const sid = String(init.headers['mcp-session-id']);
      const seen = await new Promise<string>((resolve, reject) => {
        let text = '';
        const req = httpRequest(
          `${k.server.url}/mcp`,
          { headers: { ...key(TOKENS.operator), Accept: 'text/event-stream', 'Mcp-Session-Id': sid } },
          (res) => {
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
              if (text.includes(': keepalive')) {
                req.destroy();
                resolve(text);
              }
            });
            res.on('error', () => undefined);
          },
        );
        req.on('error', (e) => {
          if (!req.destroyed) reject(e);
        });
        req.end();
      });
      expect(seen).toContain(': keepalive');
    } finally {
      await k.server.close();
    }
  });
});
