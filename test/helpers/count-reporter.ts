import { existsSync, readFileSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so that CI logs state the counts in a form any log reader understands. Before it,
 * one line names the system tools that were missing and the test files skipped for them
 * (recorded by test/helpers/system.ts through PERFENG_MISSING_TOOLS_FILE).
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    const missing = missingTools();
    if (missing) process.stdout.write(`\n${missing}`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function missingTools(): string | undefined {
  const file = process.env.PERFENG_MISSING_TOOLS_FILE;
  if (!file || !existsSync(file)) return undefined;
  const byTool = new Map<string, Set<string>>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [tool, path] = line.split('\t');
    if (!tool || !path) continue;
    const files = byTool.get(tool) ?? new Set<string>();
    files.add(relative(process.cwd(), path));
    byTool.set(tool, files);
  }
  rmSync(file, { force: true });
  if (byTool.size === 0) return undefined;
  const parts = [...byTool].map(([tool, files]) => `${tool} (${[...files].join(', ')})`);
  return `skipped for missing system tools: ${parts.join('; ')} — npm run test:all installs them on Debian as root\n`;
}
