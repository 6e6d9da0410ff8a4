// VS Code 1.101+ only (vitest.config.ts leaves this file out of runs on older ones;
// run.sh says so): VS Code's own MCP client, the path Copilot agent mode takes,
// uses the relay. Our extension's MCP server definition provider offers the relay;
// the person sees it in MCP: List Servers and starts it; its tools appear in
// vscode.lm.tools. A test-only extension (vscode-agent/) then acts as a VS Code agent:
// it reads the pending hirings and calls claim_hiring and submit_hiring_result with
// vscode.lm.invokeTool, and the person allows each call in VS Code's dialog. The
// person approves the submission in the sidebar; the sandbox records the result.
// A new worker token (relay restart) reaches VS Code through onDidChangeMcpServerDefinitions.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serverName } from '../../src/extension/view-models/mcp-config';
import { readRelayFile } from '../../src/relay/relay-file';
import { TOOL } from '../../src/shared/protocol';
import { RELAY_TOOLS } from '../../src/shared/tools';
import { AGENT_NAME, extensionOutput, startStack, type Stack } from './stack';
import { AGENT_DIR_ENV, AGENT_EXTENSION_ID, buildAgentVsix } from './vscode-agent/build';
import { connectVsCodeAgent, type LmTool, type VsCodeAgent } from './vscode-agent/client';
import { eventually, type Workbench } from './workbench';

let stack: Stack;
let wb: Workbench;
let agent: VsCodeAgent;
let workDir: string;

/** The label our provider gives the relay's server for the agent (mcp-provider.ts). */
const SERVER = `Agrenting relay (${serverName(AGENT_NAME)})`;
/** The relay's tools for a worker: the platform's four and the relay's two. */
const WORKER_TOOLS: string[] = Object.values(RELAY_TOOLS)
  .filter((t) => !('operatorOnly' in t && t.operatorOnly))
  .map((t) => t.name);
const TITLE = { first: 'Summarize the release notes', second: 'List the open TODOs' };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const workerToken = () => {
  const info = readRelayFile(stack.stateDir);
  const token = info?.workerTokens[AGENT_NAME];
  if (!info || !token) throw new Error(`no relay.json with a worker token for ${AGENT_NAME} in ${stack.stateDir}`);
  return token;
};

/** The tool VS Code lists for one of the relay's tools (VS Code prefixes MCP tool names per server). */
let lmTools: LmTool[] = [];
function tool(relayName: string): string {
  const t = lmTools.find((x) => x.name.endsWith(relayName) && x.tags.includes('mcp'));
  if (!t) throw new Error(`VS Code lists no MCP tool for ${relayName}: ${lmTools.map((x) => x.name).join(', ')}`);
  return t.name;
}

/** Calls a tool as an agent does, and allows the call in VS Code's dialog as the person does. */
async function invokeAllowed(
  relayName: string,
  input: Record<string, unknown>,
  screenshot: string,
): Promise<{ dialog: string; value: unknown }> {
  const pending = agent.invoke(tool(relayName), input);
  const dialog = await wb.answerDialog('Yes', screenshot);
  const res = await pending;
  if (res.error !== undefined || res.text === undefined) {
    throw new Error(`${relayName} through vscode.lm.invokeTool failed: ${res.error}`);
  }
  return { dialog, value: JSON.parse(res.text) as unknown };
}

/** Each step builds on the one before: after a failure the rest say so instead of failing on their own. */
let failedStep: string | undefined;
function step(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    if (failedStep) throw new Error(`not tried: the step "${failedStep}" failed before it`);
    await fn();
  });
}

const recorded = (id: string) => {
  const h = stack.sandbox.hiring(id);
  if (!h) throw new Error(`the sandbox has no hiring ${id}`);
  return h;
};

describe(`VS Code 1.101+ only: VS Code's own MCP client (Copilot agent mode's path) uses the relay`, () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'agrenting-e2e-agent-'));
    const vsix = await buildAgentVsix(workDir);
    stack = await startStack({
      extraVsix: [vsix],
      env: { [AGENT_DIR_ENV]: workDir },
      // The agent reads the definitions VS Code holds (a proposed API) to see the token change.
      args: ['--enable-proposed-api', AGENT_EXTENSION_ID],
      // The person starts the server from MCP: List Servers.
      settings: { 'chat.mcp.autostart': 'never' },
    });
    wb = stack.wb;
    agent = await connectVsCodeAgent(workDir);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !stack || failedStep) return;
    failedStep = ctx.task.name;
    await wb.screenshot(`FAILED-${ctx.task.name}`).catch(() => undefined);
    process.stderr.write(`\n=== diagnostics after "${ctx.task.name}" ===\n${await stack.diagnostics()}\n`);
  });

  afterAll(async () => {
    await stack?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  step('offers the relay as an MCP server: VS Code accepts the provider and MCP: List Servers shows it', async () => {
    const log = await eventually('the extension to offer the relay to VS Code', async () => {
      const out = await extensionOutput(stack.codeServer.userDataDir);
      return out.includes('offered the relay to Copilot agent mode as an MCP server') ? out : undefined;
    });
    expect(log).not.toContain('refused the MCP server definition provider');
    await wb.runCommand('MCP: List Servers');
    await wb.page
      .locator('.quick-input-list .monaco-list-row', { hasText: SERVER })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('mcp-list-servers');
  });

  step("VS Code starts the relay's server; its tools appear in vscode.lm.tools", async () => {
    await wb.pick(SERVER);
    await wb.screenshot('mcp-server-actions');
    await wb.pick('Start Server');
    let seen: LmTool[] = [];
    lmTools = await eventually(
      'the relay tools in vscode.lm.tools',
      async () => {
        const all = (seen = await agent.tools());
        const mcp = all.filter((t) => t.tags.includes('mcp'));
        return WORKER_TOOLS.every((n) => mcp.some((t) => t.name.endsWith(n))) ? mcp : undefined;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; vscode.lm.tools held: ${JSON.stringify(seen.map((t) => [t.name, t.tags]))}`);
    });
    process.stdout.write(`vscode.lm.tools from the relay: ${lmTools.map((t) => t.name).join(', ')}\n`);
    await wb.runCommand('MCP: List Servers');
    await wb.pick(SERVER);
    await wb.pick('Show Output');
    await wb.screenshot('mcp-server-started');
  });

  let firstId = '';

  step('reads the pending hirings through VS Code (MCP: Browse Resources)', async () => {
    await wb.dismissQuickInput();
    firstId = (
      await stack.sandbox.hire(stack.agent.id, {
        task_description: TITLE.first,
        price: '30.00',
        capability_requested: 'coding',
      })
    ).id;
    await wb.showViewContainer('Agrenting');
    await wb.treeItem(TITLE.first).waitFor({ state: 'visible', timeout: 30_000 });
    await wb.runCommand('MCP: Browse Resources...');
    await wb.screenshot('mcp-browse-resources');
    await wb.pick('Pending hirings');
    const doc = await eventually('the pending hirings resource to open in an editor', async () => {
      const d = await agent.editor();
      return d.text?.includes(firstId) ? d : undefined;
    });
    expect(doc.scheme).toBe('mcp-resource');
    const pending = JSON.parse(doc.text ?? '[]') as { id: string; status?: string }[];
    expect(pending.map((h) => h.id)).toContain(firstId);
    // The agent reads the same resource through VS Code's file system for MCP resources.
    expect(JSON.parse(await agent.read(doc.uri ?? '')).map((h: { id: string }) => h.id)).toContain(firstId);
    await wb.screenshot('mcp-pending-hirings');
  });

  step('claims the hiring with claim_hiring through vscode.lm.invokeTool; the person allows the call', async () => {
    const { dialog, value } = await invokeAllowed(
      RELAY_TOOLS.claim_hiring.name,
      { hiring_id: firstId },
      'mcp-allow-claim',
    );
    expect(dialog).toContain(RELAY_TOOLS.claim_hiring.name);
    expect(value).toMatchObject({ hiring: { id: firstId }, claimedBy: AGENT_NAME });
    await wb.hiringInGroup(TITLE.first, 'In progress');
    await wb.screenshot('mcp-claimed');
  });

  const output = {
    summary: 'Three fixes and one new command',
    highlights: ['Copy MCP Config', 'push to any git host'],
  };

  step('submits a result with submit_hiring_result; it shows under Awaiting review', async () => {
    const { value } = await invokeAllowed(TOOL.submitResult, { hiring_id: firstId, output }, 'mcp-allow-submit');
    expect(value).toMatchObject({ state: 'awaiting_review' });
    await wb.showViewContainer('Agrenting');
    await wb.hiringInGroup(TITLE.first, 'Awaiting review');
    await wb.shownExpanded(TITLE.first, /Result by/);
    expect(recorded(firstId).status).toBe('in_progress');
    await wb.screenshot('mcp-submission-awaiting-review');
  });

  step('the person approves it in the sidebar; the sandbox records the result', async () => {
    const row = wb.treeItem(new RegExp(`^${TITLE.first}`));
    await row.hover();
    await row.locator('.action-label[aria-label="Approve Submission"]').click({ timeout: 10_000 });
    const done = await eventually('the sandbox to record the approved result', () =>
      recorded(firstId).status === 'completed' ? recorded(firstId) : undefined,
    );
    expect(done.output).toEqual(output);
    await wb.hiringInGroup(TITLE.first, 'Done');
    await wb.screenshot('mcp-approved-in-sidebar');
  });

  step(
    'a new worker token reaches VS Code through onDidChangeMcpServerDefinitions; tool calls still work',
    async () => {
      const old = workerToken();
      const held = async () => (await agent.definitions()).definitions?.find((d) => d.label === SERVER);
      expect((await held())?.apiKeySha256).toBe(sha256(old));
      const changesBefore = (await agent.definitions()).definitionChanges;
      const fresh = `rwk_e2e_${randomBytes(18).toString('base64url')}`;
      const before = stack.relay.url;
      // While the relay is down (relay.json gone) the extension offers no server and VS Code drops it,
      // ending the old connection. (Were the new relay up first, VS Code's old connection would meet it
      // with the old token, get 401 and start an OAuth sign-in: see test/e2e/README.md.)
      await stack.restartRelay({
        workerToken: fresh,
        whileStopped: async () => {
          await eventually(
            'VS Code to drop the server while the relay is down',
            async () => (await held()) === undefined,
            30_000,
          );
        },
      });
      // Only the token changed: the extension must tell VS Code although the server's URL did not.
      expect(stack.relay.url).toBe(before);
      expect(workerToken()).toBe(fresh);
      await eventually(
        'VS Code to hold the definition with the new token',
        async () => (await held())?.apiKeySha256 === sha256(fresh),
        60_000,
      );
      expect((await agent.definitions()).definitionChanges).toBeGreaterThan(changesBefore);
      const secondId = (
        await stack.sandbox.hire(stack.agent.id, {
          task_description: TITLE.second,
          price: '15.00',
          capability_requested: 'coding',
        })
      ).id;
      await wb.showViewContainer('Agrenting');
      await wb.treeItem(TITLE.second).waitFor({ state: 'visible', timeout: 30_000 });
      const { value } = await invokeAllowed(
        RELAY_TOOLS.claim_hiring.name,
        { hiring_id: secondId },
        'mcp-allow-claim-after-token-change',
      );
      expect(value).toMatchObject({ hiring: { id: secondId }, claimedBy: AGENT_NAME });
      await wb.hiringInGroup(TITLE.second, 'In progress');
      await wb.screenshot('mcp-after-token-change');
    },
  );
});
