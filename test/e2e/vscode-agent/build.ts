// Packages the test-only agent extension (./extension.ts) into a .vsix for one e2e run:
// esbuild bundles it (vscode external), vsce packs it. Nothing of it reaches the
// product's .vsix (.vscodeignore ships only dist/, media/ and the docs).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const run = promisify(execFile);
const HERE = __dirname;
const REPO_ROOT = resolve(HERE, '../../..');

export const AGENT_EXTENSION_ID = 'agrenting-e2e.vscode-agent';
/** Where the agent writes agent.json ({port}); code-server's environment carries it to the extension host. */
export const AGENT_DIR_ENV = 'AGRENTING_E2E_AGENT_DIR';

export async function buildAgentVsix(workDir: string): Promise<string> {
  const dir = join(workDir, 'vscode-agent');
  await mkdir(dir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(HERE, 'extension.ts')],
    outfile: join(dir, 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  await copyFile(join(HERE, 'package.json'), join(dir, 'package.json'));
  await writeFile(
    join(dir, 'README.md'),
    '# Agrenting e2e agent\n\nTest only: drives vscode.lm tools for the e2e suite.\n',
  );
  const vsix = join(workDir, 'vscode-agent.vsix');
  const vsce = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  await run(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix],
    { cwd: dir, timeout: 120_000 },
  );
  return vsix;
}
