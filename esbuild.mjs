// Bundles the three entry points: the VS Code extension (cjs, `vscode` external),
// the relay CLI and the sandbox CLI. `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { chmod } from 'node:fs/promises';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['src/relay/cli.ts'], outfile: 'dist/relay.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/sandbox/cli.ts'], outfile: 'dist/sandbox.js', banner: { js: '#!/usr/bin/env node' } },
];

const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  await Promise.all(['dist/relay.js', 'dist/sandbox.js'].map((f) => chmod(f, 0o755)));
}
