// Everything the end-to-end suite runs against, started the way a person would:
// the sandbox marketplace (in-process), the built relay (`node dist/relay.js`,
// review required) connected to it, and real VS Code (code-server) with the
// packaged .vsix, pointed at the relay's state dir, in Debian Chromium. The VS Code
// is the one of this run (E2E_VSCODE, see vscode-version.ts).
import { readRelayFile } from '../../src/relay/relay-file';
import { freePort } from '../support/net';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { memoryLogger } from '../../src/shared/log';
import { startSandbox, type RegisteredAgent, type Sandbox } from '../../src/sandbox';
import { startRelayProcess, type RelayProcess } from '../support/relay-process';
import { startCodeServer, type CodeServer } from './code-server';
import { currentVsCode, type VsCodeTarget } from './vscode-version';
import { launchBrowser, Workbench, eventually } from './workbench';

export const REPO_ROOT = resolve(__dirname, '../..');
export const VSIX = join(REPO_ROOT, 'agrenting-hirings.vsix');
/** The relay names the agent from AGRENTING_API_KEY "default". */
export const AGENT_NAME = 'default';

/** The sandbox as every e2e file runs it: quick probes, no rate limit. */
export const E2E_SANDBOX_KNOBS = { probeBudgetMs: 2000, headProbeBudgetMs: 200, rateLimitPerMinute: 0 };

/** A quiet window for the suite: no previews, tours, recommendations, git or port forwarding, our notifications off. */
export const QUIET_WINDOW_SETTINGS: Record<string, unknown> = {
  'agrenting.relay.autoStart': false,
  'agrenting.notifications.level': 'none',
  'workbench.editor.enablePreview': false,
  'git.enabled': false,
  'extensions.ignoreRecommendations': true,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'window.restoreWindows': 'none',
  // The relay and the sandbox listen on loopback; code-server would offer to forward each port.
  'remote.autoForwardPorts': false,
};

export interface StackOptions {
  /** Names the screenshot folder (test-results/e2e/vscode-<version>/<name>); default: the e2e file's name. */
  name?: string;
  /** Test-only extensions installed after ours. */
  extraVsix?: string[];
  /** Environment of code-server (and so of the extension host). */
  env?: Record<string, string>;
  /** More code-server flags. */
  args?: string[];
  /** More user settings (over the suite's own). */
  settings?: Record<string, unknown>;
}

export interface Stack {
  target: VsCodeTarget;
  sandbox: Sandbox;
  agent: RegisteredAgent;
  /** The running relay; restartRelay() replaces it. */
  relay: RelayProcess;
  /**
   * Stops the relay (SIGTERM), runs whileStopped (e.g. waits for VS Code to see it gone), and starts it
   * again on the same state dir and address, e.g. with a new worker token.
   */
  restartRelay(opts?: { workerToken?: string; whileStopped?: () => Promise<void> }): Promise<RelayProcess>;
  stateDir: string;
  workspaceFile: string;
  codeServer: CodeServer;
  browser: Browser;
  wb: Workbench;
  /** Logs of every part, printed when a step fails. */
  diagnostics(): Promise<string>;
  stop(): Promise<void>;
}

/** The running e2e file's name without .e2e.ts (vitest knows it inside hooks and tests). */
function fileName(): string {
  const path = expect.getState().testPath;
  return path ? basename(path).replace(/\.e2e\.ts$/, '') : 'e2e';
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const target = currentVsCode();
  const shotsDir = join(target.resultsDir, opts.name ?? fileName());
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
    knobs: E2E_SANDBOX_KNOBS,
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
    /** address: HOST:PORT to listen on (a restart keeps the first run's); port 0 the first time. */
    const launchRelay = async (o: { workerToken?: string; address?: string } = {}) => {
      const before = new Set(sandbox.inspect().sessions.map((s) => s.id));
      const r = await startRelayProcess({
        upstream: sandbox.url,
        stateDir,
        apiKey: agent.apiKey,
        review: 'required',
        readyTimeoutMs: 30_000,
        env: o.workerToken ? { AGRENTING_RELAY_TOKEN: o.workerToken } : undefined,
        extraArgs: o.address ? ['--listen', o.address] : undefined,
      });
      // The relay's link is up when the sandbox has a new initialized, subscribed session for the agent.
      const linked = () =>
        sandbox
          .inspect()
          .sessions.some(
            (s) => !before.has(s.id) && s.agentId === agent.id && s.initialized && s.subscriptions.length > 0,
          );
      await eventually('the relay to open its session with the sandbox', linked, 30_000);
      return r;
    };
    const relay = (parts.relay = await launchRelay());

    const codeServer = (parts.codeServer = await startCodeServer({
      target,
      vsix: [VSIX, ...(opts.extraVsix ?? [])],
      env: opts.env,
      args: opts.args,
      open: workspaceFile,
      settings: {
        ...QUIET_WINDOW_SETTINGS,
        'agrenting.relay.stateDir': stateDir,
        'agrenting.workspace.openIn': 'addToWorkspace',
        ...opts.settings,
      },
    }));
    const browser = (parts.browser = await launchBrowser());
    const wb = await Workbench.open(browser, codeServer.url, shotsDir);
    const stack: Stack = {
      target,
      sandbox,
      agent,
      relay,
      async restartRelay(o = {}) {
        // Same address, as a person's relay on its configured port: only what changed (a token) differs.
        const address = new URL(stack.relay.url).host;
        await stack.relay.kill('SIGTERM');
        await o.whileStopped?.();
        stack.relay = parts.relay = await launchRelay({ workerToken: o.workerToken, address });
        return stack.relay;
      },
      stateDir,
      workspaceFile,
      codeServer,
      browser,
      wb,
      stop,
      async diagnostics() {
        const relayLog = await readFile(join(stateDir, 'relay.log'), 'utf8').catch(() => stack.relay.stderr());
        return [
          `VS Code ${target.vscode} (code-server ${target.codeServer}); screenshots: ${shotsDir}`,
          '--- code-server output (tail) ---',
          codeServer.logs.join('').slice(-6000),
          '--- relay log (tail) ---',
          relayLog.slice(-6000),
          '--- sandbox log (tail) ---',
          sandboxLog.lines.slice(-40).join('\n'),
        ].join('\n');
      },
    };
    return stack;
  } catch (e) {
    const logs = parts.codeServer?.logs.join('').slice(-4000) ?? '';
    await stop();
    throw new Error(`${(e as Error).message}${logs ? `\n--- code-server output ---\n${logs}` : ''}`);
  }
}

/** What the extension wrote to its "Agrenting Relay" output channel (code-server keeps it under logs/). */
/**
 * User settings for a window whose extension starts its own relay (no relay runs at first):
 * the suite's quiet window, a state folder and a free port of the test's, the sandbox as the marketplace.
 */
export async function ownRelaySettings(stateDir: string, sandboxUrl: string): Promise<Record<string, unknown>> {
  return {
    ...QUIET_WINDOW_SETTINGS,
    'agrenting.relay.stateDir': stateDir,
    'agrenting.relay.address': `127.0.0.1:${await freePort()}`,
    'agrenting.baseUrl': sandboxUrl,
  };
}

/** Ends a relay the extension started (it runs detached, as for a person) by the pid its relay.json names. */
export function stopDetachedRelay(stateDir: string): void {
  const info = readRelayFile(stateDir);
  if (!info) return;
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function extensionOutput(userDataDir: string): Promise<string> {
  const logs = join(userDataDir, 'logs');
  const files = (await readdir(logs, { recursive: true })).filter((f) => f.endsWith('Agrenting Relay.log'));
  if (files.length === 0) throw new Error(`no "Agrenting Relay" output channel log under ${logs}`);
  const texts = await Promise.all(files.map((f) => readFile(join(logs, f), 'utf8')));
  return texts.join('\n');
}
