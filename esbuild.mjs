// Bundles the three entry points: the VS Code extension (cjs, `vscode` external),
// the relay CLI and the sandbox CLI. `node esbuild.mjs --watch` rebuilds on change.
//
// Packages most relays never use (the S3 SDK for the HiClaw bridge, Octokit and
// simple-git for push mode) go into their own files beside dist/relay.js, and the
// relay imports them on first use: a relay that never meets a push-mode hiring
// or a bridge neither reads, compiles nor holds them (about 1.7 MB of its 3 MB).
import * as esbuild from 'esbuild';
import { chmod } from 'node:fs/promises';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** package → the file beside dist/relay.js that holds it. */
export const LAZY_PACKAGES = {
  '@aws-sdk/client-s3': 'relay-s3.js',
  '@octokit/rest': 'relay-octokit.js',
  'simple-git': 'relay-simple-git.js',
};

/** In the relay bundle, each lazy package resolves to its own file, loaded when first imported. */
const lazyPackages = {
  name: 'lazy-packages',
  setup(build) {
    const names = Object.keys(LAZY_PACKAGES).map((n) => n.replace(/[/]/g, '\\/'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({
      path: `./${LAZY_PACKAGES[args.path]}`,
      external: true,
    }));
  },
};

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
  {
    entryPoints: ['src/relay/cli.ts'],
    outfile: 'dist/relay.js',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [lazyPackages],
    // `import()` of a lazy file becomes require(): Node's own import() of a CommonJS file sees
    // only the names its static analysis finds (simpleGit, S3Client... would be undefined).
    supported: { 'dynamic-import': false },
  },
  { entryPoints: ['src/sandbox/cli.ts'], outfile: 'dist/sandbox.js', banner: { js: '#!/usr/bin/env node' } },
  ...Object.entries(LAZY_PACKAGES).map(([pkg, file]) => ({
    stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: '.', loader: 'js' },
    outfile: `dist/${file}`,
  })),
];

const contexts = await Promise.all(entries.map((e) => esbuild.context({ ...common, ...e })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  await Promise.all(['dist/relay.js', 'dist/sandbox.js'].map((f) => chmod(f, 0o755)));
}
