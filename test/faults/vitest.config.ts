import { defineConfig } from 'vitest/config';

// The reliability suite (`npm run test:faults`): long, seeded fault runs, one file at a time
// so a kill -9 run and a soak never compete with each other for the two CI cores.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.ts'],
    globalSetup: ['test/faults/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // Seeds, counts and summaries go to the CI log.
    silent: false,
  },
});
