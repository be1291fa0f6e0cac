import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { analyzeQueryTool } from '../../query/tool.js';
import { runRegisteredTool } from '../run-tool.js';
import { collect, parseNumberFlag, readInputOption } from '../flags.js';

interface QueryFlags {
  input?: string;
  json?: boolean;
  database?: string;
  param?: string[];
  log?: string;
  analyze?: boolean;
  indexes?: boolean;
  hypopg?: boolean;
  minImprovement?: string;
  timeout?: string;
  top?: string;
  limit?: string;
}

/** A --param value: JSON when it parses (42, true, null, "x"), otherwise the text itself. */
function paramValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function queryFlagsToInput(sql: string | undefined, flags: QueryFlags): Record<string, unknown> {
  const input: Record<string, unknown> = flags.input ? readInputOption(flags.input) : {};
  if (sql) input.sql = sql === '-' ? readFileSync(0, 'utf8') : sql;
  if (flags.database) input.database = flags.database;
  if (flags.param?.length) input.params = flags.param.map(paramValue);
  if (flags.log) input.queryLog = flags.log;
  if (flags.analyze !== undefined) input.analyze = flags.analyze;
  if (flags.indexes === false) input.suggestIndexes = false;
  if (flags.hypopg === false) input.useHypopg = false;
  if (flags.minImprovement) input.minImprovementPct = parseNumberFlag('min-improvement', flags.minImprovement);
  if (flags.timeout) input.timeoutMs = parseNumberFlag('timeout', flags.timeout);
  if (flags.top) input.fromStatStatements = parseNumberFlag('top', flags.top);
  if (flags.limit) input.limit = parseNumberFlag('limit', flags.limit);
  return input;
}

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description(
      'Explain one SQL statement safely: plan findings, verified index suggestions, lint; N+1 over a query log; top statements from pg_stat_statements.',
    )
    .argument('[sql]', 'one SQL statement ("-" reads it from stdin)')
    .option('-d, --database <db>', 'SQLite file, postgres://… or mysql://… (default: query.database in .perf/config.json)')
    .option('-p, --param <value>', 'a bind value for $1/? (repeat in order; JSON literals like 42, true, null)', collect)
    .option('--log <file>', 'query log for N+1 detection (plain, PostgreSQL log, or JSON lines {sql, durationMs, stack})')
    .option('--analyze', 'execute the statement (EXPLAIN ANALYZE); writes run in a transaction that is rolled back')
    .option('--no-analyze', 'plan only, do not execute')
    .option('--no-indexes', 'skip the index advisor')
    .option('--no-hypopg', 'PostgreSQL: verify indexes with CREATE INDEX in a rolled-back transaction instead of HypoPG')
    .option('--min-improvement <pct>', 'keep index suggestions that cut cost by at least this % (default 50)')
    .option('--timeout <ms>', 'statement timeout in ms (default 10000)')
    .option('--top <n>', 'PostgreSQL: list the top N statements from pg_stat_statements')
    .option('--limit <n>', 'at most this many items per list in the output')
    .option('--input <json-or-file>', 'the full tool input as JSON (flags override it)')
    .option('--json', 'print the structured result as JSON')
    .action(async (sql: string | undefined, flags: QueryFlags) => {
      process.exitCode = await runRegisteredTool(analyzeQueryTool, { json: !!flags.json, input: () => queryFlagsToInput(sql, flags) });
    });
}
