import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { compareBenchmarksTool } from '../../compare/tool.js';
import { runRegisteredTool } from '../run-tool.js';
import { parseNumberFlag, readInputOption } from '../flags.js';

interface CompareFlags {
  input?: string;
  json?: boolean;
  format?: string;
  alpha?: string;
  confidence?: string;
  correction?: string;
  failOn?: string;
  noiseFloor?: string;
  equivalence?: string;
  filter?: string;
  row?: string;
  col?: string;
  table?: string;
  ignore?: string;
  csv?: boolean;
  limit?: string;
  baselineCmd?: string;
  candidateCmd?: string;
  runs?: string;
  warmup?: string;
}

/** `--input` takes inline JSON or a path to a JSON file with the full tool input. */

/** Positional files and flags → the tool input (validated by the same zod schema as MCP). */
export function compareFlagsToInput(files: string[], flags: CompareFlags): Record<string, unknown> {
  const input: Record<string, unknown> = flags.input ? readInputOption(flags.input) : {};
  if (files.length === 1 && !flags.col)
    throw new UserError('compare needs two inputs (baseline and candidate), or --col to compare within one file', 'perfeng compare old.txt new.txt');
  if (files.length === 1) input.baseline = files[0];
  else if (files.length === 2) {
    input.baseline = files[0];
    input.candidate = files[1];
  } else if (files.length > 2) input.inputs = files;
  if (flags.format) input.format = flags.format;
  if (flags.alpha) input.alpha = parseNumberFlag('alpha', flags.alpha);
  if (flags.confidence) input.confidence = parseNumberFlag('confidence', flags.confidence);
  if (flags.correction) input.correction = flags.correction;
  if (flags.failOn) input.failOn = flags.failOn;
  if (flags.noiseFloor) input.noiseFloorPct = parseNumberFlag('noise-floor', flags.noiseFloor);
  if (flags.equivalence) input.equivalencePct = parseNumberFlag('equivalence', flags.equivalence);
  if (flags.filter) input.filter = flags.filter;
  if (flags.row) input.row = flags.row;
  if (flags.col) input.col = flags.col;
  if (flags.table) input.table = flags.table;
  if (flags.ignore) input.ignore = flags.ignore;
  if (flags.limit) input.limit = parseNumberFlag('limit', flags.limit);
  if (flags.baselineCmd || flags.candidateCmd) {
    if (!flags.baselineCmd || !flags.candidateCmd) throw new UserError('--baseline-cmd and --candidate-cmd go together');
    input.run = {
      ...((input.run as object) ?? {}),
      baseline: flags.baselineCmd,
      candidate: flags.candidateCmd,
      ...(flags.runs ? { runs: parseNumberFlag('runs', flags.runs) } : {}),
      ...(flags.warmup ? { warmup: parseNumberFlag('warmup', flags.warmup) } : {}),
    };
  }
  return input;
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description(
      'Compare benchmark results like benchstat: medians ± CI, Mann-Whitney U, Holm correction, verdicts and a CI gate. ' +
        'Inputs: files, globs, .perf/runs ids or latest:load; formats auto-detected (hyperfine, Go -bench, Google Benchmark, pytest-benchmark, pyperf, vitest bench, k6, autocannon, CSV, run_load_test). ' +
        'Exit code 1 when the --fail-on gate fails, 2 on bad input.',
    )
    .argument('[inputs...]', 'baseline then candidate (more: each compared against the first); label=path names a column')
    .option('--format <id>', 'force an input format (default: auto-detect)')
    .option('--alpha <p>', 'significance level (default 0.05)')
    .option('--confidence <c>', 'confidence level of intervals (default 0.95)')
    .option('--correction <method>', 'none | holm | bh (default holm)')
    .option('--fail-on <gate>', 'gate: "regression>5%", "any-regression", "geomean>2%", "p95>500ms", "rps<1000"')
    .option('--noise-floor <pct>', 'significant changes below this % count as same (default 1)')
    .option('--equivalence <pct>', 'non-significant rows are "same" if the shift CI is within ±this % (default 5)')
    .option('--filter <query>', 'names containing this text or matching /regex/, or a benchstat query (goos:linux .unit:sec/op -/size:1k)')
    .option('--row <keys>', 'benchstat -row: keys naming the rows (default .fullname)')
    .option('--col <keys>', 'benchstat -col: keys naming the columns compared (default .file), e.g. /format or note')
    .option('--table <keys>', 'benchstat -table: keys splitting tables (default .config)')
    .option('--ignore <keys>', 'benchstat -ignore: keys not to split by, e.g. note')
    .option('--csv', 'print the benchstat-style table as CSV')
    .option('--limit <n>', 'rows in the result (default 5)')
    .option('--baseline-cmd <cmd>', 'measure this command as the baseline (with --candidate-cmd)')
    .option('--candidate-cmd <cmd>', 'measure this command as the candidate, interleaved with the baseline')
    .option('--runs <n>', 'measured runs per command (default 10)')
    .option('--warmup <n>', 'warm-up runs per command (default 1)')
    .option('--input <json-or-file>', 'the full tool input as JSON (or a path to a JSON file); flags override it')
    .option('--json', 'print exactly the structured result')
    .action(async (files: string[], flags: CompareFlags) => {
      process.exitCode = await runRegisteredTool(compareBenchmarksTool, {
        json: Boolean(flags.json),
        input: () => compareFlagsToInput(files, flags),
        // --csv prints the CSV artefact instead of the summary.
        text: flags.csv ? async (structured) => (await readFile((structured.artifacts as { csv: string }).csv, 'utf8')).trimEnd() : undefined,
      });
    });
}
