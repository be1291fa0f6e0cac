import type { Command } from 'commander';
import { parseInput } from '../../common/validate.js';
import { historyInputSchema, type HistoryOutput } from '../../history/index.js';
import { parseNumberFlag } from '../flags.js';
import { runCliTool } from '../run-tool.js';

interface HistoryFlags {
  kind?: string;
  metric?: string;
  title?: string;
  alpha?: string;
  limit?: string;
  json?: boolean;
}

export function historyFlagsToInput(flags: HistoryFlags): Record<string, unknown> {
  return {
    kind: flags.kind,
    metric: flags.metric,
    ...(flags.title ? { title: flags.title } : {}),
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
    .option('--alpha <p>', 'significance of a change point (default 0.01)')
    .option('--limit <n>', 'latest points in the result (default 60; the page has all)')
    .option('--json', 'print exactly the structured result')
    .action(async (flags: HistoryFlags) => {
      process.exitCode = await runCliTool<HistoryOutput>({
        json: Boolean(flags.json),
        execute: async (context) => {
          const input = parseInput(historyInputSchema, historyFlagsToInput(flags), 'history input');
          const { runHistory } = await import('../../history/index.js');
          return runHistory(input, context);
        },
      });
    });
  return void history;
}
