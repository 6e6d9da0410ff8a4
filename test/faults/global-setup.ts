// Builds dist/ when it is missing or older than the sources: the kill and soak runs
// start the built relay (`node dist/relay.js`), the way people run it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const bin = path.join(root, 'dist', 'relay.js');
  const stale = !existsSync(bin) || statSync(bin).mtimeMs < newestSource(path.join(root, 'src'));
  if (!stale) return;
  console.log('[faults] building dist/ (node esbuild.mjs)');
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
}
