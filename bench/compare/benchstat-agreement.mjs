#!/usr/bin/env node
/**
 * Agreement with benchstat's statistics (dev tool, not a test). Input: JSON lines from a Go
 * harness that runs random samples (tied and untied, n 1-60, several confidence levels)
 * through golang.org/x/perf/benchmath — { X, Y, Confidence, XC, XLo, XHi, YC, YLo, YHi, P,
 * Warnings } with ±1e308 for infinite bounds. Needs `npm run build` first.
 *   node bench/compare/benchstat-agreement.mjs agree.jsonl
 * Prints how many cases agree on the median, the CI bounds, the p-value (to 1e-9 relative)
 * and the "~" verdict at α = 0.05, and lists the first disagreements.
 */
import { readFileSync } from 'node:fs';
import { distributionFromSamples } from '../../dist/compare/stats/distribution.js';
import { mannWhitneyU } from '../../dist/compare/stats/mann-whitney.js';
import { medianCI } from '../../dist/compare/stats/median-ci.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/compare/benchstat-agreement.mjs <benchmath-cases.jsonl>');
  process.exit(2);
}
const inf = (v) => (v >= 1e308 ? Infinity : v <= -1e308 ? -Infinity : v);
const same = (a, b) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
const tally = { cases: 0, median: 0, ci: 0, p: 0, verdict: 0, warnings: 0 };
const misses = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  tally.cases++;
  const x = distributionFromSamples(c.X);
  const y = distributionFromSamples(c.Y);
  const cx = medianCI(x, c.Confidence);
  const cy = medianCI(y, c.Confidence);
  const mw = mannWhitneyU(x, y);
  const okMedian = same(cx.median, c.XC) && same(cy.median, c.YC);
  const okCi = cx.low === inf(c.XLo) && cx.high === inf(c.XHi) && cy.low === inf(c.YLo) && cy.high === inf(c.YHi);
  // benchstat can print p > 1 with ties (2·P(U ≤ min U) on a lopsided distribution); we cap at 1.
  const okP = same(mw.pValue, Math.min(1, c.P));
  const okVerdict = mw.pValue <= 0.05 === c.P <= 0.05;
  const theirs = (c.Warnings ?? []).some((w) => /all samples are equal/.test(w));
  const okWarnings = theirs === mw.allEqual;
  tally.median += okMedian;
  tally.ci += okCi;
  tally.p += okP;
  tally.verdict += okVerdict;
  tally.warnings += okWarnings;
  if (!(okMedian && okCi && okP && okVerdict && okWarnings) && misses.length < 10) {
    misses.push({
      n: [c.X.length, c.Y.length],
      conf: c.Confidence,
      ours: { m: [cx.median, cy.median], ci: [cx.low, cx.high, cy.low, cy.high], p: mw.pValue, method: mw.method },
      theirs: { m: [c.XC, c.YC], ci: [c.XLo, c.XHi, c.YLo, c.YHi], p: c.P },
    });
  }
}
console.log(JSON.stringify(tally));
for (const m of misses) console.log(JSON.stringify(m));
