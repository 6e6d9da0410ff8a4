// Everything the end-to-end suite runs against, started the way a person would:
// the sandbox marketplace (in-process), the built relay (`node dist/relay.js`,
// review required) connected to it, and real VS Code (code-server) with the
// packaged .vsix, pointed at the relay's state dir, in Debian Chromium.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { memoryLogger } from '../../src/shared/log';
import { startSandbox, type RegisteredAgent, type Sandbox } from '../../src/sandbox';
import { startRelayProcess, type RelayProcess } from '../support/relay-process';
import { startCodeServer, type CodeServer } from './code-server';
import { launchBrowser, SCREENSHOT_DIR, Workbench, eventually } from './workbench';

export const REPO_ROOT = resolve(__dirname, '../..');
export const VSIX = join(REPO_ROOT, 'agrenting-hirings.vsix');
/** The relay names the agent from AGRENTING_API_KEY "default". */
export const AGENT_NAME = 'default';

export interface Stack {
  sandbox: Sandbox;
  agent: RegisteredAgent;
  relay: RelayProcess;
  stateDir: string;
  workspaceFile: string;
  codeServer: CodeServer;
  browser: Browser;
  wb: Workbench;
  /** Logs of every part, printed when a step fails. */
  diagnostics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run npm run test:e2e (it packages the extension first).`);
  const root = await mkdtemp(join(tmpdir(), 'agrenting-e2e-'));
  const stateDir = join(root, 'relay-state');
  const project = join(root, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(join(project, 'NOTES.md'), '# My project\n\nThe folder VS Code opened.\n');
  // A saved workspace from the start: adding a cloned repository to it (Start Work)
  // then changes folders without turning the window into a new workspace.
  const workspaceFile = join(root, 'e2e.code-workspace');
  await writeFile(workspaceFile, JSON.stringify({ folders: [{ path: project }], settings: {} }));

  const sandboxLog = memoryLogger('sandbox');
  const sandbox = await startSandbox({
    log: sandboxLog,
    knobs: { probeBudgetMs: 2000, headProbeBudgetMs: 200, rateLimitPerMinute: 0 },
  });
  const parts: { relay?: RelayProcess; codeServer?: CodeServer; browser?: Browser } = {};
  const stop = async () => {
    await parts.browser?.close().catch(() => undefined);
    await parts.codeServer?.stop().catch(() => undefined);
    await parts.relay?.kill('SIGTERM').catch(() => undefined);
    await sandbox.close().catch(() => undefined);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const agent = sandbox.registerAgent({ name: 'E2E coding agent', capabilities: ['coding'], category: 'coding' });
    const relay = (parts.relay = await startRelayProcess({ upstream: sandbox.url, stateDir, apiKey: agent.apiKey, review: 'required', readyTimeoutMs: 30_000 }));
    // The relay's link is up when the sandbox has an initialized, subscribed session for the agent.
    await eventually('the relay to open its session with the sandbox', () => sandbox.inspect().sessions.some((s) => s.agentId === agent.id && s.initialized && s.subscriptions.length > 0), 30_000);

    const codeServer = (parts.codeServer = await startCodeServer({
      vsix: VSIX,
      open: workspaceFile,
      settings: {
        'agrenting.relay.stateDir': stateDir,
        'agrenting.relay.autoStart': false,
        'agrenting.workspace.openIn': 'addToWorkspace',
        'agrenting.notifications.level': 'none',
        'workbench.editor.enablePreview': false,
        'git.enabled': false,
        'extensions.ignoreRecommendations': true,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'window.restoreWindows': 'none',
        // The relay and the sandbox listen on loopback; code-server would offer to forward each port.
        'remote.autoForwardPorts': false,
      },
    }));
    const browser = (parts.browser = await launchBrowser());
    const wb = await Workbench.open(browser, codeServer.url);
    return {
      sandbox,
      agent,
      relay,
      stateDir,
      workspaceFile,
      codeServer,
      browser,
      wb,
      stop,
      async diagnostics() {
        const relayLog = await readFile(join(stateDir, 'relay.log'), 'utf8').catch(() => relay.stderr());
        return [
          `screenshots: ${SCREENSHOT_DIR}`,
          '--- code-server output (tail) ---',
          codeServer.logs.join('').slice(-6000),
          '--- relay log (tail) ---',
          relayLog.slice(-6000),
          '--- sandbox log (tail) ---',
          sandboxLog.lines.slice(-40).join('\n'),
        ].join('\n');
      },
    };
  } catch (e) {
    const logs = parts.codeServer?.logs.join('').slice(-4000) ?? '';
    await stop();
    throw new Error(`${(e as Error).message}${logs ? `\n--- code-server output ---\n${logs}` : ''}`);
  }
}

/** What the extension wrote to its "Agrenting Relay" output channel (code-server keeps it under logs/). */
export async function extensionOutput(userDataDir: string): Promise<string> {
  const logs = join(userDataDir, 'logs');
  const files = (await readdir(logs, { recursive: true })).filter((f) => f.endsWith('Agrenting Relay.log'));
  if (files.length === 0) throw new Error(`no "Agrenting Relay" output channel log under ${logs}`);
  const texts = await Promise.all(files.map((f) => readFile(join(logs, f), 'utf8')));
  return texts.join('\n');
}
