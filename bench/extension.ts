// The extension's cost to a user: the size of the production bundle (built here
// with esbuild's API and the same options as `node esbuild.mjs --production`,
// to a temporary file) and the activation time, which only a real VS Code can
// measure: the e2e run leaves it in test-results/e2e/activation.json.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { BenchRow } from './stats';
import { ROOT, tempDir } from './support/util';
import { vsCodeTarget } from '../test/e2e/vscode-version';

const MB = 1_000_000;

async function productionBundleBytes(): Promise<number> {
  const tmp = tempDir('bench-extension-');
  try {
    const outfile = join(tmp.dir, 'extension.js');
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ['src/extension/extension.ts'],
      outfile,
      external: ['vscode'],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: false,
      minify: true,
      logLevel: 'error',
      legalComments: 'none',
    });
    return statSync(outfile).size;
  } finally {
    tmp.remove();
  }
}

function activationMs(): number | undefined {
  // The e2e run on the oldest supported VS Code (test/e2e/vscode-version.ts) leaves it there.
  const file = join(vsCodeTarget('min').resultsDir, 'activation.json');
  if (!existsSync(file)) return undefined;
  try {
    const v = (JSON.parse(readFileSync(file, 'utf8')) as { activationMs?: unknown }).activationMs;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function benchExtension(): Promise<BenchRow[]> {
  const bytes = await productionBundleBytes();
  const act = activationMs();
  return [
    {
      group: 'extension',
      name: 'bundle size (dist/extension.js, --production)',
      unit: 'MB',
      value: bytes / MB,
      target: '< 1.5 MB',
      met: bytes < 1.5 * MB,
      note: `${bytes.toLocaleString('en-US')} bytes, minified, no source map`,
    },
    act === undefined
      ? {
          group: 'extension',
          name: 'activation time',
          unit: 'ms',
          target: '< 100 ms',
          note: 'not measured: run npm run test:e2e first',
        }
      : {
          group: 'extension',
          name: 'activation time',
          unit: 'ms',
          value: act,
          target: '< 100 ms',
          met: act < 100,
          note: 'from test-results/e2e/vscode-<min>/activation.json (code-server e2e run)',
        },
  ];
}
