import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { unusedScriptBytes, unusedStyleBytes } from '../../src/vitals/coverage.js';
import { measureWebVitals } from '../../src/vitals/index.js';
import { vitalsInputSchema, vitalsOutputSchema } from '../../src/vitals/schema.js';
import { lacking } from '../helpers/system.js';
import { BLOAT_CSS, BLOAT_JS, UNUSED_FUNCTION, startBloatServer, type BloatServer } from './bloat-fixture.js';

describe('unused bytes from coverage ranges', () => {
  it('lets the innermost V8 range decide: an uncalled function inside a script that ran', () => {
    // 0..100 ran; the function at 10..60 never did, but a block at 20..30 inside it is marked
    // as run (impossible in practice, yet it shows nesting is honoured both ways).
    const functions = [
      { ranges: [{ startOffset: 0, endOffset: 100, count: 1 }] },
      {
        ranges: [
          { startOffset: 10, endOffset: 60, count: 0 },
          { startOffset: 20, endOffset: 30, count: 2 },
        ],
      },
    ];
    expect(unusedScriptBytes(100, functions)).toBe(40);
    expect(unusedScriptBytes(100, [{ ranges: [{ startOffset: 0, endOffset: 100, count: 0 }] }])).toBe(100);
  });
  it('counts stylesheet bytes outside the used rule ranges', () => {
    expect(
      unusedStyleBytes(100, [
        { start: 0, end: 10 },
        { start: 50, end: 60 },
      ]),
    ).toBe(80);
    expect(unusedStyleBytes(10, [])).toBe(10);
  });
});

const lack = lacking(import.meta.url, 'chromium');

describe.skipIf(!!lack)('coverage in the vitals result (real Chromium)', () => {
  let server: BloatServer;
  let projectDir: string;
  beforeAll(async () => {
    server = await startBloatServer();
    projectDir = await mkdtemp(join(tmpdir(), 'perfeng-coverage-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(projectDir, { recursive: true, force: true });
  });
  const run = async (raw: Record<string, unknown>) => {
    const outcome = await measureWebVitals(vitalsInputSchema.parse(raw), await createRunContext({ projectDir }));
    expect(vitalsOutputSchema.safeParse(outcome.structured).success).toBe(true);
    return outcome;
  };

  it('finds the never-called function and the unmatched rules, file by file', async () => {
    const { structured: r, summary } = await run({ url: `${server.origin}/bloat`, runs: 1, trace: false, quietMs: 300 });
    const c = r.coverage!;
    const js = c.files.find((f) => f.url.endsWith('/bloat.js'))!;
    const css = c.files.find((f) => f.url.endsWith('/bloat.css'))!;
    expect(js.bytes).toBe(BLOAT_JS.length);
    // Everything in the uncalled function's body is unused; the used line is not.
    expect(js.unusedBytes).toBeGreaterThanOrEqual(UNUSED_FUNCTION.length - 20);
    expect(js.unusedBytes).toBeLessThan(BLOAT_JS.length - 20);
    expect(css.bytes).toBe(BLOAT_CSS.length);
    expect(css.unusedPercent).toBeGreaterThan(95);
    expect(css.unusedBytes).toBeLessThan(css.bytes); // .used matched
    expect(c.js.bytes).toBeGreaterThanOrEqual(BLOAT_JS.length);
    expect(c.js.unusedPercent).toBeGreaterThan(95);
    expect(summary).toMatch(/Coverage: JS .* unused/);
    // The image outside the allow-list is stopped in the coverage load too, never fetched.
    expect(r.resources.blocked.some((u) => u.includes('tracker.example.invalid'))).toBe(true);
  }, 120_000);

  it('reports no script on a page without one, and nothing with coverage: false', async () => {
    const { structured: clean } = await run({ url: `${server.origin}/clean`, runs: 1, trace: false, quietMs: 300 });
    expect(clean.coverage!.js.files).toBe(0);
    expect(clean.coverage!.css.unusedPercent).toBe(0);
    const { structured: off } = await run({ url: `${server.origin}/clean`, runs: 1, trace: false, quietMs: 300, coverage: false });
    expect(off.coverage).toBeUndefined();
  }, 120_000);
});
