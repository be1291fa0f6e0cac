import type { RunContext, ToolOutcome } from '../common/context.js';
import { UserError } from '../common/errors.js';
import { formatPct } from '../common/units.js';
import { createRun } from '../store/runs.js';
import { analyse, type AnalysedRow } from './analyse.js';
import { evaluateGate } from './gate.js';
import type { FormatId, SampleSet } from './model.js';
import { renderHtmlReport, renderMarkdown, renderTerminalTable } from './render.js';
import { runInterleaved } from './runner.js';
import type { CompareInput, CompareOutput, CompareRow } from './schema.js';
import { loadSource, type SourceRef } from './sources.js';

export { compareInputSchema, compareOutputSchema } from './schema.js';
export type { CompareInput, CompareOutput } from './schema.js';

function nameFilter(filter: string | undefined): ((name: string) => boolean) | undefined {
  if (!filter) return undefined;
  const regex = /^\/(.*)\/([a-z]*)$/.exec(filter);
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(regex[1]!, regex[2]!.includes('i') ? regex[2] : `${regex[2]}i`);
    } catch (error) {
      throw new UserError(`filter ${filter} is not a valid regular expression (${(error as Error).message})`, 'use plain text or /regex/');
    }
    return (name) => re.test(name);
  }
  const needle = filter.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

/** Regressions first (largest worse change first), then improvements, then the rest. */
function interestOrder(a: CompareRow, b: CompareRow): number {
  const rank = { slower: 0, faster: 1, inconclusive: 2, same: 3 } as const;
  if (rank[a.verdict] !== rank[b.verdict]) return rank[a.verdict] - rank[b.verdict];
  return Math.abs(b.deltaPct ?? 0) - Math.abs(a.deltaPct ?? 0);
}

function strip(row: AnalysedRow): CompareRow {
  const { primary: _p, candidateDistribution: _d, candidateSummary: _s, untested: _u, ...rest } = row;
  return rest;
}

/**
 * compare_benchmarks: parse → Samples model → match → statistics → verdicts → gate → render.
 * Reads files, globs, .perf runs or inline samples (or measures two commands itself, interleaved).
 */
export async function compareBenchmarks(input: CompareInput, context: RunContext): Promise<ToolOutcome<CompareOutput>> {
  const alpha = input.alpha ?? context.config.compare.alpha;
  const noiseFloorPct = input.noiseFloorPct ?? context.config.compare.noiseFloorPct;
  const failOn = input.failOn ?? context.config.compare.failOn;
  const format = input.format as FormatId | 'auto';
  // Parse the gate first: a typo in failOn is bad input, found before any work.
  if (failOn) evaluateGate(failOn, [], null);

  let sets: SampleSet[];
  let runLog: unknown;
  if (input.run) {
    if (input.baseline || input.candidate || input.inputs) {
      throw new UserError('give either `run` (measure two commands) or inputs to compare, not both', 'drop baseline/candidate/inputs when using run');
    }
    const measured = await runInterleaved({
      ...input.run,
      cwd: input.run.cwd ? input.run.cwd : context.projectDir,
      signal: context.signal,
      report: context.report,
    });
    sets = [measured.baseline, measured.candidate];
    runLog = measured.log;
  } else {
    let refs: SourceRef[];
    if (input.inputs) {
      if (input.baseline || input.candidate) throw new UserError('give either `inputs` or `baseline` + `candidate`, not both', 'inputs[0] is the baseline');
      refs = input.inputs;
    } else if (input.baseline && input.candidate) {
      refs = [input.baseline, input.candidate];
    } else {
      throw new UserError('nothing to compare: give `baseline` and `candidate`, or `inputs` (≥ 2), or `run`', 'e.g. { "baseline": "old.json", "candidate": "new.json" }');
    }
    sets = [];
    for (const [i, ref] of refs.entries()) {
      context.report(i, refs.length, `reading input ${i + 1} of ${refs.length}`);
      sets.push(await loadSource(ref, context.projectDir, format, i === 0 ? 'baseline' : refs.length === 2 ? 'candidate' : `input ${i + 1}`));
    }
  }

  const [baseline, ...candidates] = sets as [SampleSet, ...SampleSet[]];
  const analysis = analyse(
    baseline,
    candidates,
    { alpha, confidence: input.confidence, correction: input.correction, noiseFloorPct, equivalencePct: input.equivalencePct },
    nameFilter(input.filter),
  );
  if (!analysis.rows.length) {
    throw new UserError(
      `no benchmark appears in both the baseline (${baseline.source}) and ${candidates.map((c) => c.source).join(', ')}${input.filter ? ` matching "${input.filter}"` : ''}`,
      `baseline has ${baseline.benchmarks.slice(0, 5).map((b) => b.name).join(', ')}…; names must match exactly`,
    );
  }
  const gate = evaluateGate(failOn, analysis.rows, analysis.geomeanDeltaPct);
  const allRows = analysis.rows.map(strip).sort(interestOrder);
  const counts = { faster: 0, slower: 0, same: 0, inconclusive: 0 };
  for (const row of allRows) counts[row.verdict]++;
  const warnings = [...new Set([...sets.flatMap((s) => s.notes.map((n) => `${s.source}: ${n}`)), ...analysis.warnings])];

  const headline = gate.failed
    ? `GATE FAILED (${failOn})`
    : counts.slower
      ? `REGRESSION: ${counts.slower} of ${allRows.length} slower`
      : counts.faster
        ? `IMPROVED: ${counts.faster} of ${allRows.length} faster, none slower`
        : counts.inconclusive === allRows.length
          ? 'INCONCLUSIVE: no row could be decided'
          : `NO SIGNIFICANT CHANGE across ${allRows.length} rows`;
  const detail = [
    counts.slower ? `${counts.slower} slower` : '',
    counts.faster ? `${counts.faster} faster` : '',
    counts.same ? `${counts.same} same` : '',
    counts.inconclusive ? `${counts.inconclusive} inconclusive` : '',
  ].filter(Boolean);
  const geomean = analysis.geomeanDeltaPct === null ? '' : `; geomean ${formatPct(analysis.geomeanDeltaPct / 100, { signed: true })}`;
  const verdict = `${headline} — ${detail.join(', ')}${geomean}`;

  const body: Omit<CompareOutput, 'artifacts'> = {
    verdict,
    rows: allRows.slice(0, input.limit),
    rowsTotal: allRows.length,
    counts,
    geomeanDeltaPct: analysis.geomeanDeltaPct,
    alpha,
    correction: input.correction,
    inputs: sets.map((s) => ({ source: s.source, format: s.format, benchmarks: s.benchmarks.length })),
    gate,
    warnings,
  };

  const run = await createRun(context.projectDir, 'compare', `${baseline.source} vs ${candidates.map((c) => c.source).join(' ')}`.slice(0, 60));
  const artifacts = { dir: run.dir, report: run.path('report.html'), result: run.path('result.json'), markdown: run.path('summary.md') };
  await run.writeJson('result.json', { tool: 'compare_benchmarks', version: 1, input, result: { ...body, rows: allRows, artifacts }, ...(runLog ? { runs: runLog } : {}) });
  await run.writeFile('summary.md', renderMarkdown(body, allRows));
  await run.writeFile('report.html', renderHtmlReport(body, allRows));

  const multi = candidates.length > 1;
  const shown = allRows.slice(0, Math.min(input.limit, 25));
  const lines = [verdict, '', renderTerminalTable(shown, multi)];
  if (allRows.length > shown.length) lines.push(`… ${allRows.length - shown.length} more rows in ${artifacts.markdown}`);
  lines.push('', `Medians ± CI (${input.confidence * 100}%); delta from medians; "~" = not significant (Mann-Whitney U, ${input.correction} correction, α ${alpha}).`);
  if (gate.failOn) lines.push(gate.failed ? `Gate "${gate.failOn}" FAILED:\n${gate.reasons.map((r) => `  - ${r}`).join('\n')}` : `Gate "${gate.failOn}" passed.`);
  if (warnings.length) lines.push(`Warnings (${warnings.length}):`, ...warnings.slice(0, 8).map((w) => `  - ${w}`), ...(warnings.length > 8 ? [`  - … ${warnings.length - 8} more in the report`] : []));
  lines.push(`Report: ${artifacts.report}`);
  return { structured: { ...body, artifacts }, summary: lines.join('\n') };
}
