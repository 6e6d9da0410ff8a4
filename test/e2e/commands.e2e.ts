// The getting-connected commands in a real window, started from nothing: no relay runs and no key is set.
// Use Sandbox from the welcome view (the extension starts its own relay with the embedded marketplace);
// Register Agent against the suite's sandbox (the user token typed into a password box; the agent key goes to
// SecretStorage and the relay restarts on it); Set Agent Key with another agent's key; Copy MCP Config (the
// clipboard holds a claude mcp add line and an mcpServers JSON with the relay's URL and worker token). After
// each, settings.json, the workspace and the relay's log hold no key.
import { readFile, readdir, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRelayFile } from '../../src/relay/relay-file';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { memoryLogger } from '../../src/shared/log';
import { startCodeServer, type CodeServer } from './code-server';
import { E2E_SANDBOX_KNOBS, VSIX, ownRelaySettings, stopDetachedRelay } from './stack';
import { currentVsCode } from './vscode-version';
import { eventually, launchBrowser, Workbench } from './workbench';

let sandbox: Sandbox;
let codeServer: CodeServer;
let browser: Browser;
let wb: Workbench;
let root: string;
let stateDir: string;
let project: string;
const secrets: { what: string; value: string }[] = [];

/** Every file under a folder, read byte for byte (latin1), so a key inside a binary file (SQLite) is found too. */
async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push({ path: p, text: await readFile(p, 'latin1').catch(() => '') });
  }
  return out;
}

/** The shape of a sandbox agent key: catches the key Register Agent received, which the test never sees. */
const AGENT_KEY = /\bagk_[A-Za-z0-9_-]{20,}/;

/**
 * settings.json and the rest of VS Code's user data (its logs and state included), the workspace folder and
 * every relay log hold none of the keys used so far, nor anything shaped like an agent key.
 */
async function noKeyOnDisk(): Promise<void> {
  const files = [
    ...(await filesUnder(codeServer.userDataDir)),
    ...(await filesUnder(project)),
    ...(await filesUnder(stateDir)).filter((f) => f.path.endsWith('.log')),
  ];
  expect(files.some((f) => f.path.endsWith('settings.json'))).toBe(true);
  expect(files.some((f) => f.path.endsWith('.log') && f.path.startsWith(stateDir))).toBe(true);
  const leaks = files.flatMap((f) => [
    ...secrets.filter((s) => f.text.includes(s.value)).map((s) => `${f.path} holds ${s.what}`),
    ...(AGENT_KEY.test(f.text) ? [`${f.path} holds an agent key`] : []),
  ]);
  expect(leaks).toEqual([]);
}

/** A session of this agent opened by the relay on the suite's sandbox. */
const sessionFor = (agentId: string) =>
  sandbox.inspect().sessions.some((s) => s.agentId === agentId && s.initialized && s.subscriptions.length > 0);

beforeAll(async () => {
  const target = currentVsCode();
  root = await mkdtemp(join(tmpdir(), 'agrenting-e2e-commands-'));
  stateDir = join(root, 'relay-state');
  project = join(root, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'NOTES.md'), '# My project\n');
  sandbox = await startSandbox({
    log: memoryLogger('sandbox'),
    knobs: E2E_SANDBOX_KNOBS,
  });
  secrets.push({ what: 'the user token', value: sandbox.userToken });
  codeServer = await startCodeServer({
    target,
    vsix: VSIX,
    open: project,
    settings: await ownRelaySettings(stateDir, sandbox.url),
  });
  browser = await launchBrowser();
  wb = await Workbench.open(browser, codeServer.url, join(target.resultsDir, 'commands'));
  await wb.page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: codeServer.url });
}, 240_000);

afterAll(async () => {
  for (const dir of [stateDir, join(stateDir, 'sandbox')]) stopDetachedRelay(dir);
  await browser?.close().catch(() => undefined);
  await codeServer?.stop().catch(() => undefined);
  await sandbox?.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true }).catch(() => undefined);
});

describe('getting connected, in a real window', () => {
  it('starts from the welcome view and Use Sandbox brings demo hirings', async () => {
    await wb.showViewContainer('Agrenting');
    const welcome = wb.page.locator('.welcome-view-content', { hasText: 'No account yet?' });
    await welcome.waitFor({ state: 'visible', timeout: 60_000 });
    await wb.screenshot('welcome-view');
    await welcome.locator('.monaco-button', { hasText: 'Use Sandbox' }).click();
    const hiring = wb.page.locator('.part.sidebar .monaco-list-row', { hasText: '$' }).first();
    await hiring.waitFor({ state: 'visible', timeout: 90_000 });
    await wb.screenshot('sandbox-hirings');
    await noKeyOnDisk();
  });

  it('registers an agent with a user token typed into a password box; the key goes to secret storage', async () => {
    const agentsBefore = new Set(sandbox.inspect().agents.map((a) => a.id));
    await wb.runCommand('Agrenting: Register Agent');
    // A password box: VS Code masks what is typed (the palette's own input is replaced by it, not at once).
    await wb.page.locator('.quick-input-widget input[type="password"]').waitFor({ state: 'visible', timeout: 20_000 });
    await wb.answer(sandbox.userToken);
    // The same quick input is reused for each step: wait for the next step's title before answering it.
    const title = wb.page.locator('.quick-input-widget .quick-input-title');
    await expect.poll(() => title.innerText(), { timeout: 20_000 }).toContain('(2/3)');
    await wb.answer('e2e-registered-agent');
    await expect.poll(() => title.innerText(), { timeout: 20_000 }).toContain('(3/3)');
    await wb.pick('MCP');
    const agent = await eventually('the sandbox to know the new agent', () =>
      sandbox.inspect().agents.find((a) => !agentsBefore.has(a.id) && a.name === 'e2e-registered-agent'),
    );
    await wb.clickNotificationButton('Restart Relay');
    await eventually('the relay to connect as the registered agent', () => sessionFor(agent.id), 90_000);
    await wb.screenshot('registered-agent-connected');
    const id = (await sandbox.hire(agent.id, { task_description: 'Hello from the registered agent', price: '5.00' }))
      .id;
    await wb.page
      .locator('.part.sidebar .monaco-list-row', { hasText: 'Hello from the registered agent' })
      .first()
      .waitFor({
        state: 'visible',
        timeout: 60_000,
      });
    expect(sandbox.hiring(id)?.status).not.toBe('failed');
    await noKeyOnDisk();
  });

  it('sets another agent key and the relay reconnects as that agent', async () => {
    const other = sandbox.registerAgent({ name: 'E2E second agent', capabilities: ['coding'] });
    secrets.push({ what: "the second agent's key", value: other.apiKey });
    expect(other.apiKey).toMatch(AGENT_KEY); // the shape check in noKeyOnDisk would see a registered key
    await wb.runCommand('Agrenting: Set Agent Key');
    // A password box: VS Code masks what is typed (the palette's own input is replaced by it, not at once).
    await wb.page.locator('.quick-input-widget input[type="password"]').waitFor({ state: 'visible', timeout: 20_000 });
    await wb.answer(other.apiKey);
    await wb.clickNotificationButton('Restart Relay');
    await eventually('the relay to connect with the new key', () => sessionFor(other.id), 90_000);
    await wb.screenshot('agent-key-set');
    await noKeyOnDisk();
  });

  it('copies an MCP config with the relay URL and worker token to the clipboard', async () => {
    await wb.runCommand('Agrenting: Copy MCP Config for Agents');
    const info = await eventually('relay.json of the live relay', () => readRelayFile(stateDir));
    const token = info.workerTokens.default;
    expect(token).toBeTruthy();
    const text = await eventually('the clipboard to hold the config', async () => {
      const t = String(await wb.page.evaluate('navigator.clipboard.readText()'));
      return t.includes('mcpServers') ? t : undefined;
    });
    await wb.screenshot('mcp-config-copied');
    const url = `${info.url.replace(/\/+$/, '')}/mcp`;
    const claude = text.split('\n').find((l: string) => l.startsWith('claude mcp add'));
    expect(claude).toContain(url);
    expect(claude).toContain(token);
    // The mcpServers block is valid JSON naming the same URL and token.
    const start = text.indexOf('{', text.indexOf('# Generic MCP clients'));
    const end = text.indexOf('\n}', start) + 2;
    const json = JSON.parse(text.slice(start, end)) as {
      mcpServers: Record<string, { url: string; headers: Record<string, string> }>;
    };
    const server = Object.values(json.mcpServers)[0];
    expect(server.url).toBe(url);
    expect(Object.values(server.headers)).toContain(token);
    await noKeyOnDisk();
  });
});
