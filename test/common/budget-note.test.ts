import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRunContext } from '../../src/common/context.js';
import { type AnyTool, defineTool, runTool } from '../../src/common/tool.js';
import type { ToolName } from '../../src/tool-names.js';

/** A tool whose result is `count` items of `width` characters plus a warnings list: sizes chosen by the test. */
function sizedTool(count: number, width: number, budget: number): AnyTool {
  return defineTool({
    name: 'compare_benchmarks' as ToolName,
    title: 'sized',
    description: 'a result of a chosen size',
    input: z.object({}),
    output: z.object({ items: z.array(z.string()), warnings: z.array(z.string()) }),
    annotations: { readOnlyHint: true },
    budget,
    run: async () => ({
      structured: { items: Array.from({ length: count }, (_, i) => String(i).padEnd(width, 'x')), warnings: ['a warning the core wrote'] },
      summary: 'PASSED: sized result',
    }),
    verdict: () => ({ verdict: 'PASSED', failed: false }),
  });
}

describe('results stay within the budget, the shortening note included', () => {
  it('fits for every size around the budget, and says it was shortened', async () => {
    const context = await createRunContext({});
    const budget = 1_000;
    let shortened = 0;
    for (let count = 1; count <= 120; count++) {
      for (const width of [5, 17, 40, 90]) {
        const run = await runTool(sizedTool(count, width, budget), {}, context);
        const seen = JSON.stringify(run.structured);
        expect(seen.length, `${count} × ${width}`).toBeLessThanOrEqual(budget);
        const warnings = run.structured.warnings as string[];
        if ((run.structured.items as string[]).length < count) {
          shortened++;
          expect(warnings.at(-1), `${count} × ${width}`).toMatch(/^Result shortened to stay small \(items shortened from \d+ to \d+ entries/);
          expect(run.text).toMatch(/Result shortened/);
        }
      }
    }
    expect(shortened).toBeGreaterThan(100);
  });
});
