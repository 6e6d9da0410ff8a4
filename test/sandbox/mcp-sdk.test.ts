// Conformance with the official MCP SDK client over SSE, for each combination of
// the transport knobs (endpoint event form, POST answer form) and new-hiring status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_URI, TOOL, hiringUri } from '../../src/shared/protocol';
import { listedTool } from '../../src/shared/json-schema';
import { PLATFORM_TOOLS } from '../../src/shared/tools';
import type { Knobs, PlatformHiring, Sandbox } from '../../src/sandbox/index';
import { resourceJson, rest, sdkAgent, testSandbox, toolText, type SdkAgent } from './helpers';
import { waitFor } from '../support/wait';

const combos: Partial<Knobs>[] = [];
for (const endpointEvent of ['relative', 'absolute'] as const) {
  for (const postAnswer of ['accepted', 'body'] as const) {
    for (const newHiringStatus of ['in_progress', 'queued', 'paid'] as const) {
      combos.push({ endpointEvent, postAnswer, newHiringStatus });
    }
  }
}

describe.each(combos)('SDK client with knobs %o', (knobs) => {
  let sandbox: Sandbox;
  let agent: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let sdk: SdkAgent;

  beforeAll(async () => {
    sandbox = await testSandbox(knobs);
    agent = sandbox.registerAgent({ name: 'alice' });
    other = sandbox.registerAgent({ name: 'bob' });
    sdk = await sdkAgent(sandbox, agent.apiKey);
  });
  afterAll(async () => {
    await sdk.close();
    await sandbox.close();
  });

  it('handshakes with the documented capabilities, tools and prompt', async () => {
    expect(sdk.client.getServerCapabilities()).toMatchObject({
      tools: {},
      resources: { subscribe: true },
      prompts: {},
    });
    const { tools } = await sdk.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.values(TOOL).sort());
    for (const t of tools) {
      expect(t.inputSchema).toEqual(listedTool(PLATFORM_TOOLS.find((d) => d.name === t.name)!).inputSchema);
    }
    const { prompts } = await sdk.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['system-prompt']);
    const prompt = await sdk.client.getPrompt({ name: 'system-prompt' });
    expect(JSON.stringify(prompt.messages)).toContain('hiring://pending');
    await expect(sdk.client.getPrompt({ name: 'nope' })).rejects.toThrow(/Unknown prompt/);
  });

  it('notifies on hire, serves the hiring in hiring://pending and hiring://{id}', async () => {
    await sdk.client.subscribeResource({ uri: PENDING_URI });
    const before = sdk.updates.length;
    const hired = await rest(sandbox, 'POST', `/api/v1/agents/${agent.id}/hire`, sandbox.userToken, {
      task_description: 'Add a dark-mode toggle',
      price: '25.00',
    });
    expect(hired.status).toBe(201);
    const hiring = hired.json.data as PlatformHiring;
    expect(hiring.status).toBe(knobs.newHiringStatus);
    await waitFor('resources/updated', () => sdk.updates.length > before);
    expect(sdk.updates).toContain(PENDING_URI);
    expect(sandbox.hiring(hiring.id)?.probe).toMatchObject({ method: 'ping', ok: true });

    const pending = await sdk.client.readResource({ uri: PENDING_URI });
    const list = resourceJson<PlatformHiring[]>(pending);
    expect(pending.contents[0].mimeType).toBe('application/json');
    expect(list.map((h) => h.id)).toContain(hiring.id);
    expect(list.find((h) => h.id === hiring.id)).toMatchObject({
      status: knobs.newHiringStatus,
      task_description: 'Add a dark-mode toggle',
      price: '25.00',
      delivery_mode: 'output',
    });

    const one = await sdk.client.readResource({ uri: hiringUri(hiring.id) });
    expect(resourceJson(one)).toMatchObject({ id: hiring.id, agent_id: agent.id });
    await expect(sdk.client.readResource({ uri: hiringUri('no-such-hiring') })).rejects.toThrow(/not found/);
  });

  it('runs each tool, and reports unknown, foreign, terminal and malformed calls as isError', async () => {
    const h = await sandbox.hire(agent.id, { task_description: 'Write tests' });
    const foreign = await sandbox.hire(other.id, { task_description: 'Not for alice' });
    expect(foreign.status).toBe('failed'); // bob has no session and no callback_url

    const chunk = await sdk.client.callTool({
      name: TOOL.emitChunk,
      arguments: { hiring_id: h.id, content: 'working', kind: 'status' },
    });
    expect(chunk.isError).toBeFalsy();
    const msg = await sdk.client.callTool({
      name: TOOL.addMessage,
      arguments: { hiring_id: h.id, content: 'Which framework?', kind: 'question' },
    });
    expect(JSON.parse(toolText(msg))).toMatchObject({
      kind: 'question',
      sender_type: 'agent',
      content: 'Which framework?',
    });
    const done = await sdk.client.callTool({
      name: TOOL.submitResult,
      arguments: {
        hiring_id: h.id,
        output: { summary: 'done' },
        artifacts: [{ artifact_type: 'markdown', name: 'README.md', content: '# hi' }],
      },
    });
    expect(done.isError).toBeFalsy();
    expect(JSON.parse(toolText(done))).toMatchObject({
      id: h.id,
      status: 'completed',
      task_output: { summary: 'done' },
    });

    const again = await sdk.client.callTool({
      name: TOOL.submitResult,
      arguments: { hiring_id: h.id, output: 'again' },
    });
    expect(again.isError).toBe(true);
    expect(toolText(again)).toMatch(/already completed/);
    const unknown = await sdk.client.callTool({
      name: TOOL.addMessage,
      arguments: { hiring_id: 'nope', content: 'x' },
    });
    expect(unknown.isError).toBe(true);
    expect(toolText(unknown)).toMatch(/not found/);
    const notYours = await sdk.client.callTool({
      name: TOOL.emitChunk,
      arguments: { hiring_id: foreign.id, content: 'x' },
    });
    expect(notYours.isError).toBe(true);
    expect(toolText(notYours)).toMatch(/not assigned to this agent/);
    const bad = await sdk.client.callTool({ name: TOOL.reportFailure, arguments: { hiring_id: h.id } });
    expect(bad.isError).toBe(true);
    expect(toolText(bad)).toMatch(/Invalid arguments.*reason/);
    const noTool = await sdk.client.callTool({ name: 'delete_everything', arguments: {} });
    expect(noTool.isError).toBe(true);

    const view = sandbox.hiring(h.id);
    expect(view?.chunks).toEqual([expect.objectContaining({ content: 'working', kind: 'status' })]);
    expect(view?.artifacts[0]).toMatchObject({
      name: 'README.md',
      artifact_type: 'markdown',
      size_bytes: 4,
      content: '# hi',
    });
    expect(view?.deliveries.map((d) => `${d.tool}:${d.via}:${d.outcome}`)).toEqual([
      'task_emit_chunk:mcp:accepted',
      'add_hiring_message:mcp:accepted',
      'submit_hiring_result:mcp:accepted',
      'submit_hiring_result:mcp:rejected',
      'report_hiring_failure:mcp:rejected',
    ]);
  });

  it('fails a hiring on report_hiring_failure and refunds the hirer', async () => {
    const start = sandbox.inspect().balances.customers[sandbox.customerId];
    const h = await sandbox.hire(agent.id, { task_description: 'Impossible', price: '10.00' });
    expect(sandbox.inspect().balances.customers[sandbox.customerId]).not.toBe(start);
    const r = await sdk.client.callTool({
      name: TOOL.reportFailure,
      arguments: { hiring_id: h.id, reason: 'cannot', error: 'capability_mismatch' },
    });
    expect(r.isError).toBeFalsy();
    expect(sandbox.hiring(h.id)).toMatchObject({ status: 'failed', failedReason: 'capability_mismatch: cannot' });
    expect(sandbox.inspect().balances.customers[sandbox.customerId]).toBe(start);
    const pending = resourceJson<PlatformHiring[]>(await sdk.client.readResource({ uri: PENDING_URI }));
    expect(pending.map((p) => p.id)).not.toContain(h.id);
  });
});

describe('SDK client and server pings', () => {
  it('answers periodic pings (ping=interval)', async () => {
    const sandbox = await testSandbox({ ping: 'interval', pingIntervalMs: 30 });
    const agent = sandbox.registerAgent();
    const sdk = await sdkAgent(sandbox, agent.apiKey, 'bearer');
    const pings: { ok: boolean }[] = [];
    sandbox.events.on('session', (e: { type: string; ok: boolean }) => {
      if (e.type === 'ping') pings.push(e);
    });
    await waitFor('two answered pings', () => pings.filter((p) => p.ok).length >= 2);
    sandbox.knobs.ping = 'never';
    await sdk.close();
    await sandbox.close();
    expect(pings.every((p) => p.ok)).toBe(true);
  });

  it('ping=never: a live session counts as available without a ping', async () => {
    const sandbox = await testSandbox({ ping: 'never' });
    const agent = sandbox.registerAgent();
    const sdk = await sdkAgent(sandbox, agent.apiKey);
    const h = await sandbox.hire(agent.id, { task_description: 'x' });
    expect(h.status).toBe('in_progress');
    expect(sandbox.hiring(h.id)?.probe).toMatchObject({ method: 'session', ok: true });
    await sdk.close();
    await sandbox.close();
  });
});
