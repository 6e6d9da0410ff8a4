import { defineConfig } from 'vitest/config';
import { currentVsCode, filesNotFor } from './vscode-version';

// One run drives one VS Code (E2E_VSCODE=min|latest, set by run.sh); files that
// need a newer one than this are left out (run.sh prints which and why).
const target = currentVsCode();

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    exclude: ['node_modules/**', ...filesNotFor(target).map((f) => f.file)],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
