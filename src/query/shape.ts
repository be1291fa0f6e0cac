/**
 * The parts of a statement the index advisor and the linter need, extracted from a real
 * parser's AST (libpg_query for PostgreSQL, node-sql-parser for MySQL/SQLite) into one
 * dialect-neutral shape. Columns keep their qualifier; the advisor resolves aliases.
 */
export type PredicateOp = 'eq' | 'in' | 'range' | 'like' | 'isnull' | 'other';

export interface ColumnUse {
  /** Table name (alias resolved when possible) or undefined when unqualified. */
  table?: string;
  column: string;
}

export interface Predicate extends ColumnUse {
  op: PredicateOp;
  source: 'where' | 'join';
  /** The column is wrapped in a function (lower(email) = …): a plain index cannot serve it. */
  wrappedIn?: string;
  /** LIKE pattern starts with a wildcard. */
  leadingWildcard?: boolean;
}

export interface QueryShape {
  tables: Array<{ name: string; alias?: string }>;
  predicates: Predicate[];
  orderBy: Array<ColumnUse & { desc: boolean }>;
  groupBy: ColumnUse[];
  selectStar: boolean;
  distinct: boolean;
  hasLimit: boolean;
  offset?: number;
  /** OR whose branches test different columns (index-unfriendly). */
  orAcrossColumns: boolean;
  notInSubquery: boolean;
  randomOrder: boolean;
  /** FROM a, b with no join condition between them in WHERE. */
  implicitCrossJoin: boolean;
  joinCount: number;
  /** SELECT count(*) … compared with > 0 or used for existence (heuristic on the text). */
  countStar: boolean;
  aggregates: boolean;
  functions: string[];
  /** Data-modifying CTE, FOR UPDATE/SHARE. */
  writes: boolean;
}

export function emptyShape(): QueryShape {
  return {
    tables: [],
    predicates: [],
    orderBy: [],
    groupBy: [],
    selectStar: false,
    distinct: false,
    hasLimit: false,
    orAcrossColumns: false,
    notInSubquery: false,
    randomOrder: false,
    implicitCrossJoin: false,
    joinCount: 0,
    countStar: false,
    aggregates: false,
    functions: [],
    writes: false,
  };
}

/** Replaces aliases by table names; an unqualified column with one table gets that table. */
export function resolveAliases(shape: QueryShape): void {
  const byAlias = new Map<string, string>();
  for (const t of shape.tables) {
    byAlias.set(t.name.toLowerCase(), t.name);
    if (t.alias) byAlias.set(t.alias.toLowerCase(), t.name);
  }
  const names = new Set(shape.tables.map((t) => t.name));
  const single = names.size === 1 ? [...names][0] : undefined;
  const fix = (c: ColumnUse) => {
    if (c.table) c.table = byAlias.get(c.table.toLowerCase()) ?? c.table;
    else if (single) c.table = single;
  };
  shape.predicates.forEach(fix);
  shape.orderBy.forEach(fix);
  shape.groupBy.forEach(fix);
}

// ---------------------------------------------------------------- PostgreSQL (libpg_query)

type Node = Record<string, any>;

function unwrap(node: Node | undefined): [string, Node] | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const key = Object.keys(node)[0];
  return key ? [key, node[key]] : undefined;
}

function pgColumn(node: Node | undefined): ColumnUse | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u[0] === 'TypeCast') return pgColumn(u[1].arg);
  if (u[0] !== 'ColumnRef') return undefined;
  const names = (u[1].fields as Node[]).map((f) => f.String?.sval).filter((s): s is string => typeof s === 'string');
  const column = names.at(-1);
  if (column === undefined || (u[1].fields as Node[]).some((f) => f.A_Star)) return undefined;
  return names.length === 1 ? { column } : { table: names.at(-2), column };
}

function pgFuncName(node: Node): string {
  return ((node.funcname as Node[]) ?? [])
    .map((f) => f.String?.sval)
    .filter(Boolean)
    .join('.');
}

function pgWrapped(node: Node | undefined): { col: ColumnUse; fn: string } | undefined {
  const u = unwrap(node);
  if (u?.[0] !== 'FuncCall') return undefined;
  for (const arg of (u[1].args as Node[]) ?? []) {
    const col = pgColumn(arg);
    if (col) return { col, fn: pgFuncName(u[1]) };
  }
  return undefined;
}

const PG_RANGE_OPS = new Set(['<', '>', '<=', '>=']);

function pgPredicates(expr: Node | undefined, source: 'where' | 'join', shape: QueryShape): void {
  const u = unwrap(expr);
  if (!u) return;
  const [type, node] = u;
  if (type === 'BoolExpr') {
    const args = (node.args as Node[]) ?? [];
    if (node.boolop === 'OR_EXPR') {
      const before = shape.predicates.length;
      args.forEach((a) => pgPredicates(a, source, shape));
      const cols = new Set(shape.predicates.slice(before).map((p) => `${p.table ?? ''}.${p.column}`));
      if (cols.size > 1) shape.orAcrossColumns = true;
      // An OR cannot be served by one composite index: keep its columns only as "other".
      shape.predicates.slice(before).forEach((p) => (p.op = 'other'));
      return;
    }
    if (node.boolop === 'NOT_EXPR') {
      const inner = unwrap(args[0]);
      if (inner?.[0] === 'SubLink' && inner[1].subLinkType === 'ANY_SUBLINK') shape.notInSubquery = true;
      return;
    }
    args.forEach((a) => pgPredicates(a, source, shape));
    return;
  }
  if (type === 'A_Expr') {
    const op = ((node.name as Node[]) ?? []).map((n) => n.String?.sval).join('');
    const left = pgColumn(node.lexpr);
    const right = pgColumn(node.rexpr);
    const wrapped = pgWrapped(node.lexpr);
    let kind: PredicateOp = 'other';
    if (node.kind === 'AEXPR_OP' && op === '=') kind = 'eq';
    else if (node.kind === 'AEXPR_OP' && PG_RANGE_OPS.has(op)) kind = 'range';
    else if (node.kind === 'AEXPR_IN' || node.kind === 'AEXPR_OP_ANY') kind = op === '<>' ? 'other' : 'in';
    else if (node.kind === 'AEXPR_BETWEEN') kind = 'range';
    else if (node.kind === 'AEXPR_LIKE' || node.kind === 'AEXPR_ILIKE') kind = 'like';
    if (left && right) {
      // column = column: a join condition, both sides are candidates.
      shape.predicates.push({ ...left, op: kind === 'eq' ? 'eq' : 'other', source: 'join' });
      shape.predicates.push({ ...right, op: kind === 'eq' ? 'eq' : 'other', source: 'join' });
      return;
    }
    const col = left ?? right;
    if (col) {
      const pattern = unwrap(node.rexpr)?.[1]?.sval?.sval as string | undefined;
      const leadingWildcard = kind === 'like' && typeof pattern === 'string' && /^[%_]/.test(pattern);
      if (leadingWildcard || (kind === 'like' && node.kind === 'AEXPR_ILIKE')) kind = 'other';
      shape.predicates.push({ ...col, op: kind, source, ...(leadingWildcard ? { leadingWildcard } : {}) });
    } else if (wrapped) {
      shape.predicates.push({ ...wrapped.col, op: 'other', source, wrappedIn: wrapped.fn });
    }
    return;
  }
  if (type === 'NullTest') {
    const col = pgColumn(node.arg);
    if (col) shape.predicates.push({ ...col, op: 'isnull', source });
    return;
  }
  if (type === 'SubLink') return;
}

function pgFrom(items: Node[] | undefined, shape: QueryShape): void {
  for (const item of items ?? []) {
    const u = unwrap(item);
    if (!u) continue;
    if (u[0] === 'RangeVar') shape.tables.push({ name: u[1].relname, ...(u[1].alias?.aliasname ? { alias: u[1].alias.aliasname } : {}) });
    else if (u[0] === 'JoinExpr') {
      shape.joinCount++;
      pgFrom([u[1].larg, u[1].rarg], shape);
      pgPredicates(u[1].quals, 'join', shape);
    } else if (u[0] === 'RangeSubselect') {
      const sub = unwrap(u[1].subquery);
      if (sub?.[0] === 'SelectStmt') pgFrom(sub[1].fromClause, shape);
    }
  }
}

function collectPg(node: unknown, visit: (type: string, value: Node) => void): void {
  if (Array.isArray(node)) {
    node.forEach((n) => collectPg(n, visit));
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (/^[A-Z]/.test(key) && value && typeof value === 'object') visit(key, value as Node);
    collectPg(value, visit);
  }
}

function pgConstInt(node: Node | undefined): number | undefined {
  const v = unwrap(node)?.[1]?.ival;
  if (v && typeof v === 'object') return typeof v.ival === 'number' ? v.ival : 0;
  return undefined;
}

/** Shape of a libpg_query statement node ({ SelectStmt: … } etc.). */
export function shapeFromPgStatement(stmt: Node): QueryShape {
  const shape = emptyShape();
  const [type, node] = unwrap(stmt) ?? ['', {}];
  collectPg(stmt, (t, v) => {
    if (t === 'FuncCall') {
      const name = pgFuncName(v).toLowerCase();
      shape.functions.push(name);
      if (['count', 'sum', 'avg', 'min', 'max'].includes(name)) shape.aggregates = true;
      if (name === 'count' && v.agg_star) shape.countStar = true;
    }
    if (t === 'CommonTableExpr') {
      const q = unwrap(v.ctequery)?.[0];
      if (q && q !== 'SelectStmt') shape.writes = true;
    }
  });
  if (type === 'SelectStmt') {
    const select = node.larg && node.op && node.op !== 'SETOP_NONE' ? (node.larg.SelectStmt ?? node) : node;
    pgFrom(select.fromClause, shape);
    const fromItems = (select.fromClause as Node[] | undefined) ?? [];
    pgPredicates(select.whereClause, 'where', shape);
    if (fromItems.length > 1 && !shape.predicates.some((p) => p.source === 'join')) shape.implicitCrossJoin = true;
    shape.selectStar = ((select.targetList as Node[]) ?? []).some((t) => ((t.ResTarget?.val?.ColumnRef?.fields as Node[]) ?? []).some((f) => f.A_Star));
    shape.distinct = Array.isArray(select.distinctClause);
    shape.hasLimit = select.limitCount !== undefined;
    const offset = pgConstInt(select.limitOffset);
    if (offset !== undefined) shape.offset = offset;
    for (const s of (node.sortClause as Node[]) ?? []) {
      const sortBy = s.SortBy;
      const col = pgColumn(sortBy?.node);
      if (col) shape.orderBy.push({ ...col, desc: sortBy.sortby_dir === 'SORTBY_DESC' });
      const fn = unwrap(sortBy?.node);
      if (fn?.[0] === 'FuncCall' && ['random', 'rand'].includes(pgFuncName(fn[1]).toLowerCase())) shape.randomOrder = true;
    }
    for (const g of (select.groupClause as Node[]) ?? []) {
      const col = pgColumn(g);
      if (col) shape.groupBy.push(col);
    }
    if (select.lockingClause) shape.writes = true;
  } else if (type === 'UpdateStmt' || type === 'DeleteStmt') {
    const rel = node.relation;
    if (rel) shape.tables.push({ name: rel.relname, ...(rel.alias?.aliasname ? { alias: rel.alias.aliasname } : {}) });
    pgFrom(node.fromClause ?? node.usingClause, shape);
    pgPredicates(node.whereClause, 'where', shape);
  } else if (type === 'InsertStmt') {
    if (node.relation) shape.tables.push({ name: node.relation.relname });
  }
  resolveAliases(shape);
  return shape;
}

// ---------------------------------------------------------------- MySQL / SQLite (node-sql-parser)

function nspColumnName(column: unknown): string | undefined {
  if (typeof column === 'string') return column;
  const value = (column as Node | undefined)?.expr?.value;
  return typeof value === 'string' ? value : undefined;
}

function nspColumn(node: Node | undefined): ColumnUse | undefined {
  if (!node || node.type !== 'column_ref') return undefined;
  const column = nspColumnName(node.column);
  if (!column || column === '*') return undefined;
  return node.table ? { table: node.table, column } : { column };
}

function nspFuncName(node: Node): string {
  const name = node.name;
  if (typeof name === 'string') return name;
  return ((name?.name as Node[]) ?? []).map((n) => n.value).join('.');
}

function nspWrapped(node: Node | undefined): { col: ColumnUse; fn: string } | undefined {
  if (node?.type !== 'function') return undefined;
  const args = node.args?.value ?? [];
  for (const arg of Array.isArray(args) ? args : [args]) {
    const col = nspColumn(arg);
    if (col) return { col, fn: nspFuncName(node) };
  }
  return undefined;
}

function nspPredicates(expr: Node | undefined, source: 'where' | 'join', shape: QueryShape): void {
  if (!expr || typeof expr !== 'object') return;
  if (expr.type === 'unary_expr' && /not/i.test(expr.operator)) return;
  if (expr.type !== 'binary_expr') return;
  const op = String(expr.operator).toUpperCase();
  if (op === 'AND') {
    nspPredicates(expr.left, source, shape);
    nspPredicates(expr.right, source, shape);
    return;
  }
  if (op === 'OR') {
    const before = shape.predicates.length;
    nspPredicates(expr.left, source, shape);
    nspPredicates(expr.right, source, shape);
    const cols = new Set(shape.predicates.slice(before).map((p) => `${p.table ?? ''}.${p.column}`));
    if (cols.size > 1) shape.orAcrossColumns = true;
    shape.predicates.slice(before).forEach((p) => (p.op = 'other'));
    return;
  }
  const left = nspColumn(expr.left);
  const right = nspColumn(expr.right);
  if (op === 'NOT IN' && expr.right?.value?.some?.((v: Node) => v?.ast)) shape.notInSubquery = true;
  let kind: PredicateOp = 'other';
  if (op === '=') kind = 'eq';
  else if (['<', '>', '<=', '>=', 'BETWEEN'].includes(op)) kind = 'range';
  else if (op === 'IN') kind = 'in';
  else if (op === 'LIKE') kind = 'like';
  else if (op === 'IS' && expr.right?.type === 'null') kind = 'isnull';
  if (left && right) {
    shape.predicates.push({ ...left, op: kind === 'eq' ? 'eq' : 'other', source: 'join' });
    shape.predicates.push({ ...right, op: kind === 'eq' ? 'eq' : 'other', source: 'join' });
    return;
  }
  const col = left ?? right;
  const wrapped = nspWrapped(expr.left);
  if (col) {
    const pattern = expr.right?.value;
    const leadingWildcard = kind === 'like' && typeof pattern === 'string' && /^[%_]/.test(pattern);
    if (leadingWildcard) kind = 'other';
    shape.predicates.push({ ...col, op: kind, source, ...(leadingWildcard ? { leadingWildcard } : {}) });
  } else if (wrapped) {
    shape.predicates.push({ ...wrapped.col, op: 'other', source, wrappedIn: wrapped.fn });
  }
}

function collectNsp(node: unknown, visit: (value: Node) => void): void {
  if (Array.isArray(node)) {
    node.forEach((n) => collectNsp(n, visit));
    return;
  }
  if (!node || typeof node !== 'object') return;
  visit(node as Node);
  for (const value of Object.values(node as Node)) collectNsp(value, visit);
}

function nspNumber(node: Node | undefined): number | undefined {
  return node?.type === 'number' && typeof node.value === 'number' ? node.value : undefined;
}

/** Shape of one node-sql-parser statement AST. */
export function shapeFromNspStatement(ast: Node): QueryShape {
  const shape = emptyShape();
  collectNsp(ast, (v) => {
    if (v.type === 'function' || v.type === 'aggr_func') {
      const name = nspFuncName(v).toLowerCase();
      shape.functions.push(name);
      if (v.type === 'aggr_func') shape.aggregates = true;
      if (v.type === 'aggr_func' && name === 'count' && v.args?.expr?.type === 'star') shape.countStar = true;
    }
  });
  const from = ((ast.from ?? (ast.type !== 'select' ? ast.table : undefined)) as Node[] | null) ?? [];
  for (const item of from) {
    if (item.table) shape.tables.push({ name: item.table, ...(item.as ? { alias: item.as } : {}) });
    if (item.join) shape.joinCount++;
    if (item.on) nspPredicates(item.on, 'join', shape);
  }
  nspPredicates(ast.where, 'where', shape);
  if (ast.type === 'select') {
    const commaJoined = from.filter((f) => !f.join).length;
    if (commaJoined > 1 && !shape.predicates.some((p) => p.source === 'join')) shape.implicitCrossJoin = true;
    const columns = ast.columns;
    shape.selectStar =
      columns === '*' || (Array.isArray(columns) && columns.some((c: Node) => c?.expr?.type === 'column_ref' && nspColumnName(c.expr.column) === '*'));
    shape.distinct = !!ast.distinct;
    const limit = ast.limit?.value as Node[] | undefined;
    shape.hasLimit = !!limit?.length;
    if (limit && limit.length === 2) {
      // MySQL "LIMIT a, b" has separator ","; "LIMIT b OFFSET a" has "offset".
      const offset = ast.limit.seperator === ',' ? nspNumber(limit[0]) : nspNumber(limit[1]);
      if (offset !== undefined) shape.offset = offset;
    }
    for (const o of (ast.orderby as Node[] | null) ?? []) {
      const col = nspColumn(o.expr);
      if (col) shape.orderBy.push({ ...col, desc: String(o.type).toUpperCase() === 'DESC' });
      if (o.expr?.type === 'function' && ['rand', 'random'].includes(nspFuncName(o.expr).toLowerCase())) shape.randomOrder = true;
    }
    const groupColumns = (ast.groupby?.columns ?? ast.groupby) as Node[] | null;
    for (const g of Array.isArray(groupColumns) ? groupColumns : []) {
      const col = nspColumn(g);
      if (col) shape.groupBy.push(col);
    }
    if (ast.for_update || ast.locking_read) shape.writes = true;
  }
  resolveAliases(shape);
  return shape;
}
