import type { RunContext, ToolOutcome } from '../common/context.js';
import { UserError } from '../common/errors.js';
import { formatPct } from '../common/units.js';
import { environmentDifferences } from '../store/environment.js';
import { createRun } from '../store/runs.js';
import { analyse, type AnalysedRow } from './analyse.js';
import { evaluateGate } from './gate.js';
import type { FormatId, SampleSet } from './model.js';
import { renderHtmlReport, renderMarkdown, renderTerminalTable } from './render.js';
import { runInterleaved } from './runner.js';
import type { CompareInput, CompareOutput, CompareRow } from './schema.js';
import { buildBenchstatTables, renderBenchstatCsv, renderBenchstatText } from './benchstat-table.js';
import { hasProjection, project } from './projection.js';
import { loadSource, type SourceRef } from './sources.js';
import { compareBenchmarksTool } from './tool.js';

export { compareInputSchema, compareOutputSchema } from './schema.js';
export type { CompareInput, CompareOutput } from './schema.js';

/** A filter with a `key:value` term or `*` is benchstat's query syntax; plain text keeps the name match. */
function queryFilter(filter: string | undefined): string | undefined {
  return filter && (/[^\s:]:/.test(filter) || filter.trim() === '*') ? filter : undefined;
}

function nameFilter(filter: string | undefined): ((name: string) => boolean) | undefined {
  if (!filter) return undefined;
  const regex = /^\/(.*)\/([a-z]*)$/.exec(filter);
  if (regex) {
    const [, pattern = '', flags = ''] = regex;
    let re: RegExp;
    try {
      re = new RegExp(pattern, flags.includes('i') ? flags : `${flags}i`);
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
  if (Boolean(a.onlyIn) !== Boolean(b.onlyIn)) return a.onlyIn ? 1 : -1;
  if (rank[a.verdict] !== rank[b.verdict]) return rank[a.verdict] - rank[b.verdict];
  return Math.abs(b.deltaPct ?? 0) - Math.abs(a.deltaPct ?? 0);
}

/** What the rows were computed with, and where that differs from benchstat. */
function describeMethod(correction: string, alpha: number, confidence: number): string {
  const differs =
    correction === 'none'
      ? 'no correction, as benchstat'
      : `${correction === 'holm' ? 'Holm' : 'BH'}-corrected p (benchstat: none; correction "none" gives its numbers)`;
  return `benchstat: median, ${confidence * 100}% CI; Mann-Whitney U, exact (ties ≤ 25/side) else normal; p ≤ α ${alpha}; ${differs}; HL shift and Cliff's δ ours`;
}

function withoutTable<T extends { table?: string }>(value: T): T {
  const { table: _t, ...rest } = value;
  return rest as T;
}

function strip(row: AnalysedRow): CompareRow {
  const { primary: _p, candidateDistribution: _d, candidateSummary: _s, untested: _u, footnotes: _f, ...rest } = row;
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
    } else if (input.baseline && input.col) {
      refs = [input.baseline];
    } else {
      throw new UserError(
        'nothing to compare: give `baseline` and `candidate`, or `inputs` (≥ 2), or `run`',
        'e.g. { "baseline": "old.json", "candidate": "new.json" }',
      );
    }
    sets = [];
    for (const [i, ref] of refs.entries()) {
      context.report(i, refs.length, `reading input ${i + 1} of ${refs.length}`);
      sets.push(
        await loadSource(ref, context.projectDir, format, i === 0 ? 'baseline' : refs.length === 2 ? 'candidate' : `input ${i + 1}`, {
          allowedPaths: context.config.query.allowedInputPaths,
          maxBytes: context.config.query.maxInputMb * 1024 * 1024,
          signal: context.signal,
        }),
      );
    }
  }
  const projection = { filter: queryFilter(input.filter), row: input.row, col: input.col, table: input.table, ignore: input.ignore };
  if (hasProjection(projection)) sets = project(sets, projection);
  if (sets.length < 2) {
    throw new UserError(
      `only one column to compare (${sets[0]?.source ?? 'none'})${input.col ? `: every result has the same ${input.col}` : ''}`,
      input.col ? 'pick a key whose values differ, e.g. col "/format" or "note"' : 'give two inputs, or `col` to compare within one file',
    );
  }

  const [baseline, ...candidates] = sets as [SampleSet, ...SampleSet[]];
  const analysis = analyse(
    baseline,
    candidates,
    { alpha, confidence: input.confidence, correction: input.correction, noiseFloorPct, equivalencePct: input.equivalencePct },
    queryFilter(input.filter) ? undefined : nameFilter(input.filter),
  );
  // Go input prints its one-sided tables as benchstat does (a changed `note:` splits them);
  // for other formats nothing in common is an input error.
  if (!analysis.rows.length || (!analysis.rows.some((r) => !r.onlyIn) && !sets.some((s) => s.format === 'go-bench'))) {
    throw new UserError(
      `no benchmark appears in both the baseline (${baseline.source}) and ${candidates.map((c) => c.source).join(', ')}${input.filter ? ` matching "${input.filter}"` : ''}`,
      `baseline has ${baseline.benchmarks
        .slice(0, 5)
        .map((b) => b.name)
        .join(', ')}…; names must match exactly`,
    );
  }
  const gate = evaluateGate(
    failOn,
    analysis.rows.filter((r) => !r.onlyIn),
    analysis.geomeanDeltaPct,
    analysis.geomeans,
  );
  const allRows = analysis.rows.map(strip).sort(interestOrder);
  const compared = allRows.filter((r) => !r.onlyIn);
  // One configuration (the usual case): its text would repeat on every row; the artefact keeps it.
  const oneTable = new Set(allRows.map((r) => r.table ?? '')).size <= 1;
  const counts = { faster: 0, slower: 0, same: 0, inconclusive: 0 };
  for (const row of compared) counts[row.verdict]++;
  const environmentWarnings = candidates.flatMap((candidate) =>
    environmentDifferences(baseline.environment, candidate.environment, [baseline.source, candidate.source]),
  );
  const warnings = [...new Set([...environmentWarnings, ...sets.flatMap((s) => s.notes.map((n) => `${s.source}: ${n}`)), ...analysis.warnings])];

  const headline = gate.failed
    ? `GATE FAILED (${failOn})`
    : !compared.length
      ? `NOTHING COMPARED: no benchmark is in both inputs (${allRows.length} rows on one side only)`
      : counts.slower
        ? `REGRESSED: ${counts.slower} of ${compared.length} slower`
        : counts.faster
          ? `IMPROVED: ${counts.faster} of ${compared.length} faster, none slower`
          : counts.inconclusive === compared.length
            ? 'INCONCLUSIVE: no row could be decided'
            : `NO SIGNIFICANT CHANGE across ${compared.length} rows`;
  const detail = [
    counts.slower ? `${counts.slower} slower` : '',
    counts.faster ? `${counts.faster} faster` : '',
    counts.same ? `${counts.same} same` : '',
    counts.inconclusive ? `${counts.inconclusive} inconclusive` : '',
    allRows.length > compared.length ? `${allRows.length - compared.length} on one side only` : '',
  ].filter(Boolean);
  const shownGeomeans = analysis.geomeans.filter((g): g is typeof g & { deltaPct: number } => g.deltaPct !== null);
  const geomean =
    analysis.geomeanDeltaPct !== null
      ? `; geomean ${formatPct(analysis.geomeanDeltaPct / 100, { signed: true })}`
      : shownGeomeans.length
        ? `; geomean ${shownGeomeans
            .slice(0, 4)
            .map((g) => `${g.unit}${candidates.length > 1 ? ` (${g.against})` : ''} ${formatPct(g.deltaPct / 100, { signed: true })}`)
            .join(', ')}`
        : '';
  const verdict = `${headline} — ${detail.join(', ')}${geomean}`;

  const body: Omit<CompareOutput, 'artifacts'> = {
    verdict,
    rows: allRows.slice(0, input.limit).map((r) => (oneTable ? withoutTable(r) : r)),
    rowsTotal: allRows.length,
    counts,
    geomeans: analysis.geomeans.map((g) => (oneTable ? withoutTable(g) : g)),
    geomeanDeltaPct: analysis.geomeanDeltaPct,
    method: describeMethod(input.correction, alpha, input.confidence),
    alpha,
    correction: input.correction,
    inputs: sets.map((s) => ({ source: s.source, format: s.format, benchmarks: s.benchmarks.length })),
    gate,
    warnings,
  };

  const run = await createRun(context.projectDir, 'compare', `${baseline.source} vs ${candidates.map((c) => c.source).join(' ')}`.slice(0, 60));
  const artifacts = {
    dir: run.dir,
    report: run.path('report.html'),
    result: run.path('result.json'),
    markdown: run.path('summary.md'),
    table: run.path('table.txt'),
    csv: run.path('table.csv'),
  };
  // benchstat's layout of every row: the text table and its CSV form.
  const tables = buildBenchstatTables(
    analysis.rows,
    analysis.geomeans,
    baseline.source,
    candidates.map((c) => c.source),
  );
  const benchstatText = renderBenchstatText(tables);
  await run.writeFile('table.txt', `${benchstatText}\n`);
  await run.writeFile('table.csv', renderBenchstatCsv(tables));
  await run.writeResult({
    tool: compareBenchmarksTool.name,
    input,
    result: { ...body, rows: allRows, artifacts },
    verdict: compareBenchmarksTool.verdict({ ...body, rows: allRows, artifacts }),
    aborted: context.signal.aborted,
    ...(runLog ? { extras: { runs: runLog } } : {}),
  });
  await run.writeFile('summary.md', renderMarkdown(body, allRows));
  await run.writeFile('report.html', renderHtmlReport(body, allRows));

  const multi = candidates.length > 1;
  const shown = allRows.slice(0, Math.min(input.limit, 25));
  // Go input reads like benchstat (its users know that table); other formats get ours.
  const goInput = sets.some((s) => s.format === 'go-bench') && tables.length > 0;
  const benchstatLines = benchstatText.split('\n');
  const lines = [verdict, ''];
  if (goInput && benchstatLines.length <= 80) lines.push(benchstatText);
  else if (goInput) lines.push(...benchstatLines.slice(0, 60), `… ${benchstatLines.length - 60} more lines in ${artifacts.table}`);
  else {
    lines.push(renderTerminalTable(shown, multi));
    if (allRows.length > shown.length) lines.push(`… ${allRows.length - shown.length} more rows in ${artifacts.markdown}`);
  }
  lines.push(
    '',
    `Medians ± CI (${input.confidence * 100}%); delta from medians; "~" = not significant (Mann-Whitney U, ${input.correction} correction, α ${alpha}).`,
  );
  if (gate.failOn)
    lines.push(gate.failed ? `Gate "${gate.failOn}" FAILED:\n${gate.reasons.map((r) => `  - ${r}`).join('\n')}` : `Gate "${gate.failOn}" passed.`);
  if (warnings.length)
    lines.push(
      `Warnings (${warnings.length}):`,
      ...warnings.slice(0, 8).map((w) => `  - ${w}`),
      ...(warnings.length > 8 ? [`  - … ${warnings.length - 8} more in the report`] : []),
    );
  lines.push(`Report: ${artifacts.report}`);
  // The result stays small (a budget of ~6k characters): the first warnings, the rest in summary.md.
  const shownWarnings = warnings.length > 6 ? [...warnings.slice(0, 5), `… ${warnings.length - 5} more in ${artifacts.markdown}`] : warnings;
  return { structured: { ...body, warnings: shownWarnings, artifacts }, summary: lines.join('\n') };
}
