import { defined, UserError } from '../../common/errors.js';
import { loadPgParser } from '../statement.js';

/**
 * The PostgreSQL catalog check: before any EXPLAIN, find every function, operator, cast,
 * view, policy, trigger and rule the statement would reach — from the server's catalog, with
 * exact (case-preserving, schema-aware) names — and refuse user-defined code unless it is
 * listed in `query.trustedFunctions`. Declared volatility is not trusted: a STABLE function
 * runs during plain EXPLAIN (the planner evaluates it to estimate selectivity).
 *
 * How the server tells us what a statement uses without running or planning it: inside a
 * transaction that is always rolled back we create a temporary SQL-standard function whose
 * body is the statement (`CREATE FUNCTION pg_temp.… BEGIN ATOMIC <sql>; END`). PostgreSQL
 * parses and analyses the body — name resolution, overloads, operators, implicit casts, exactly
 * as it would for the real statement — and records every non-built-in object it uses in
 * pg_depend (built-ins are "pinned" and not recorded). We walk pg_depend from there, through
 * views' rewrite rules, row-security policies and, for executed writes, triggers, rules,
 * column defaults, constraints, foreign-key actions and partitions.
 *
 * Built-ins are pinned, so pg_depend never lists them; they are checked by name: any
 * pg_catalog function that PostgreSQL declares VOLATILE (its own declarations, unlike users',
 * are accurate) is refused unless it is in the harmless list below.
 */
export type PgQuery = <R extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  values?: unknown[],
) => Promise<{ rows: R[]; rowCount: number | null }>;

/** Volatile built-ins with no effect outside the statement (randomness, clocks, sleeping, sizes). */
export const HARMLESS_VOLATILE_BUILTINS: ReadonlySet<string> = new Set([
  'random',
  'random_normal',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'setseed',
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
  'txid_current',
  'pg_current_xact_id',
  'pg_relation_size',
  'pg_table_size',
  'pg_total_relation_size',
  'pg_indexes_size',
  'pg_database_size',
  'pg_is_in_recovery',
]);

export interface CatalogCheckOptions {
  /** The statement will be executed as a write (EXPLAIN ANALYZE of DML): triggers, rules, constraints count. */
  executedWrite: boolean;
  /** Statement kind (insert/update/delete/merge/select): which foreign-key actions fire. */
  kind?: string;
  /** The executed write may fill column defaults (INSERT, MERGE, SET … = DEFAULT). */
  usesDefaults: boolean;
  /** Exact "schema.name" entries from query.trustedFunctions. */
  trustedFunctions: readonly string[];
  /** statement_timeout for the check itself. */
  timeoutMs: number;
}

export interface CatalogReport {
  relations: string[];
  /** Trusted user-defined functions the statement uses. */
  trustedFunctions: string[];
  /** Milliseconds the check took. */
  ms: number;
}

/** "schema"."name" quoted only where needed, as users would write it in config (exact case). */
function displayName(schema: string, name: string): string {
  return `${schema}.${name}`;
}

function refuse(what: string, hint: string): never {
  throw new UserError(`refusing to analyse the statement: ${what}`, hint);
}

/** Every function name called in a libpg_query tree, with its schema when written. */
export function calledFunctionNames(tree: unknown): Array<{ schema?: string; name: string }> {
  const out: Array<{ schema?: string; name: string }> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const call = record.FuncCall as { funcname?: Array<{ String?: { sval?: string; str?: string } }> } | undefined;
    if (call?.funcname) {
      const parts = call.funcname.map((p) => p.String?.sval ?? p.String?.str ?? '');
      const name = parts.at(-1) ?? '';
      const schema = parts.at(-2);
      out.push(schema !== undefined ? { schema, name } : { name });
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(tree);
  return out;
}

let volatileBuiltinsCache: Promise<Set<string>> | undefined;
async function volatileBuiltins(q: PgQuery): Promise<Set<string>> {
  // Per process: pg_catalog's own functions only change with the server version.
  volatileBuiltinsCache ??= q<{ proname: string }>(
    "SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND provolatile = 'v'",
  ).then(
    (r) => new Set(r.rows.map((row) => row.proname).filter((n) => !HARMLESS_VOLATILE_BUILTINS.has(n))),
    (error: unknown) => {
      volatileBuiltinsCache = undefined;
      throw error;
    },
  );
  return volatileBuiltinsCache;
}

/** Names of side-effect built-ins called in SQL text we only have as text (view bodies, defaults). */
function sideEffectCallsInText(text: string, denied: Set<string>): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(^|[^a-z0-9_$."])(?:pg_catalog\.)?([a-z_][a-z0-9_$]*)\s*\(/gi)) {
    const name = defined(match[2], 'the function name in a call matched in SQL text').toLowerCase();
    if (denied.has(name)) found.add(name);
  }
  return [...found];
}

function builtinRefusal(names: string[], where: string): never {
  refuse(
    `${where} call${names.length === 1 ? 's' : ''} ${names.map((n) => `${n}()`).join(', ')} — a built-in declared volatile that acts outside the statement (sequences, other sessions, locks, files, settings or SQL given as text)`,
    'analyse the query without the call; nothing was run',
  );
}

const WALK_SQL = `
WITH RECURSIVE walk(classid, objid) AS (
  SELECT 'pg_proc'::regclass::oid, $1::oid
  UNION
  SELECT e.classid, e.objid
    FROM walk w
    CROSS JOIN LATERAL (
      -- what this object's definition refers to; function bodies other than our probe are
      -- terminal (a function is judged as a whole); a table's own entries come below
      SELECT d.refclassid AS classid, d.refobjid AS objid FROM pg_depend d
       WHERE d.classid = w.classid AND d.objid = w.objid AND d.deptype = 'n'
         AND (w.classid <> 'pg_proc'::regclass::oid OR w.objid = $1::oid)
         AND w.classid <> 'pg_class'::regclass::oid
      UNION ALL
      -- a table's own code: partition-key expressions and operator classes (the planner folds
      -- their constant parts on every plan), the type of a typed table
      SELECT d.refclassid, d.refobjid FROM pg_depend d
       WHERE w.classid = 'pg_class'::regclass::oid AND d.classid = w.classid AND d.objid = w.objid
         AND d.objsubid = 0 AND d.deptype = 'n'
         AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_type'::regclass, 'pg_opclass'::regclass)
      UNION ALL
      -- index expressions, partial-index predicates and operator classes: evaluated for every
      -- row written, and their constant parts folded while planning any statement on the table
      SELECT d.refclassid, d.refobjid FROM pg_index x
        JOIN pg_depend d ON d.classid = 'pg_class'::regclass::oid AND d.objid = x.indexrelid AND d.deptype = 'n'
       WHERE w.classid = 'pg_class'::regclass::oid AND x.indrelid = w.objid
         AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_type'::regclass, 'pg_opclass'::regclass)
      UNION ALL
      -- column types of written tables: a DOMAIN's checks run when a value is stored
      SELECT 'pg_type'::regclass::oid, a.atttypid FROM pg_attribute a
       WHERE $2 AND $3 <> 'delete' AND w.classid = 'pg_class'::regclass::oid AND a.attrelid = w.objid
         AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid >= 16384
      UNION ALL
      -- a type's parts: a domain's checks, its base type, an array's element type, a composite's fields
      SELECT 'pg_constraint'::regclass::oid, k.oid FROM pg_constraint k
       WHERE w.classid = 'pg_type'::regclass::oid AND k.contypid = w.objid
      UNION ALL
      SELECT 'pg_type'::regclass::oid, x.part FROM pg_type t
       CROSS JOIN LATERAL (VALUES (t.typelem), (t.typbasetype)) x(part)
       WHERE w.classid = 'pg_type'::regclass::oid AND t.oid = w.objid AND x.part >= 16384
      UNION ALL
      SELECT 'pg_type'::regclass::oid, a.atttypid FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid
       WHERE w.classid = 'pg_type'::regclass::oid AND t.oid = w.objid AND t.typrelid <> 0
         AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid >= 16384
      UNION ALL
      -- a user operator class's support functions and operators (index builds, predicate proofs)
      SELECT 'pg_proc'::regclass::oid, ap.amproc FROM pg_opclass oc JOIN pg_amproc ap ON ap.amprocfamily = oc.opcfamily
       WHERE w.classid = 'pg_opclass'::regclass::oid AND oc.oid = w.objid
      UNION ALL
      SELECT 'pg_operator'::regclass::oid, ao.amopopr FROM pg_opclass oc JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily
       WHERE w.classid = 'pg_opclass'::regclass::oid AND oc.oid = w.objid
      UNION ALL
      SELECT 'pg_rewrite'::regclass::oid, r.oid FROM pg_rewrite r
       WHERE w.classid = 'pg_class'::regclass::oid AND r.ev_class = w.objid AND ($2 OR r.ev_type = '1')
      UNION ALL
      -- row-security policies run on reads too (the read role is not the owner)
      SELECT 'pg_policy'::regclass::oid, p.oid FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
       WHERE w.classid = 'pg_class'::regclass::oid AND p.polrelid = w.objid AND c.relrowsecurity
      UNION ALL
      SELECT 'pg_trigger'::regclass::oid, t.oid FROM pg_trigger t
       WHERE $2 AND w.classid = 'pg_class'::regclass::oid AND t.tgrelid = w.objid AND NOT t.tgisinternal
      UNION ALL
      -- defaults: when the statement fills defaults, a foreign key's SET DEFAULT action may,
      -- and generated columns are computed on every write
      SELECT 'pg_attrdef'::regclass::oid, a.oid FROM pg_attrdef a
        JOIN pg_attribute att ON att.attrelid = a.adrelid AND att.attnum = a.adnum
       WHERE $2 AND w.classid = 'pg_class'::regclass::oid AND a.adrelid = w.objid
         AND ($4 OR att.attgenerated <> '' OR EXISTS (
               SELECT 1 FROM pg_constraint f WHERE f.conrelid = w.objid AND f.contype = 'f' AND 'd' IN (f.confdeltype, f.confupdtype)))
      UNION ALL
      -- constraints of written tables; CHECKs of read tables when constraint exclusion folds them
      -- (inheritance children and partitions, or everything with constraint_exclusion = on)
      SELECT 'pg_constraint'::regclass::oid, k.oid FROM pg_constraint k
       WHERE w.classid = 'pg_class'::regclass::oid AND k.conrelid = w.objid AND k.contype IN ('c', 'f', 't', 'x')
         AND ($2 OR (k.contype = 'c' AND (current_setting('constraint_exclusion') = 'on'
               OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = w.objid))))
      UNION ALL
      -- foreign-key actions that write the referencing table (CASCADE, SET NULL/DEFAULT)
      SELECT 'pg_class'::regclass::oid, k.conrelid FROM pg_constraint k
       WHERE $2 AND w.classid = 'pg_class'::regclass::oid AND k.confrelid = w.objid AND k.contype = 'f'
         AND (($3 IN ('delete', 'merge') AND k.confdeltype IN ('c', 'n', 'd')) OR ($3 IN ('update', 'merge') AND k.confupdtype IN ('c', 'n', 'd')))
      UNION ALL
      SELECT 'pg_class'::regclass::oid, i.inhrelid FROM pg_inherits i
       WHERE w.classid = 'pg_class'::regclass::oid AND i.inhparent = w.objid
    ) e
)
SELECT 'function' AS kind, n.nspname AS schema, p.proname AS name, p.oid::regprocedure::text AS signature,
       p.prosecdef AS secdef, p.provolatile AS volatile, p.oid < 16384 AS builtin, NULL::text AS detail, NULL::text AS relkind,
       NULL::text AS identity
  FROM walk w JOIN pg_proc p ON w.classid = 'pg_proc'::regclass::oid AND p.oid = w.objid AND p.oid <> $1::oid
  JOIN pg_namespace n ON n.oid = p.pronamespace
UNION ALL
SELECT 'relation', n.nspname, c.relname, NULL, NULL, NULL, c.oid < 16384,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END, c.relkind::text,
       -- identity columns a write may fill: each fill takes a value from a sequence, which no rollback returns
       CASE WHEN $2 AND ($4 OR EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = c.oid AND f.contype = 'f' AND 'd' IN (f.confdeltype, f.confupdtype)))
            THEN (SELECT string_agg(quote_ident(a.attname), ', ') FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity <> '' AND NOT a.attisdropped) END
  FROM walk w JOIN pg_class c ON w.classid = 'pg_class'::regclass::oid AND c.oid = w.objid
  JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
-- an operator is judged by the functions it calls (and the planner's estimators for it);
-- built-in ones are pinned, so pg_depend does not list them: they are named here
SELECT 'operator', n.nspname, o.oprname, o.oid::regoperator::text, NULL, NULL, o.oid < 16384,
       concat_ws(' ', CASE WHEN o.oprcode::oid < 16384 THEN o.oprcode::oid::regproc::text END,
                      CASE WHEN o.oprrest::oid BETWEEN 1 AND 16383 THEN o.oprrest::oid::regproc::text END,
                      CASE WHEN o.oprjoin::oid BETWEEN 1 AND 16383 THEN o.oprjoin::oid::regproc::text END), NULL, NULL
  FROM walk w JOIN pg_operator o ON w.classid = 'pg_operator'::regclass::oid AND o.oid = w.objid
  JOIN pg_namespace n ON n.oid = o.oprnamespace
UNION ALL
SELECT 'trigger', n.nspname, t.tgname, NULL, NULL, NULL, false, c.relname, NULL, NULL
  FROM walk w JOIN pg_trigger t ON w.classid = 'pg_trigger'::regclass::oid AND t.oid = w.objid
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'rule', n.nspname, r.rulename, NULL, NULL, NULL, false, c.relname, NULL, NULL
  FROM walk w JOIN pg_rewrite r ON w.classid = 'pg_rewrite'::regclass::oid AND r.oid = w.objid AND r.rulename <> '_RETURN'
  JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'policy', n.nspname, p.polname, NULL, NULL, NULL, false,
       coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''), NULL, NULL
  FROM walk w JOIN pg_policy p ON w.classid = 'pg_policy'::regclass::oid AND p.oid = w.objid
  JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'default', n.nspname, c.relname, NULL, NULL, NULL, false, pg_get_expr(a.adbin, a.adrelid), NULL, NULL
  FROM walk w JOIN pg_attrdef a ON w.classid = 'pg_attrdef'::regclass::oid AND a.oid = w.objid
  JOIN pg_class c ON c.oid = a.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'default', n.nspname, t.typname, NULL, NULL, NULL, false, pg_get_expr(t.typdefaultbin, 0), 'domain', NULL
  FROM walk w JOIN pg_type t ON w.classid = 'pg_type'::regclass::oid AND t.oid = w.objid AND t.typdefaultbin IS NOT NULL
  JOIN pg_namespace n ON n.oid = t.typnamespace
UNION ALL
SELECT 'constraint', n.nspname, coalesce(c.relname, t.typname), NULL, NULL, NULL, false, pg_get_constraintdef(k.oid),
       CASE WHEN k.contypid <> 0 THEN 'domain' END, NULL
  FROM walk w JOIN pg_constraint k ON w.classid = 'pg_constraint'::regclass::oid AND k.oid = w.objid
  LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid
  JOIN pg_namespace n ON n.oid = coalesce(c.relnamespace, t.typnamespace)`;

interface WalkRow extends Record<string, unknown> {
  kind: 'function' | 'operator' | 'relation' | 'trigger' | 'rule' | 'policy' | 'default' | 'constraint';
  schema: string;
  name: string;
  signature: string | null;
  secdef: boolean | null;
  volatile: string | null;
  builtin: boolean;
  detail: string | null;
  relkind: string | null;
  identity: string | null;
}

const VOLATILITY: Record<string, string> = { v: 'VOLATILE', s: 'STABLE', i: 'IMMUTABLE' };
const TRANSACTIONAL_RELKINDS = new Set(['r', 'p', 'v', 'm', 'S', 'i', 'I', 'c', 't']);

/**
 * Throws a UserError saying exactly what would run; returns what was checked otherwise.
 * `q` must send every statement over the extended protocol (one command per message).
 */
export async function checkPostgresCatalog(q: PgQuery, sql: string, options: CatalogCheckOptions): Promise<CatalogReport> {
  const started = performance.now();
  const pg = await loadPgParser();
  const tree = pg.parseSync(sql) as { stmts?: Array<{ stmt?: unknown; stmt_location?: number; stmt_len?: number }> };
  const first = tree.stmts?.[0];
  if (!first || (tree.stmts?.length ?? 0) !== 1) refuse('it is not exactly one statement', 'give one statement in `sql`');
  const denied = await volatileBuiltins(q);

  // Built-ins named in the statement itself (unqualified names resolve to pg_catalog first).
  const builtinCalls = calledFunctionNames(first.stmt)
    .filter((f) => (!f.schema || f.schema.toLowerCase() === 'pg_catalog') && denied.has(f.name.toLowerCase()))
    .map((f) => f.name.toLowerCase());
  if (builtinCalls.length) builtinRefusal([...new Set(builtinCalls)], 'the statement');

  // Creating the probe function is DDL: an event trigger would run user code for it.
  const events = await q<{ evtname: string }>(
    "SELECT evtname FROM pg_event_trigger WHERE evtenabled <> 'D' AND evtevent IN ('ddl_command_start', 'ddl_command_end')",
  );
  if (events.rowCount) {
    refuse(
      `this database has event trigger${events.rows.length > 1 ? 's' : ''} ${events.rows.map((r) => `"${r.evtname}"`).join(', ')} that would run during our dependency check`,
      'disable the event trigger (ALTER EVENT TRIGGER … DISABLE) or analyse on a copy of the database',
    );
  }

  const start = first.stmt_location ?? 0;
  const body = (first.stmt_len ? sql.slice(start, start + first.stmt_len) : sql.slice(start)).trim();
  const probeName = `perfeng_probe_${process.pid}`;
  let rows: WalkRow[] = [];
  await q('BEGIN');
  try {
    await q(`SET LOCAL statement_timeout = ${Math.floor(options.timeoutMs)}`);
    // Parameter types as the server infers them ($1 …), from an unplanned PREPARE.
    let argTypes: string[] = [];
    if (/\$\d/.test(body)) {
      await q(`PREPARE ${probeName} AS ${body}`);
      try {
        const r = await q<{ t: string[] }>('SELECT parameter_types::text[] AS t FROM pg_prepared_statements WHERE name = $1', [probeName]);
        argTypes = r.rows[0]?.t ?? [];
      } finally {
        await q(`DEALLOCATE ${probeName}`);
      }
    }
    // The newline before ";" ends a trailing "--" comment in the statement.
    await q(`CREATE FUNCTION pg_temp.${probeName}(${argTypes.join(', ')}) RETURNS void LANGUAGE sql BEGIN ATOMIC\n${body}\n;\nEND`);
    const oid = await q<{ oid: string }>(`SELECT p.oid::text AS oid FROM pg_proc p WHERE p.proname = $1 AND p.pronamespace = pg_my_temp_schema()`, [probeName]);
    // Definitions printed with every non-pg_catalog name schema-qualified.
    await q("SET LOCAL search_path = ''");
    const probe = defined(oid.rows[0], `the probe function pg_temp.${probeName} just created`);
    rows = (await q<WalkRow>(WALK_SQL, [probe.oid, options.executedWrite, options.kind ?? '', options.usesDefaults])).rows;
  } finally {
    await q('ROLLBACK').catch(() => undefined);
  }

  for (const row of rows) {
    if (row.kind === 'relation' && row.relkind === 'f') {
      refuse(
        `${displayName(row.schema, row.name)} is a foreign table: reading it runs a foreign-data wrapper that talks to another server`,
        'analyse the query on the server that holds the data',
      );
    }
    if (row.kind === 'relation' && row.relkind && !TRANSACTIONAL_RELKINDS.has(row.relkind)) {
      refuse(`${displayName(row.schema, row.name)} is of a kind (relkind ${row.relkind}) we cannot vouch for`, 'analyse the query without it');
    }
    if (row.kind === 'trigger') {
      refuse(
        `executing it would fire trigger "${row.name}" on ${displayName(row.schema, row.detail ?? '')}; trigger code may act outside the transaction`,
        'run with analyze: false for the estimated plan (nothing is executed)',
      );
    }
    if (row.kind === 'rule') {
      refuse(`executing it would apply rule "${row.name}" on ${displayName(row.schema, row.detail ?? '')}`, 'run with analyze: false for the estimated plan');
    }
    if (row.kind === 'operator' && !row.builtin && row.detail) {
      // Built-in functions behind a user-defined operator, printed schema-qualified ("pg_catalog.setval").
      const calls = row.detail
        .split(' ')
        .map((f) => f.replace(/^pg_catalog\./, ''))
        .filter((f) => denied.has(f));
      if (calls.length) builtinRefusal(calls, `operator ${row.signature ?? displayName(row.schema, row.name)}`);
    }
    if (row.kind === 'relation' && row.identity) {
      refuse(
        `executing it would fill the identity column${row.identity.includes(',') ? 's' : ''} ${row.identity} of ${displayName(row.schema, row.name)}, which takes values from a sequence — sequences are not rolled back`,
        'run with analyze: false for the estimated plan (nothing is executed)',
      );
    }
    if (row.detail && (row.kind === 'relation' || row.kind === 'policy' || row.kind === 'default' || row.kind === 'constraint')) {
      const calls = sideEffectCallsInText(row.detail, denied);
      const where = {
        relation: `view ${displayName(row.schema, row.name)}`,
        policy: `row-security policy "${row.name}"`,
        default: `${row.relkind === 'domain' ? 'the default of domain' : 'a column default of'} ${displayName(row.schema, row.name)}`,
        constraint: `${row.relkind === 'domain' ? 'a check of domain' : 'a constraint of'} ${displayName(row.schema, row.name)}`,
      }[row.kind];
      if (calls.length) builtinRefusal(calls, where);
    }
  }
  const trusted = new Set(options.trustedFunctions);
  const trustedUsed: string[] = [];
  for (const row of rows.filter((r) => r.kind === 'function' && !r.builtin)) {
    const name = displayName(row.schema, row.name);
    if (trusted.has(name)) {
      trustedUsed.push(name);
      continue;
    }
    const traits = [VOLATILITY[row.volatile ?? ''] ?? '', row.secdef ? 'SECURITY DEFINER' : ''].filter(Boolean).join(', ');
    refuse(
      `it would run the user-defined function ${row.signature ?? name} (${traits}) — user code is never run unless trusted, whatever its declared volatility (volatile, stable or immutable), since the planner evaluates functions even without ANALYZE`,
      `list "${name}" in query.trustedFunctions in .perf/config.json if you have read it and it has no side effects`,
    );
  }
  const relations = rows.filter((r) => r.kind === 'relation' && r.relkind !== 'S').map((r) => displayName(r.schema, r.name));
  return { relations: [...new Set(relations)], trustedFunctions: trustedUsed, ms: performance.now() - started };
}
