// Starts real VS Code (code-server 4.100.3) on loopback with a throwaway profile
// and our packaged .vsix installed. See ../../../shared/docs/testing.md.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/net';

const run = promisify(execFile);

export const CODE_SERVER_VERSION = '4.100.3';

export function codeServerBin(): string {
  const cache = process.env.AGRENTING_E2E_CACHE ?? join(homedir(), '.cache', 'agrenting-e2e');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}


export interface CodeServer {
  url: string;
  userDataDir: string;
  logs: string[];
  stop(): Promise<void>;
}

export async function startCodeServer(opts: {
  vsix: string;
  /** A folder, or a .code-workspace file (then adding folders never reloads the window). */
  open: string;
  settings: Record<string, unknown>;
  env?: Record<string, string>;
}): Promise<CodeServer> {
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
      ...opts.settings,
    }),
  );
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-telemetry', '--disable-update-check'];
  await run(process.execPath, [codeServerBin(), ...common, '--install-extension', opts.vsix], { timeout: 120_000 });
  const port = await freePort();
  const logs: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [codeServerBin(), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...common, opts.open],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`code-server exited early (${child.exitCode}):\n${logs.join('')}`);
    if (Date.now() > deadline) throw new Error(`code-server did not start within 60 s:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    userDataDir,
    logs,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
