import { UserError } from '../../common/errors.js';
import { parseWithNodeSqlParser } from '../statement.js';

/**
 * The MariaDB/MySQL catalog check, run before any EXPLAIN. The server decides, not our parse:
 * every identifier in the statement text (read by a lexer that follows the session's
 * `sql_mode`) is looked up in information_schema, so a table our parser missed — in an
 * unreadable statement, behind another schema's name, in a view — is still found. Views are
 * expanded from their server-stored definitions (fully qualified by MariaDB), recursively.
 *
 * Refused:
 * - stored functions (and UDFs) called by the statement or by a view it reads, unless listed as
 *   "db.name" in `query.trustedFunctions` — MariaDB evaluates a constant stored function while
 *   planning, so even a plain EXPLAIN runs it (checked on 10.11: EXPLAIN … WHERE id = f() ran
 *   f's UPDATE on a MyISAM table twice);
 * - built-ins with effects outside the transaction (locks, sequences, files);
 * - for any write: sequences (NEXT VALUE is not rolled back);
 * - for an executed write (analyze): any table that is not transactional (MyISAM, Aria, MEMORY,
 *   CONNECT …), any table with a trigger (a trigger runs code we would have to follow) or a
 *   column defaulting to a sequence's NEXTVAL, a
 *   statement our parser cannot read, and a write in which the server finds no table at all.
 *
 * Why a hand-written lexer: no npm parser follows MariaDB's lexing (executable comments,
 * `--` needing a space, `#` comments, ANSI_QUOTES, NO_BACKSLASH_ESCAPES); it only has to find
 * identifiers and call sites, over-approximating when unsure (an extra lookup is harmless).
 */
/** Runs a catalog query as a server-side prepared statement (no client-side escaping, whatever sql_mode says). */
export type MysqlQuery = (sql: string, values?: Array<string | number>) => Promise<Array<Record<string, unknown>>>;

/** `?, ?, ?` for a prepared IN list (one placeholder per value; never empty). */
const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ') || 'NULL';

export interface SqlModeFlags {
  ansiQuotes: boolean;
  noBackslashEscapes: boolean;
}

/** A name as written: `schema.name` or `name` (schema undefined = the current database). */
export interface NameRef {
  schema?: string;
  name: string;
}

export interface IdentifierScan {
  /** Every identifier (and `a.b` pair) that may name a relation. */
  relations: NameRef[];
  /** Every identifier followed by `(`: a possible function call. */
  calls: NameRef[];
}

/** Built-ins with effects outside the transaction (locks, sequences, files, replication waits). */
export const SIDE_EFFECT_FUNCTIONS: ReadonlySet<string> = new Set([
  'get_lock',
  'release_lock',
  'release_all_locks',
  'is_free_lock',
  'is_used_lock',
  'nextval',
  'setval',
  'lastval',
  'load_file',
  'sys_exec',
  'sys_eval',
  'master_pos_wait',
  'master_gtid_wait',
]);

/** Engines whose writes ROLLBACK undoes. */
export const TRANSACTIONAL_ENGINES: ReadonlySet<string> = new Set(['innodb', 'xtradb', 'ndbcluster', 'ndb', 'rocksdb', 'tokudb']);

type Token = { type: 'ident'; value: string } | { type: 'punct'; value: string } | { type: 'other' };

function refuse(what: string, hint: string): never {
  throw new UserError(`refusing to analyse the statement: ${what}`, hint);
}

/** MariaDB's lexer, as far as identifiers, strings and comments go. */
export function tokenizeMysql(sql: string, mode: SqlModeFlags): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  const quoted = (close: string, escapes: boolean): string => {
    let value = '';
    i++;
    while (i < n) {
      const c = sql[i] ?? '';
      if (escapes && c === '\\' && i + 1 < n) {
        value += sql[i + 1];
        i += 2;
      } else if (c === close) {
        if (sql[i + 1] === close) {
          value += close;
          i += 2;
        } else {
          i++;
          return value;
        }
      } else {
        value += c;
        i++;
      }
    }
    return value;
  };
  while (i < n) {
    const c = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c)) i++;
    else if (c === '#' || (c === '-' && next === '-' && (i + 2 >= n || sql.charCodeAt(i + 2) <= 32))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      // MariaDB runs the contents of /*! … */ and /*M! … */ (any version number) as SQL.
      if (/^\/\*M?!/.test(sql.slice(i, i + 4)))
        refuse('it contains an executable comment (/*! … */ or /*M! … */), which MariaDB runs as SQL', 'write the SQL without the comment');
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'") {
      quoted("'", !mode.noBackslashEscapes);
      tokens.push({ type: 'other' });
    } else if (c === '"') {
      const value = quoted('"', !mode.noBackslashEscapes && !mode.ansiQuotes);
      tokens.push(mode.ansiQuotes ? { type: 'ident', value } : { type: 'other' });
    } else if (c === '`') {
      tokens.push({ type: 'ident', value: quoted('`', false) });
    } else if (c === '@') {
      // @var, @@session.var, @'quoted': variables, never relations.
      i++;
      while (i < n && /[@\w$.'"`]/.test(sql[i] ?? '')) i++;
      tokens.push({ type: 'other' });
    } else if (/[\w$\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < n && /[\w$\u0080-\uffff]/.test(sql[i] ?? '')) i++;
      tokens.push({ type: 'ident', value: sql.slice(start, i) });
    } else {
      tokens.push({ type: 'punct', value: c });
      i++;
    }
  }
  return tokens;
}

/** Identifiers and call sites of a statement (or a view definition). */
export function scanIdentifiers(sql: string, mode: SqlModeFlags): IdentifierScan {
  const tokens = tokenizeMysql(sql, mode);
  const relations: NameRef[] = [];
  const calls: NameRef[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.type !== 'ident') continue;
    // Collect a dotted chain a.b.c starting here.
    const parts = [t.value];
    let j = i + 1;
    while (tokens[j]?.type === 'punct' && (tokens[j] as { value: string }).value === '.' && tokens[j + 1]?.type === 'ident') {
      parts.push((tokens[j + 1] as { value: string }).value);
      j += 2;
    }
    const [first, second] = parts;
    if (first !== undefined) relations.push({ name: first });
    if (first !== undefined && second !== undefined) relations.push({ schema: first, name: second });
    const after = tokens[j];
    if (after?.type === 'punct' && after.value === '(') {
      const last = parts[parts.length - 1];
      if (last !== undefined) calls.push(parts.length >= 2 ? { schema: parts[parts.length - 2], name: last } : { name: last });
    }
    i = j - 1;
  }
  return { relations, calls };
}

export interface MysqlGuardRequest {
  sql: string;
  analyze: boolean;
  readOnly: boolean;
}

export interface MysqlGuardResult {
  /** Base tables the statement reaches, "schema.table (ENGINE)". */
  tables: string[];
  /** Views expanded, "schema.view". */
  views: string[];
  /** Trusted stored functions it calls. */
  trusted: string[];
}

interface CatalogTable {
  schema: string;
  name: string;
  type: string;
  engine: string | null;
}

const key = (schema: string, name: string) => `${schema.toLowerCase()}.${name.toLowerCase()}`;

/**
 * Checks one statement against the server's catalog; throws a UserError naming what it found
 * and why that is refused, otherwise says what it checked.
 */
export async function checkMysqlStatement(
  query: MysqlQuery,
  request: MysqlGuardRequest,
  context: { database: string | undefined; mode: SqlModeFlags; trustedFunctions: readonly string[] },
): Promise<MysqlGuardResult> {
  const executedWrite = request.analyze && !request.readOnly;
  if (executedWrite && !parseWithNodeSqlParser(request.sql, 'mysql').parsedFully) {
    refuse(
      'it would be executed as a write, and our parser cannot read it, so we cannot be sure which tables it reaches',
      'rewrite it in plain MySQL syntax, or run with analyze: false for the estimated plan',
    );
  }
  const functions = await query("SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_TYPE IN ('FUNCTION', 'PACKAGE')");
  const storedFunctions = new Map<string, string>();
  for (const row of functions) storedFunctions.set(key(String(row.s), String(row.n)), `${String(row.s)}.${String(row.n)}`);
  // Loadable functions (CREATE FUNCTION … SONAME) live in mysql.func: native code, never trusted.
  const udfs = new Set((await query('SELECT name AS n FROM mysql.func').catch(() => [])).map((r) => String(r.n).toLowerCase()));
  const trusted = new Set(context.trustedFunctions.map((f) => f.toLowerCase()));
  const trustedUsed = new Set<string>();

  const checkCalls = (calls: NameRef[], defaultSchema: string | undefined, where: string) => {
    for (const call of calls) {
      const bare = call.name.toLowerCase();
      if (!call.schema && SIDE_EFFECT_FUNCTIONS.has(bare))
        refuse(`${where}calls ${bare.toUpperCase()}(), which has effects outside the transaction`, 'analyse the query without the call');
      if (!call.schema && udfs.has(bare))
        refuse(`${where}calls the loadable function ${call.name}() (native code from a shared library)`, 'analyse the query without the call');
      const schema = call.schema ?? defaultSchema;
      if (schema === undefined) continue;
      const found = storedFunctions.get(key(schema, call.name));
      if (!found) continue;
      if (trusted.has(found.toLowerCase())) {
        trustedUsed.add(found);
        continue;
      }
      refuse(
        `${where}calls the stored function ${found}(), user code that MariaDB runs even while planning (and that may write to any table)`,
        `list "${found}" in query.trustedFunctions in .perf/config.json if it has no side effects, or analyse the query without the call`,
      );
    }
  };

  const scan = scanIdentifiers(request.sql, context.mode);
  checkCalls(scan.calls, context.database, '');

  // Resolve every name against information_schema, expanding views from their stored definitions.
  const baseTables = new Map<string, CatalogTable & { via?: string }>();
  const views: string[] = [];
  let pending: Array<{ refs: NameRef[]; defaultSchema: string | undefined; via?: string }> = [{ refs: scan.relations, defaultSchema: context.database }];
  const seen = new Set<string>();
  for (let depth = 0; pending.length && depth < 32; depth++) {
    const wanted = new Map<string, { schema: string; name: string; via?: string }>();
    for (const { refs, defaultSchema, via } of pending) {
      for (const ref of refs) {
        const schema = ref.schema ?? defaultSchema;
        if (schema === undefined) continue;
        const k = key(schema, ref.name);
        if (!seen.has(k)) wanted.set(k, { schema, name: ref.name, ...(via ? { via } : {}) });
      }
    }
    pending = [];
    if (!wanted.size) break;
    for (const k of wanted.keys()) seen.add(k);
    const schemas = [...new Set([...wanted.values()].map((w) => w.schema))];
    const names = [...new Set([...wanted.values()].map((w) => w.name))];
    const rows = await query(
      `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, TABLE_TYPE AS t, ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${placeholders(schemas)}) AND TABLE_NAME IN (${placeholders(names)})`,
      [...schemas, ...names],
    );
    const found: CatalogTable[] = [];
    for (const row of rows) {
      const t = { schema: String(row.s), name: String(row.n), type: String(row.t), engine: row.e === null || row.e === undefined ? null : String(row.e) };
      if (wanted.has(key(t.schema, t.name))) found.push(t);
    }
    for (const t of found) {
      const via = wanted.get(key(t.schema, t.name))?.via;
      if (t.type === 'VIEW') {
        views.push(`${t.schema}.${t.name}`);
        const [definition] = await query('SELECT VIEW_DEFINITION AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
          t.schema,
          t.name,
        ]);
        const text = String(definition?.d ?? '');
        if (!text.trim())
          refuse(
            `it reads the view ${t.schema}.${t.name}, whose definition the server does not show us`,
            'grant SHOW VIEW to the connecting user, or query the base tables',
          );
        // Stored definitions are normalised by the server: backquoted, no ANSI quotes.
        const inner = scanIdentifiers(text, { ansiQuotes: false, noBackslashEscapes: context.mode.noBackslashEscapes });
        checkCalls(inner.calls, t.schema, `the view ${t.schema}.${t.name} it reads `);
        pending.push({ refs: inner.relations, defaultSchema: t.schema, via: via ?? `${t.schema}.${t.name}` });
      } else baseTables.set(key(t.schema, t.name), { ...t, ...(via ? { via } : {}) });
    }
  }
  if (pending.length) refuse('its views nest more than 32 levels deep', 'query the base tables');

  const tables = [...baseTables.values()];
  if (!request.readOnly) {
    const sequence = tables.find((t) => t.type === 'SEQUENCE');
    if (sequence)
      refuse(
        `it names the sequence ${sequence.schema}.${sequence.name}: NEXT VALUE changes a sequence outside the transaction`,
        'analyse the query without the sequence',
      );
  }
  if (executedWrite) {
    if (!tables.length)
      refuse(
        'it would be executed as a write, and the server knows none of the tables it names, so nothing confirms the write can be rolled back',
        'check the table names (qualify them with the database when the URL names none), or run with analyze: false',
      );
    for (const t of tables) {
      if (!t.engine || !TRANSACTIONAL_ENGINES.has(t.engine.toLowerCase())) {
        refuse(
          `table ${t.schema}.${t.name}${t.via ? ` (reached through the view ${t.via})` : ''} uses the ${t.engine ?? 'unknown'} engine, which ignores ROLLBACK, so the write would stay`,
          'run with analyze: false for the estimated plan',
        );
      }
    }
    const schemas = [...new Set(tables.map((t) => t.schema))];
    const names = [...new Set(tables.map((t) => t.name))];
    const triggers = (
      await query(
        `SELECT TRIGGER_SCHEMA AS ts, TRIGGER_NAME AS tn, EVENT_OBJECT_SCHEMA AS s, EVENT_OBJECT_TABLE AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA IN (${placeholders(schemas)}) AND EVENT_OBJECT_TABLE IN (${placeholders(names)})`,
        [...schemas, ...names],
      )
    ).filter((r) => baseTables.has(key(String(r.s), String(r.n))));
    const trigger = triggers[0];
    if (trigger)
      refuse(
        `table ${String(trigger.s)}.${String(trigger.n)} has the trigger ${String(trigger.ts)}.${String(trigger.tn)}${triggers.length > 1 ? ` (and ${triggers.length - 1} more)` : ''}: a trigger runs code that may write to non-transactional tables`,
        'run with analyze: false for the estimated plan',
      );
    // A column default that takes NEXTVAL of a sequence advances it outside the transaction.
    const defaults = (
      await query(
        `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, COLUMN_NAME AS c, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${placeholders(schemas)}) AND TABLE_NAME IN (${placeholders(names)}) AND COLUMN_DEFAULT IS NOT NULL`,
        [...schemas, ...names],
      )
    ).filter((r) => baseTables.has(key(String(r.s), String(r.n))) && /\b(nextval|lastval|setval)\s*\(|\bnext\s+value\s+for\b/i.test(String(r.d)));
    const sequenceDefault = defaults[0];
    if (sequenceDefault)
      refuse(
        `column ${String(sequenceDefault.s)}.${String(sequenceDefault.n)}.${String(sequenceDefault.c)} defaults to ${String(sequenceDefault.d)}: the sequence would advance outside the transaction`,
        'run with analyze: false for the estimated plan',
      );
  }
  return {
    tables: tables.map((t) => `${t.schema}.${t.name} (${t.type === 'BASE TABLE' ? (t.engine ?? '?') : t.type.toLowerCase()})`),
    views,
    trusted: [...trustedUsed],
  };
}

/** The session's sql_mode flags that change how the server lexes a statement. */
export function sqlModeFlags(sqlMode: string): SqlModeFlags {
  const modes = new Set(sqlMode.toUpperCase().split(','));
  return {
    ansiQuotes: modes.has('ANSI_QUOTES') || modes.has('ANSI') || modes.has('ORACLE') || modes.has('POSTGRESQL') || modes.has('DB2') || modes.has('MSSQL'),
    noBackslashEscapes: modes.has('NO_BACKSLASH_ESCAPES'),
  };
}
