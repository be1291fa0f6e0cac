import type { RunContext, ToolOutcome } from '../common/context.js';
import { UserError, throwIfAborted } from '../common/errors.js';
import { round } from '../common/units.js';
import { parseInput } from '../common/validate.js';
import { createRun } from '../store/runs.js';
import { adviseIndexes } from './advisor.js';
import { resolveConnection, type ConnectionSpec } from './connection.js';
import { StatementTimeoutError, type Driver, type ExplainRequest, type Protection } from './drivers/types.js';
import { fingerprintSql } from './fingerprint.js';
import { lintStatement } from './lint.js';
import { sourceMappedCallSite } from './call-site.js';
import { detectNPlusOne } from './n-plus-one.js';
import { renderCompactPlan, type Dialect, type Plan } from './plan.js';
import { readQueryLog } from './query-log.js';
import { renderReport, renderSummary, verdictOf } from './render.js';
import { applyPlanRules } from './rules.js';
import { queryInputSchema, type IndexSuggestion, type LoggedQuery, type QueryInput, type QueryOutput, type TopQuery } from './schema.js';
import { loadPgParser, parseStatement, parseWithNodeSqlParser, type ParsedStatement } from './statement.js';
import { analyzeQueryTool } from './tool.js';

export { queryInputSchema, queryOutputSchema } from './schema.js';
export type { QueryInput, QueryOutput } from './schema.js';

/**
 * analyze_query: parse → (connect) → EXPLAIN [ANALYZE] safely → normalise the plan → rules,
 * lint, verified index suggestions, N+1 over a query log, top statements → artefacts.
 * Never changes data: see statement.ts (what is refused) and the drivers (how it runs).
 */
export async function analyzeQuery(rawInput: QueryInput | Record<string, unknown>, context: RunContext): Promise<ToolOutcome<QueryOutput>> {
  const input = parseInput(queryInputSchema, rawInput, 'analyze_query input');
  const cfg = context.config.query;
  const timeoutMs = input.timeoutMs ?? cfg.timeoutMs;
  const minImprovementPct = input.minImprovementPct ?? cfg.minImprovementPct;
  const targetMs = context.config.targets.queryMs;
  if (!input.sql && !input.queryLog && !input.queries?.length && !input.fromStatStatements) {
    throw new UserError('nothing to analyse', 'give `sql` (one statement), `queryLog`/`queries` (for N+1 detection) or `fromStatStatements` (PostgreSQL)');
  }
  const warnings: string[] = [];
  const steps = 6;
  context.report(0, steps, 'reading input');

  const logged: LoggedQuery[] = [...(input.queries ?? [])];
  if (input.queryLog)
    logged.push(...(await readQueryLog(input.queryLog, context.projectDir, { allowedPaths: cfg.allowedInputPaths, maxInputMb: cfg.maxInputMb })));

  const database = input.database ?? cfg.database;
  const connection: ConnectionSpec | undefined = database ? await resolveConnection(database, context.projectDir, context.config.load.allowHosts) : undefined;
  const dialect: Dialect | 'none' = connection?.dialect ?? 'none';
  if (input.fromStatStatements && dialect !== 'postgres') throw new UserError('fromStatStatements needs a PostgreSQL database', 'give database: postgres://…');

  // Without `sql`, analyse the statement that cost the most in the log (by total time, else count).
  let sql = input.sql;
  let params = input.params;
  const heaviest = !sql && connection ? heaviestStatement(logged) : undefined;
  if (heaviest !== undefined) {
    sql = heaviest;
    params = undefined;
    warnings.push(`no sql given: analysed the statement with the highest total time in the log`);
  }

  // N+1
  context.report(1, steps, 'fingerprinting the query log');
  let pgFingerprint: ((sql: string) => string | undefined) | undefined;
  if (dialect === 'postgres' && logged.length) {
    const pg = await loadPgParser();
    const cache = new Map<string, string | undefined>();
    pgFingerprint = (text) => {
      const key = fingerprintSql(text);
      if (!cache.has(key)) {
        try {
          cache.set(key, pg.fingerprintSync(text));
        } catch {
          cache.set(key, undefined);
        }
      }
      return cache.get(key);
    };
  }
  const nPlusOneAll = logged.length
    ? detectNPlusOne(logged, {
        minCount: input.nPlusOneMinCount,
        dialect,
        locateFrame: sourceMappedCallSite(context.projectDir),
        ...(pgFingerprint ? { pgFingerprint } : {}),
      })
    : [];
  throwIfAborted(context.signal);

  let parsed: ParsedStatement | undefined;
  let plan: Plan | undefined;
  let timedOutAfterMs: number | undefined;
  let findings: QueryOutput['findings'] = [];
  let suggestions: IndexSuggestion[] = [];
  let tried: IndexSuggestion[] = [];
  let lint: QueryOutput['lint'] = [];
  let analyzed = false;
  let protection: Protection | undefined;

  if (sql) {
    context.report(2, steps, 'parsing the statement');
    if (dialect === 'none') {
      // No database: lint only, with PostgreSQL's parser (then MySQL's) to read the text.
      try {
        parsed = await parseStatement(sql, 'postgres');
      } catch (error) {
        if (error instanceof UserError && /refusing/.test(error.message)) throw error;
        parsed = parseWithNodeSqlParser(sql, 'mysql');
      }
      warnings.push('no database given (input `database` or query.database in .perf/config.json): lint only, no plan');
    } else {
      parsed = await parseStatement(sql, dialect);
    }
    warnings.push(...parsed.warnings);
    lint = lintStatement(sql, parsed.kind, parsed.shape, dialect === 'none' ? 'postgres' : dialect);

    if (connection) {
      context.report(3, steps, `connecting to ${connection.dialect}`);
      const driver = await openDriver(connection, parsed, timeoutMs, input.useHypopg, context.signal, cfg, context.projectDir);
      try {
        const analyze = input.analyze ?? parsed.readOnly;
        if (analyze && !parsed.readOnly) {
          warnings.push(
            `the ${parsed.kind.toUpperCase()} was executed inside a transaction that was rolled back: the rows are unchanged, but effects outside the transaction are not undone (sequence values consumed, triggers that notify or call out, ${dialect === 'mysql' ? 'non-transactional tables' : 'unlogged side effects'})`,
          );
        }
        const request: ExplainRequest = {
          sql,
          ...(params ? { params } : {}),
          analyze,
          readOnly: parsed.readOnly,
          tables: parsed.shape.tables.map((t) => t.name),
          kind: parsed.kind,
          functions: parsed.shape.functions,
        };
        // The server's catalog decides before any EXPLAIN (user code, triggers, rules, engines).
        protection = await driver.checkStatement(request);
        context.report(3, steps, analyze ? 'running EXPLAIN ANALYZE' : 'running EXPLAIN');
        try {
          plan = await driver.explain(request);
        } catch (error) {
          // The database's syntax error has no position (SQLite) — add the parser's, which has.
          if (error instanceof UserError && !parsed.parsedFully && /syntax|incomplete input|parse/i.test(error.message)) {
            throw new UserError(
              `${error.message} (${parsed.warnings[0]?.replace(/^the SQL parser could not read the statement \((.*)\); lint.*$/, 'parser: $1') ?? ''})`,
            );
          }
          if (!(error instanceof StatementTimeoutError) || !analyze) throw error;
          timedOutAfterMs = timeoutMs;
          warnings.push(`EXPLAIN ANALYZE was stopped by the ${timeoutMs} ms statement timeout; showing the estimated plan`);
          plan = await driver.explain({ ...request, analyze: false });
        }
        analyzed = plan.analyzed;
        throwIfAborted(context.signal);

        context.report(4, steps, 'checking the plan');
        const tableRows = new Map<string, number>();
        for (const relation of new Set(plan.nodes.map((n) => n.relation).filter((r): r is string => !!r))) {
          const rows = await driver.tableRows(relation).catch(() => undefined);
          if (rows !== undefined) tableRows.set(relation.toLowerCase(), rows);
        }
        const settings = await driver.settings();
        findings = applyPlanRules(plan, {
          tableRows,
          targetMs,
          ...(settings.workMemKb ? { workMemKb: settings.workMemKb } : {}),
          ...(timedOutAfterMs ? { timedOutAfterMs } : {}),
        });

        if (input.suggestIndexes && parsed.parsedFully) {
          const advised = await adviseIndexes(
            driver,
            { ...request, analyze: analyze && parsed.readOnly && !timedOutAfterMs },
            parsed.shape,
            plan,
            { minImprovementPct, signal: context.signal, onProgress: (done, total, message) => context.report(4 + done / Math.max(1, total), steps, message) },
            warnings,
          );
          suggestions = advised.suggestions;
          tried = advised.tried;
        }
      } finally {
        warnings.push(...driver.warnings);
        await driver.close();
      }
    }
  }
  throwIfAborted(context.signal);

  let topQueries: TopQuery[] | undefined;
  if (input.fromStatStatements && connection) {
    topQueries = await analyseTopStatements(connection, cfg, input.fromStatStatements, timeoutMs, targetMs, context.signal, warnings, context.projectDir);
  }

  context.report(5, steps, 'writing the report');
  const run = await createRun(context.projectDir, 'query', sql ? sql.slice(0, 40) : 'query-log');
  const limit = input.limit;
  const compact = plan ? renderCompactPlan(plan) : '';
  const full: QueryOutput = {
    dialect,
    statementKind: parsed?.kind ?? 'none',
    analyzed,
    ...(plan?.executionMs !== undefined ? { executionMs: round(plan.executionMs) } : {}),
    ...(plan?.planningMs !== undefined ? { planningMs: round(plan.planningMs) } : {}),
    ...(plan?.totalCost !== undefined ? { totalCost: round(plan.totalCost, 2) } : {}),
    plan: {
      summary: (plan?.nodes ?? []).map((n) => ({
        id: n.id,
        parentId: n.parentId,
        depth: n.depth,
        kind: n.kind,
        label: n.label,
        ...(n.relation ? { relation: n.relation } : {}),
        ...(n.index ? { index: n.index } : {}),
        ...(n.estimatedRows !== undefined ? { estimatedRows: n.estimatedRows } : {}),
        ...(n.totalCost !== undefined ? { totalCost: n.totalCost } : {}),
        ...(n.actualRows !== undefined ? { actualRows: n.actualRows } : {}),
        ...(n.loops !== undefined ? { loops: n.loops } : {}),
        ...(n.exclusiveMs !== undefined ? { exclusiveMs: round(n.exclusiveMs) } : {}),
        ...(n.exclusivePct !== undefined ? { exclusivePct: round(n.exclusivePct, 1) } : {}),
      })),
      compact,
    },
    findings,
    indexSuggestions: suggestions,
    lint,
    nPlusOne: nPlusOneAll,
    ...(topQueries ? { topQueries } : {}),
    ...(protection ? { protection } : {}),
    warnings,
    artifacts: { dir: run.dir, report: run.path('report.html'), ...(plan ? { plan: run.path('plan.json') } : {}) },
  };
  const verdict = verdictOf(full, targetMs);
  if (plan)
    await run.writeJson('plan.json', {
      normalised: plan.nodes,
      raw: plan.raw,
      executionMs: plan.executionMs,
      planningMs: plan.planningMs,
      totalCost: plan.totalCost,
    });
  await run.writeResult({
    tool: analyzeQueryTool.name,
    input,
    result: full,
    verdict: analyzeQueryTool.verdict(full),
    aborted: context.signal.aborted,
    extras: { indexCandidatesTried: tried },
  });
  await run.writeFile('report.html', renderReport(full, plan, sql, verdict));

  // The structured result stays small: top-N of each list; the artefacts hold everything.
  const structured: QueryOutput = {
    ...full,
    findings: full.findings.slice(0, limit),
    indexSuggestions: full.indexSuggestions.slice(0, limit),
    lint: full.lint.slice(0, limit),
    nPlusOne: full.nPlusOne.slice(0, limit),
    plan: {
      summary: full.plan.summary.slice(0, 200),
      compact: compact.length > 8000 ? `${compact.slice(0, 8000)}\n… (full plan in ${run.path('plan.json')})` : compact,
    },
  };
  context.report(steps, steps, 'done');
  return { structured, summary: renderSummary(full, verdict) };
}

/** The statement with the highest total time (else count) in the log; undefined for an empty log. */
function heaviestStatement(logged: LoggedQuery[]): string | undefined {
  const totals = new Map<string, { sql: string; ms: number; count: number }>();
  for (const q of logged) {
    const key = fingerprintSql(q.sql);
    const entry = totals.get(key) ?? { sql: q.sql, ms: 0, count: 0 };
    entry.ms += q.durationMs ?? 0;
    entry.count++;
    totals.set(key, entry);
  }
  return [...totals.values()].sort((a, b) => b.ms - a.ms || b.count - a.count)[0]?.sql;
}

type QueryConfig = RunContext['config']['query'];

/** What the PostgreSQL driver needs from config and the host check to guard a session. */
function postgresGuardOptions(connection: ConnectionSpec, cfg: QueryConfig, projectDir: string) {
  return {
    ...(connection.address ? { address: connection.address } : {}),
    // TLS files named in the URL (sslrootcert …) pass the input-file gate, read asynchronously.
    tlsFiles: { projectDir, allowedPaths: cfg.allowedInputPaths },
    ...(cfg.role ? { role: cfg.role } : {}),
    searchPath: cfg.searchPath,
    trustedFunctions: cfg.trustedFunctions,
  };
}

async function openDriver(
  connection: ConnectionSpec,
  parsed: ParsedStatement,
  timeoutMs: number,
  useHypopg: boolean,
  signal: AbortSignal,
  cfg: QueryConfig,
  projectDir: string,
): Promise<Driver> {
  if (connection.dialect === 'postgres') {
    const { openPostgres } = await import('./drivers/postgres.js');
    return openPostgres({ url: connection.target, timeoutMs, useHypopg, signal, ...postgresGuardOptions(connection, cfg, projectDir) });
  }
  const aliases = new Map<string, string>();
  for (const t of parsed.shape.tables) {
    aliases.set(t.name.toLowerCase(), t.name);
    if (t.alias) aliases.set(t.alias.toLowerCase(), t.name);
  }
  if (connection.dialect === 'mysql') {
    const { openMysql } = await import('./drivers/mysql.js');
    return openMysql({
      url: connection.target,
      ...(connection.address ? { address: connection.address } : {}),
      timeoutMs,
      signal,
      aliases,
      allowScratchCopy: cfg.allowScratchCopy,
      trustedFunctions: cfg.trustedFunctions,
    });
  }
  const { openSqlite } = await import('./drivers/sqlite.js');
  return openSqlite({ path: connection.target, timeoutMs, signal, aliases });
}

/**
 * pg_stat_statements top N by total time: each DML statement is linted and planned with a
 * plain EXPLAIN (never executed: the texts are normalised, with $n for the literals — planned
 * as a generic plan on PostgreSQL 16+, skipped with a note on older servers).
 */
async function analyseTopStatements(
  connection: ConnectionSpec,
  cfg: QueryConfig,
  limit: number,
  timeoutMs: number,
  targetMs: number,
  signal: AbortSignal,
  warnings: string[],
  projectDir: string,
): Promise<TopQuery[]> {
  const { readStatStatements, openPostgres } = await import('./drivers/postgres.js');
  const url = connection.target;
  const guard = postgresGuardOptions(connection, cfg, projectDir);
  const rows = await readStatStatements(url, limit, timeoutMs, connection.address, guard.tlsFiles);
  const out: TopQuery[] = [];
  let driver: Driver | undefined;
  let skippedUtility = 0;
  try {
    for (const row of rows) {
      if (out.length >= limit) break;
      const query = String(row.query);
      let parsed: ParsedStatement;
      try {
        parsed = await parseStatement(query, 'postgres');
      } catch {
        skippedUtility++;
        continue;
      }
      const entry: TopQuery = {
        query,
        calls: Number(row.calls),
        totalMs: round(Number(row.total_ms)),
        meanMs: round(Number(row.mean_ms)),
        rows: Number(row.rows),
        sharedBlksHit: Number(row.shared_blks_hit),
        sharedBlksRead: Number(row.shared_blks_read),
        lint: lintStatement(query, parsed.kind, parsed.shape, 'postgres').map((l) => l.rule),
        findings: [],
      };
      try {
        driver ??= await openPostgres({ url, timeoutMs, useHypopg: false, signal, ...guard });
        const request = { sql: query, analyze: false, readOnly: parsed.readOnly, kind: parsed.kind };
        await driver.checkStatement(request);
        const plan = await driver.explain(request);
        const tableRows = new Map<string, number>();
        for (const relation of new Set(plan.nodes.map((n) => n.relation).filter((r): r is string => !!r))) {
          const n = await driver.tableRows(relation).catch(() => undefined);
          if (n !== undefined) tableRows.set(relation.toLowerCase(), n);
        }
        entry.findings = applyPlanRules(plan, { tableRows, targetMs })
          .slice(0, 3)
          .map((f) => ({ rule: f.rule, severity: f.severity, message: f.message }));
      } catch (error) {
        entry.planNote =
          /\$\d/.test(query) && /params/.test((error as Error).message)
            ? 'not planned: the normalised text has $n placeholders and this server is older than PostgreSQL 16 (EXPLAIN (GENERIC_PLAN)); run analyze_query on it with params'
            : `not planned: ${(error as Error).message}`;
      }
      out.push(entry);
    }
  } finally {
    await driver?.close();
  }
  if (skippedUtility) warnings.push(`${skippedUtility} utility statement(s) (CREATE, SET, VACUUM …) in pg_stat_statements were left out of topQueries`);
  return out;
}
