import { createRequire } from 'node:module';
import { UserError } from '../common/errors.js';
import type { Dialect } from './plan.js';
import { emptyShape, shapeFromNspStatement, shapeFromPgStatement, type QueryShape } from './shape.js';

/**
 * Parses the one statement we were given and decides what we may do with it. This is the
 * first safety gate: a second statement, DDL, COPY, VACUUM, SET, transaction control and
 * anything we do not recognise are refused here, before a connection is opened.
 */
export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'merge';

export interface ParsedStatement {
  kind: StatementKind;
  /** True when the statement cannot write (SELECT/WITH without data-modifying CTEs or FOR UPDATE). */
  readOnly: boolean;
  shape: QueryShape;
  /** The parser could not read it (MySQL/SQLite): classified from its first keyword only. */
  parsedFully: boolean;
  warnings: string[];
}

const require = createRequire(import.meta.url);
type PgQuery = typeof import('libpg-query');
let pgQuery: PgQuery | undefined;

/** libpg_query (PostgreSQL's own parser compiled to WASM): loaded once, on first use. */
export async function loadPgParser(): Promise<PgQuery> {
  if (!pgQuery) {
    const mod = (await import('libpg-query')) as PgQuery;
    await mod.loadModule();
    pgQuery = mod;
  }
  return pgQuery;
}

type NspParser = InstanceType<typeof import('node-sql-parser').Parser>;
let nspParser: NspParser | undefined;
function getNspParser(): NspParser {
  if (!nspParser) {
    const { Parser } = require('node-sql-parser') as typeof import('node-sql-parser');
    nspParser = new Parser();
  }
  return nspParser;
}

const PG_REFUSED: Record<string, string> = {
  CopyStmt: 'COPY reads or writes files and tables',
  VacuumStmt: 'VACUUM/ANALYZE changes table statistics and takes locks',
  VariableSetStmt: 'SET changes session settings',
  TransactionStmt: 'transaction control is ours to manage',
  ExplainStmt: 'give the statement without EXPLAIN — we add EXPLAIN ourselves',
  CallStmt: 'CALL runs a procedure that may change data',
  DoStmt: 'DO runs an anonymous code block',
  LockStmt: 'LOCK takes table locks',
  TruncateStmt: 'TRUNCATE deletes all rows',
  NotifyStmt: 'NOTIFY has side effects outside the transaction',
  ExecuteStmt: 'EXECUTE runs a prepared statement we cannot inspect',
  PrepareStmt: 'PREPARE creates session state',
};

/** Where a parse error points, as "line L, column C" with the offending text. */
export function describePosition(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const near = sql.slice(offset, offset + 20).split('\n')[0];
  return `line ${line}, column ${column}${near ? ` (near "${near}")` : ''}`;
}

function refuse(what: string, reason: string): never {
  throw new UserError(
    `refusing to analyse ${what}: ${reason}`,
    'analyze_query only explains one SELECT, WITH, INSERT, UPDATE, DELETE or MERGE statement and never changes data or schema',
  );
}

export async function parsePostgres(sql: string): Promise<ParsedStatement> {
  const pg = await loadPgParser();
  let result: { stmts?: Array<{ stmt?: Record<string, any>; stmt_location?: number; stmt_len?: number }> };
  try {
    result = pg.parseSync(sql) as typeof result;
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = details?.cursorPosition !== undefined ? ` at ${describePosition(sql, details.cursorPosition)}` : '';
    throw new UserError(`cannot parse the SQL: ${(error as Error).message}${at}`, 'fix the statement (PostgreSQL syntax)');
  }
  const [only, second] = result.stmts ?? [];
  if (!only) throw new UserError('the SQL is empty', 'give one statement in `sql`');
  if (second) {
    const text = sql.slice(second.stmt_location ?? 0, (second.stmt_location ?? 0) + (second.stmt_len || sql.length)).trim();
    refuse('more than one statement', `the second statement is "${text.length > 80 ? `${text.slice(0, 77)}…` : text}"`);
  }
  const stmt = only.stmt ?? {};
  const type = Object.keys(stmt)[0] ?? '';
  const shape = shapeFromPgStatement(stmt);
  const kinds: Record<string, StatementKind> = {
    SelectStmt: 'select',
    InsertStmt: 'insert',
    UpdateStmt: 'update',
    DeleteStmt: 'delete',
    MergeStmt: 'merge',
  };
  const kind = kinds[type];
  if (!kind) {
    const reason =
      PG_REFUSED[type] ??
      (/^(Create|Alter|Drop|Rename|Grant|Comment|Index|Define|Reindex|Cluster|Refresh)/.test(type) || type.endsWith('Stmt')
        ? 'DDL and utility statements change the schema or server state'
        : 'unrecognised statement');
    refuse(`a ${type.replace(/Stmt$/, '')} statement`, reason);
  }
  if (kind === 'select' && (stmt.SelectStmt as Record<string, unknown>).intoClause) refuse('SELECT … INTO', 'it creates a table');
  return { kind, readOnly: kind === 'select' && !shape.writes, shape, parsedFully: true, warnings: [] };
}

/** Splits on top-level semicolons (outside quotes and comments): the fallback statement counter. */
export function splitStatements(sql: string, dialect: 'mysql' | 'sqlite' = 'mysql'): string[] {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charAt(i);
    if (c === "'" || c === '"' || c === '`') {
      const close = c;
      i++;
      // As MariaDB/MySQL read it: backslash escapes only inside '…' and "…" strings (not in
      // `identifiers`, and never in SQLite).
      while (i < n && sql[i] !== close) i += sql[i] === '\\' && close !== '`' && dialect === 'mysql' ? 2 : 1;
      i++;
    } else if (c === '-' && sql[i + 1] === '-' && (dialect === 'sqlite' || i + 2 >= n || /\s/.test(sql.charAt(i + 2)))) {
      // MariaDB/MySQL: "--" starts a comment only when followed by whitespace; "1--1" is arithmetic.
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      parts.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  parts.push(sql.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0 && !/^(--[^\n]*\n?|\/\*[\s\S]*?\*\/|\s)*$/.test(p));
}

const FIRST_KEYWORD_KIND: Record<string, StatementKind> = {
  select: 'select',
  with: 'select',
  values: 'select',
  insert: 'insert',
  replace: 'insert',
  update: 'update',
  delete: 'delete',
};

export function parseWithNodeSqlParser(sql: string, dialect: 'mysql' | 'sqlite'): ParsedStatement {
  // Executable comments (/*! … */, /*M! … */) are run by MariaDB/MySQL but invisible to parsers.
  if (dialect === 'mysql' && /\/\*(!|M!)/.test(sql))
    refuse('an executable comment (/*! … */)', 'MariaDB/MySQL run its contents as SQL, which our parser cannot see');
  // INTO OUTFILE/DUMPFILE writes a server file; any spacing or comment between the words counts.
  if (dialect === 'mysql' && /\b(outfile|dumpfile)\b/i.test(sql)) refuse('SELECT … INTO OUTFILE/DUMPFILE', 'it writes a file on the server');
  const [text, second] = splitStatements(sql, dialect);
  if (text === undefined) throw new UserError('the SQL is empty', 'give one statement in `sql`');
  if (second !== undefined) refuse('more than one statement', `the second statement is "${second.length > 80 ? `${second.slice(0, 77)}…` : second}"`);
  const first = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*\(?\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? '';
  const kind = FIRST_KEYWORD_KIND[first];
  if (!kind) {
    const ddl = /^(create|alter|drop|rename|truncate|grant|revoke|comment)$/.test(first);
    const reasons: Record<string, string> = {
      pragma: 'PRAGMA can change database settings',
      attach: 'ATTACH opens another database',
      detach: 'DETACH changes the connection',
      vacuum: 'VACUUM rewrites the database',
      analyze: 'ANALYZE writes statistics tables',
      reindex: 'REINDEX rebuilds indexes',
      set: 'SET changes session settings',
      load: 'LOAD DATA reads files into tables',
      call: 'CALL runs a procedure that may change data',
      explain: 'give the statement without EXPLAIN — we add EXPLAIN ourselves',
      lock: 'LOCK takes table locks',
      begin: 'transaction control is ours to manage',
      start: 'transaction control is ours to manage',
      commit: 'transaction control is ours to manage',
      rollback: 'transaction control is ours to manage',
      savepoint: 'transaction control is ours to manage',
      release: 'transaction control is ours to manage',
      copy: 'COPY reads or writes files and tables',
      handler: 'HANDLER opens table cursors',
      do: 'DO evaluates expressions for their side effects',
    };
    refuse(`a ${first.toUpperCase() || 'blank'} statement`, ddl ? 'DDL changes the schema' : (reasons[first] ?? 'unrecognised statement'));
  }
  if (/\binto\s+(outfile|dumpfile)\b/i.test(text)) refuse('SELECT … INTO OUTFILE', 'it writes a file on the server');
  try {
    // node-sql-parser's MariaDB grammar rejects plain `status = 3` (keyword clash); its MySQL
    // grammar reads both dialects' common statements, so it goes first.
    const grammars = dialect === 'mysql' ? ['mysql', 'mariadb'] : ['sqlite'];
    let ast: unknown;
    let firstError: unknown;
    for (const database of grammars) {
      try {
        ast = getNspParser().astify(text, { database });
        break;
      } catch (error) {
        firstError ??= error;
      }
    }
    if (ast === undefined) throw firstError;
    const one = (Array.isArray(ast) ? ast[0] : ast) as unknown as Record<string, any>;
    const shape = shapeFromNspStatement(one);
    const readOnly = kind === 'select' && !shape.writes && one.type === 'select';
    return { kind, readOnly, shape, parsedFully: true, warnings: [] };
  } catch (error) {
    const location = (error as { location?: { start?: { offset?: number } } }).location?.start?.offset;
    const at = location !== undefined ? ` at ${describePosition(text, location)}` : '';
    // node-sql-parser does not know every dialect feature; the database is the final judge.
    // A read-only connection / transaction still guards the data.
    return {
      kind,
      readOnly: kind === 'select' && !/\bfor\s+(update|share)\b|\block\s+in\s+share\s+mode\b/i.test(text),
      shape: emptyShape(),
      parsedFully: false,
      warnings: [`the SQL parser could not read the statement (${(error as Error).message.split('\n')[0]}${at}); lint and index advice are limited`],
    };
  }
}

export async function parseStatement(sql: string, dialect: Dialect): Promise<ParsedStatement> {
  return dialect === 'postgres' ? parsePostgres(sql) : parseWithNodeSqlParser(sql, dialect);
}
