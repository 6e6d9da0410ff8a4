// Starts real VS Code (code-server: the version of this run, see vscode-version.ts)
// on loopback with a throwaway profile and our packaged .vsix installed.
// See ../../../shared/docs/testing.md.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/net';
import { currentVsCode, type VsCodeTarget } from './vscode-version';
import { eventually } from './workbench';

const run = promisify(execFile);

export interface CodeServer {
  url: string;
  userDataDir: string;
  target: VsCodeTarget;
  logs: string[];
  stop(): Promise<void>;
}

/** True while any process of the group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startCodeServer(opts: {
  /** Our .vsix, or it first and then any test-only extension. */
  vsix: string | string[];
  /** A folder, or a .code-workspace file (then adding folders never reloads the window). */
  open: string;
  settings: Record<string, unknown>;
  env?: Record<string, string>;
  /** More code-server flags, e.g. --enable-proposed-api <extension id>. */
  args?: string[];
  target?: VsCodeTarget;
}): Promise<CodeServer> {
  const target = opts.target ?? currentVsCode();
  if (!existsSync(target.entry) || !existsSync(target.nodeBin)) {
    throw new Error(
      `code-server ${target.codeServer} (${target.key}) is not installed: run E2E_VSCODE=${target.key} bash test/e2e/setup.sh`,
    );
  }
  const root = await mkdtemp(join(tmpdir(), 'agrenting-e2e-cs-'));
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  await mkdir(join(userDataDir, 'User'), { recursive: true });
  await writeFile(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'telemetry.telemetryLevel': 'off',
      // Newer VS Codes (ignored by older ones): editors such as Running Extensions open in
      // the editor area, not a modal over it, and the Chat view does not take the right side.
      'workbench.editor.useModal': 'off',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      ...opts.settings,
    }),
  );
  const common = [
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
  ];
  const install = [opts.vsix].flat().flatMap((v) => ['--install-extension', v]);
  await run(target.nodeBin, [target.entry, ...common, ...install], { timeout: 120_000 });
  const port = await freePort();
  const logs: string[] = [];
  // Its own process group: code-server 4.139 leaves its fileWatcher and agentHost
  // children running when only the main process ends, so stop() ends the group.
  const child: ChildProcess = spawn(
    target.nodeBin,
    [target.entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...common, ...(opts.args ?? []), opts.open],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`code-server ${target.codeServer} did not start`);
  // A test process that ends without stop() (a crash, a timeout) still takes the group down.
  const killOnExit = () => {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const stop = async () => {
    process.off('exit', killOnExit);
    if (groupAlive(pgid)) {
      process.kill(-pgid, 'SIGTERM');
      await eventually('code-server and its children to exit', () => !groupAlive(pgid), 5000).catch(() => {
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      });
    }
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  const url = `http://127.0.0.1:${port}`;
  const exitedEarly = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`code-server ${target.codeServer} exited early (${code ?? signal})`)),
    );
  });
  exitedEarly.catch(() => undefined);
  try {
    const up = eventually(
      `code-server ${target.codeServer} to answer /healthz`,
      async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok,
      60_000,
    );
    await Promise.race([up, exitedEarly]);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}:\n${logs.join('')}`);
  }
  return { url, userDataDir, target, logs, stop };
}
