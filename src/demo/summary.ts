import { relative } from 'node:path';
import { formatMs, formatRate } from '../common/units.js';
import { renderTextTable } from '../report/table.js';
import type { DemoOutput } from './schema.js';

type EndpointResult = DemoOutput['endpoints'][number];
type Step = DemoOutput['steps'][number];

/** p95 significance as people read it: "faster p=0.001", "~" when not significant (benchstat's mark). */
export function significanceText(result: EndpointResult): string {
  const p95 = result.significance.find((s) => s.metric === 'latency p95');
  if (!p95) return 'n/a';
  if (!p95.significant) return `~ (${p95.verdict})`;
  return `${p95.verdict}${p95.pValue !== null ? ` p=${p95.pValue < 0.001 ? '<0.001' : p95.pValue.toFixed(3)}` : ''}`;
}

export function summariseDemo(results: EndpointResult[], steps: Step[]): Pick<DemoOutput, 'verdict' | 'improved'> {
  const applied = results.filter((r) => r.fixApplied);
  const improved = applied.filter((r) => r.significance.some((s) => s.metric === 'latency p95' && s.significant && s.verdict === 'faster')).length;
  const failed = steps.filter((s) => s.status === 'failed');
  const skipped = steps.filter((s) => s.status === 'skipped');
  const compared = results.some((r) => r.significance.length > 0);
  const slower = applied.filter((r) => r.significance.some((s) => s.metric === 'latency p95' && s.significant && s.verdict === 'slower')).map((r) => r.name);
  let verdict: string;
  if (!compared) {
    verdict = `MEASURED WITHOUT STATISTICS — no baseline/fixed comparison ran (${[...failed, ...skipped].filter((s) => s.tool === 'compare_benchmarks' || s.tool === 'run_load_test').length ? 'see the failed or skipped steps' : 'nothing to compare'}); p95 before → after is below`;
  } else {
    verdict = `${improved === applied.length ? 'IMPROVED' : improved > 0 ? 'PARTLY IMPROVED' : 'NOT IMPROVED'} — ${improved}/${applied.length} fixed endpoints significantly faster at p95`;
    if (slower.length) verdict += `; significantly slower: ${slower.join(', ')}`;
  }
  if (failed.length) verdict += ` (${failed.length} step${failed.length > 1 ? 's' : ''} failed)`;
  else if (skipped.length) verdict += ` (${skipped.length} step${skipped.length > 1 ? 's' : ''} skipped)`;
  return { verdict, improved };
}

function change(before: number | undefined, after: number | undefined, format: (n: number) => string): string {
  if (before === undefined || after === undefined) return before !== undefined ? `${format(before)} → ?` : '—';
  return `${format(before)} → ${format(after)}`;
}

function pct(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return `${value > 0 ? '+' : ''}${value.toFixed(0)}%`;
}

export function renderSummaryTable(output: DemoOutput): string {
  return renderTextTable(
    ['endpoint', 'p95 before → after', 'Δ p95', 'req/s before → after', 'Δ req/s', 'p95 significance'],
    output.endpoints.map((r) => [
      r.fixApplied ? r.name : `${r.name} (not fixed)`,
      change(r.before?.p95Ms, r.after?.p95Ms, formatMs),
      pct(r.p95ChangePct),
      change(r.before?.throughputRps, r.after?.throughputRps, (n) => formatRate(n)),
      pct(r.throughputChangePct),
      significanceText(r),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'left'],
  );
}

/** Verdict first, the table, what the diagnosis tools found, then where everything is. */
export function renderDemoSummary(output: DemoOutput, projectDir: string): string {
  const rel = (path: string) => {
    const r = relative(projectDir, path);
    return r && !r.startsWith('..') ? r : path;
  };
  const lines = [output.verdict, '', renderSummaryTable(output), ''];
  if (output.profile) {
    const top = output.profile.topFunctions.slice(0, 3).map((f) => `${f.name} ${f.selfPct.toFixed(1)}%`);
    lines.push(`Profile (self time under load): ${top.join(', ') || 'no samples'}`);
  }
  if (output.query) {
    const n1 = output.query.nPlusOne[0];
    if (n1) lines.push(`N+1: "${n1.fingerprint}" ${n1.loop}${n1.callSite ? ` at ${n1.callSite}` : ''}`);
    const index = output.query.indexSuggestions.find((s) => s.verified);
    if (index) lines.push(`Verified index: ${index.sql}${index.improvementPct !== null ? ` (−${index.improvementPct.toFixed(0)}% cost)` : ''}`);
    else if (output.query.findings[0]) lines.push(`Plan: ${output.query.findings[0].message}`);
  }
  const problems = output.steps.filter((s) => s.status !== 'ok');
  for (const s of problems) lines.push(`${s.status}: ${s.step} — ${s.detail}`);
  lines.push(`Took ${output.durationS.toFixed(0)} s. ${output.warnings.length ? `${output.warnings.length} warning(s) in the result.` : ''}`.trim());
  lines.push(`Index report: ${rel(output.artifacts.index)}`);
  lines.push(`Result: ${rel(output.artifacts.result)}`);
  return lines.join('\n');
}
