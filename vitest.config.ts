import { defineConfig } from 'vitest/config';

// Two cores on every machine here: at most two test files at once, and generous
// timeouts because tests drive real servers, databases and child processes.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/helpers/count-reporter.ts'],
  },
});
