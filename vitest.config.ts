import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Test files record the system tools they lack here (test/helpers/system.ts); the count
// reporter names them in one line. The forked workers inherit the variable.
process.env.PERFENG_MISSING_TOOLS_FILE ??= join(tmpdir(), `perfeng-missing-tools-${process.pid}.tsv`);

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
