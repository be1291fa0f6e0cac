import type { Command } from 'commander';
import { projectDirFromEnv } from '../../common/context.js';
import { describeError, isUserError } from '../../common/errors.js';
import { performanceHistoryTool } from '../../history/tool.js';
import { parseNumberFlag } from '../flags.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, runRegisteredTool } from '../run-tool.js';

interface HistoryFlags {
  kind?: string;
  metric?: string;
  title?: string;
  target?: string;
  alpha?: string;
  limit?: string;
  json?: boolean;
}

export function historyFlagsToInput(flags: HistoryFlags): Record<string, unknown> {
  return {
    kind: flags.kind,
    metric: flags.metric,
    ...(flags.title ? { title: flags.title } : {}),
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.alpha ? { alpha: parseNumberFlag('alpha', flags.alpha) } : {}),
    ...(flags.limit ? { limit: parseNumberFlag('limit', flags.limit) } : {}),
  };
}

export function registerHistoryCommand(program: Command): void {
  const history = program
    .command('history')
    .description(
      'One metric across the stored runs of a kind, oldest first, with change points (E-divisive means + permutation test) and a trend page (history.html). ' +
        'Metrics: p50/p90/p95/p99/throughput/errorRate (load, STAT@ENDPOINT per endpoint), median@ROW (compare, imports), self@FUNCTION (profile), executionMs@FINGERPRINT (query), lcp/cls/inp/tbt (vitals).',
    )
    .option('--kind <kind>', 'run kind: load, profile, query, compare, vitals, bench')
    .option('--metric <metric>', 'STAT or STAT@SUBJECT, e.g. p95, p95@GET /api, median@BenchmarkParse')
    .option('--title <text>', 'title of the trend page')
    .option('--target <text>', 'only runs whose target (load URL or script, profiled command, page) or title contains this')
    .option('--alpha <p>', 'significance of a change point (default 0.01)')
    .option('--limit <n>', 'latest points in the result (default 30; the page and result.json have all)')
    .option('--json', 'print exactly the structured result')
    .action(async (flags: HistoryFlags) => {
      process.exitCode = await runRegisteredTool(performanceHistoryTool, { json: Boolean(flags.json), input: () => historyFlagsToInput(flags) });
    });
  history
    .command('import')
    .description(
      "Turn existing results into history: a folder of result files named by commit (hyperfine, Go -bench, pytest-benchmark, … e.g. 3f2b364.json) or github-action-benchmark's data.js. One run per commit, metric median@NAME.",
    )
    .argument('<path>', 'folder or data file')
    .option('--kind <kind>', 'kind of the imported runs (default bench)', 'bench')
    .option('--json', 'print the imported runs as JSON')
    .action(async (path: string, flags: { kind: string; json?: boolean }) => {
      const projectDir = projectDirFromEnv();
      // `--json` after `import` is taken by the parent command's own --json option.
      const json = Boolean(flags.json || history.opts<HistoryFlags>().json);
      try {
        const { importHistory } = await import('../../history/import.js');
        const imported = await importHistory(projectDir, path, flags.kind);
        process.stdout.write(
          json
            ? `${JSON.stringify(imported, null, 2)}\n`
            : `imported ${imported.length} runs (kind ${flags.kind})${imported.length ? `: ${imported.map((r) => r.commit.slice(0, 10)).join(', ')}` : ' — all were imported before'}\n`,
        );
        process.exitCode = 0;
      } catch (error) {
        process.stderr.write(`perfeng: ${describeError(error)}\n`);
        process.exitCode = isUserError(error) ? EXIT_BAD_INPUT : EXIT_FAILED;
      }
    });
}
