import { defined } from '../common/errors.js';
import type { AgentTool } from './tool-advice.js';

/**
 * The first concrete call for what changed, pure: the Stop note does not only say "a review is
 * available" but which call starts it — `analyze_query` on the SQL string that changed,
 * `run_load_test` on the route whose handler changed or on the k6 script that changed,
 * `compare_benchmarks` of a changed benchmark against the last baseline, `measure_web_vitals`
 * on a changed page. The order of preference follows the trigger: files the user marked as
 * performance work (hooks.paths) first, then SQL, then handlers.
 *
 * The patterns are deliberately small and written here (no parser per language: the hook's
 * budget is milliseconds, and a miss only means the note names no call). They follow each
 * framework's documented way of declaring a route: Express/Fastify/Koa/Hono
 * `app.get('/path', …)`, Flask/FastAPI decorators `@app.get("/path")`/`@app.route("/path")`,
 * Go `http.HandleFunc("/path", …)` (with Go 1.22 method patterns) and gin/echo/chi
 * `r.GET("/path", …)`, Spring `@GetMapping("/path")`, and Next.js file routes.
 */
export interface FirstCall {
  tool: AgentTool;
  /** The arguments, when a concrete call can be written; undefined = `text` says how to get there. */
  args?: Record<string, unknown>;
  /** What changed, e.g. "the SQL string at src/orders.ts:42". */
  about: string;
  /** What to fill in or check before calling, if anything. */
  caveat?: string;
}

/** A changed file with its current content and the new-side lines that changed (changed-files.ts). */
export interface ChangedSource {
  relPath: string;
  lines: number[];
  content: string;
}

/** A changed file under hooks.paths, with the tool tool-advice.ts chose and the file's head. */
export interface PerfFile {
  relPath: string;
  tool: AgentTool;
  head: string;
}

export interface FirstCallInput {
  perfFiles: PerfFile[];
  sources: ChangedSource[];
  /** Newest run id in .perf/runs that a comparison can use as its baseline. */
  baselineRun?: string;
  /** run_load_test accepts `script` (a k6 script runs as it is). */
  scriptRunner: boolean;
  /** .perf/config.json → query.database, if set. */
  database?: string;
}

const MAX_SQL = 600;
const K6_IMPORT = /(from\s+['"]k6(\/[\w-]+)?['"]|require\(\s*['"]k6)/;
const BENCH_RESULT = /\.(json|csv|txt|out)$/i;

export function isK6Script(head: string): boolean {
  return K6_IMPORT.test(head);
}

// ---- SQL strings --------------------------------------------------------------------------

interface Literal {
  text: string;
  startLine: number;
  endLine: number;
  template: boolean;
}

/** String literals of JS/TS/Python/Go/Java/Ruby source with their line span. */
const LITERAL = /"""([\s\S]*?)"""|'''([\s\S]*?)'''|`((?:[^`\\]|\\[\s\S])*)`|"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'/g;
const SQL_START = /^\s*(SELECT|WITH|UPDATE|DELETE\s+FROM|INSERT\s+INTO)\b/i;
const SQL_BODY = /\b(FROM|INTO|SET|VALUES)\b/i;

function lineStarts(content: string): number[] {
  const starts = [0];
  for (let index = content.indexOf('\n'); index >= 0; index = content.indexOf('\n', index + 1)) starts.push(index + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (defined(starts[mid], 'line start inside the binary search') <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function literals(content: string): Literal[] {
  const starts = lineStarts(content);
  const found: Literal[] = [];
  for (const match of content.matchAll(LITERAL)) {
    const text = match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? '';
    const start = match.index;
    found.push({ text, startLine: lineOf(starts, start), endLine: lineOf(starts, start + match[0].length - 1), template: match[3] !== undefined });
  }
  return found;
}

/** Statements of a .sql file with their line span (split at `;` outside quotes and comments). */
function sqlStatements(content: string): Literal[] {
  const starts = lineStarts(content);
  const statements: Literal[] = [];
  let begin = 0;
  const push = (end: number) => {
    const raw = content.slice(begin, end);
    const text = raw.replace(/^(\s|--[^\n]*\n)+/, '');
    if (text.trim()) {
      const offset = begin + (raw.length - text.length);
      statements.push({ text: text.trim(), startLine: lineOf(starts, offset), endLine: lineOf(starts, Math.max(offset, end - 1)), template: false });
    }
    begin = end + 1;
  };
  const upTo = (found: number) => (found < 0 ? content.length : found);
  for (let index = 0; index < content.length; index++) {
    const char = content[index];
    if (char === "'" || char === '"') index = upTo(content.indexOf(char, index + 1));
    else if (char === '-' && content[index + 1] === '-') index = upTo(content.indexOf('\n', index));
    else if (char === ';') push(index);
  }
  push(content.length);
  return statements;
}

function touches(lines: readonly number[], start: number, end: number): boolean {
  return lines.some((line) => line >= start && line <= end);
}

/** `${expr}` in a template literal becomes a placeholder analyze_query can plan with. */
function placeholders(sql: string, database: string | undefined): { sql: string; count: number } {
  let count = 0;
  const postgres = /^postgres(ql)?:/i.test(database ?? '');
  const text = sql.replace(/\$\{[^}]*\}/g, () => (postgres ? `$${++count}` : (++count, '?')));
  return { sql: text, count };
}

function normaliseSql(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/;\s*$/, '');
}

function sqlCall(source: ChangedSource, database: string | undefined): FirstCall | undefined {
  const isSqlFile = /\.sql$/i.test(source.relPath);
  const candidates = isSqlFile ? sqlStatements(source.content) : literals(source.content);
  for (const literal of candidates) {
    if (!touches(source.lines, literal.startLine, literal.endLine)) continue;
    if (!SQL_START.test(literal.text) || !SQL_BODY.test(literal.text)) continue;
    const where = `${source.relPath}:${literal.startLine}`;
    const { sql, count } = literal.template ? placeholders(normaliseSql(literal.text), database) : { sql: normaliseSql(literal.text), count: 0 };
    const caveats: string[] = [];
    if (count) caveats.push(`its ${count} interpolated value${count === 1 ? '' : 's'} became placeholder${count === 1 ? '' : 's'}: give them in params`);
    if (!database) caveats.push('database: the connection (SQLite path, postgres:// or mysql:// URL) unless .perf/config.json sets query.database');
    if (sql.length > MAX_SQL) {
      return {
        tool: 'analyze_query',
        about: `the SQL statement at ${where} (${sql.length} characters)`,
        caveat: ['sql: that statement', ...caveats].join('; '),
      };
    }
    return {
      tool: 'analyze_query',
      args: { sql, ...(database ? { database } : {}) },
      about: `the SQL string at ${where}`,
      caveat: caveats.join('; ') || undefined,
    };
  }
  return undefined;
}

// ---- routes -------------------------------------------------------------------------------

interface Route {
  method: string;
  path: string;
  line: number;
}

/** Objects whose `.get('/x')` is a request made, not a route served. */
const CLIENTS = /^(axios|fetch|http|https|request|client|supertest|agent|cy|page|api\w*Client|got|ky|superagent|\$http|this\.http)$/i;

/** A group every match of the pattern has (optional groups are read with `??` instead). */
function group(match: RegExpExecArray, index: number): string {
  return defined(match[index], `group ${index} of the route pattern's match "${match[0]}"`);
}

const ROUTE_PATTERNS: Array<(line: string) => { method: string; path: string } | undefined> = [
  // Express, Fastify, Koa-router, Hono: app.get('/orders', …)
  (line) => {
    const match = /([\w$.]+)\.(get|post|put|patch|delete|del|all|head|options)\(\s*(['"`])(\/[^'"`\s]*)\3/i.exec(line);
    if (!match) return undefined;
    const receiver = group(match, 1);
    if (CLIENTS.test(receiver.slice(receiver.lastIndexOf('.') + 1)) || CLIENTS.test(receiver)) return undefined;
    return { method: group(match, 2), path: group(match, 4) };
  },
  // Flask, FastAPI, Starlette: @app.get("/orders"), @bp.route("/orders", methods=["POST"])
  (line) => {
    const match = /^\s*@[\w.]+\.(get|post|put|patch|delete|route|api_route)\(\s*[rf]?(['"])(\/[^'"]*)\2(.*)$/i.exec(line);
    if (!match) return undefined;
    const methods = /methods\s*=\s*\[\s*['"](\w+)['"]/.exec(group(match, 4));
    return { method: methods?.[1] ?? group(match, 1), path: group(match, 3) };
  },
  // Go net/http (with Go 1.22 method patterns): http.HandleFunc("GET /orders", …)
  (line) => {
    const match = /\bHandle(?:Func)?\(\s*"(?:(GET|POST|PUT|PATCH|DELETE)\s+)?(\/[^"]*)"/.exec(line);
    return match ? { method: match[1] ?? 'GET', path: group(match, 2) } : undefined;
  },
  // gin, echo, chi, fiber: r.GET("/orders", …), r.Get("/orders", …)
  (line) => {
    const match = /\.(GET|POST|PUT|PATCH|DELETE|Get|Post|Put|Patch|Delete)\(\s*"(\/[^"]*)"/.exec(line);
    return match ? { method: group(match, 1), path: group(match, 2) } : undefined;
  },
  // Spring: @GetMapping("/orders"), @RequestMapping(value = "/orders")
  (line) => {
    const match = /@(Get|Post|Put|Patch|Delete|Request)Mapping\(\s*(?:(?:value|path)\s*=\s*)?\{?\s*"(\/[^"]*)"/.exec(line);
    if (!match) return undefined;
    const annotation = group(match, 1);
    return { method: annotation === 'Request' ? 'GET' : annotation, path: group(match, 2) };
  },
];

function routes(content: string): Route[] {
  const found: Route[] = [];
  for (const [index, line] of content.split('\n').entries()) {
    if (line.length > 400) continue;
    for (const pattern of ROUTE_PATTERNS) {
      const route = pattern(line);
      if (route) {
        found.push({ method: normaliseMethod(route.method), path: route.path, line: index + 1 });
        break;
      }
    }
  }
  return found;
}

function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  if (upper === 'DEL') return 'DELETE';
  if (upper === 'ALL' || upper === 'ROUTE' || upper === 'API_ROUTE' || upper === 'OPTIONS' || upper === 'HEAD') return 'GET';
  return upper;
}

/** Next.js file routes: app/**\/route.ts and pages/api/**. */
function fileRoute(relPath: string): string | undefined {
  const app = /(?:^|\/)app((?:\/[^/]+)*)\/route\.[cm]?[jt]sx?$/.exec(relPath)?.[1];
  if (app !== undefined) return app.replace(/\/\([^)]*\)/g, '') || '/';
  const pages = /(?:^|\/)pages(\/api(?:\/[^/]+)*)\.[cm]?[jt]sx?$/.exec(relPath)?.[1];
  if (pages !== undefined) return pages.replace(/\/index$/, '');
  return undefined;
}

/** The port a server in this file listens on, when the file says so plainly. */
function portIn(content: string): string | undefined {
  const match =
    /\.listen\(\s*(\d{2,5})\b/.exec(content) ??
    /\bPORT\b[^\n]{0,40}?(?:\|\||\?\?|,|\bor\b)\s*['"]?(\d{2,5})\b/.exec(content) ??
    /\bport\s*[=:]\s*(\d{2,5})\b/.exec(content) ??
    /ListenAndServe\(\s*"[^"]*:(\d{2,5})"/.exec(content) ??
    /--port[ =](\d{2,5})\b/.exec(content);
  return match?.[1];
}

function routeCall(source: ChangedSource): FirstCall | undefined {
  const declared = routes(source.content);
  const first = Math.min(...source.lines);
  // The handler a changed line belongs to is the nearest route declared at or above it.
  let route: { method: string; path: string; where: string } | undefined;
  for (const line of [...source.lines].sort((a, b) => a - b)) {
    const above = declared.filter((candidate) => candidate.line <= line).pop();
    if (above) {
      route = { method: above.method, path: above.path, where: `${source.relPath}:${above.line}` };
      break;
    }
  }
  if (!route && Number.isFinite(first)) {
    const path = fileRoute(source.relPath);
    if (path) route = { method: 'GET', path, where: source.relPath };
  }
  if (!route) return undefined;
  const port = portIn(source.content);
  const caveats: string[] = [];
  if (!port) caveats.push('<port>: the port the local server listens on');
  if (/[:{<[]/.test(route.path)) caveats.push('the path parameters: real values');
  if (route.method !== 'GET') caveats.push(`body: a request body the handler accepts`);
  const args: Record<string, unknown> = { url: `http://127.0.0.1:${port ?? '<port>'}${route.path}` };
  if (route.method !== 'GET') args.method = route.method;
  args.duration = '10s';
  return {
    tool: 'run_load_test',
    args,
    about: `the handler of ${route.method} ${route.path} (${route.where})`,
    caveat: caveats.join('; ') || undefined,
  };
}

// ---- files under hooks.paths --------------------------------------------------------------

function perfFileCall(file: PerfFile, input: FirstCallInput): FirstCall | undefined {
  if (file.tool === 'run_load_test' && isK6Script(file.head)) {
    if (input.scriptRunner) return { tool: 'run_load_test', args: { script: file.relPath }, about: `the k6 script ${file.relPath}` };
    return {
      tool: 'run_load_test',
      about: `the k6 script ${file.relPath}`,
      caveat:
        `this version of run_load_test does not take {"script": "${file.relPath}"} yet; the script translates to its arguments: ` +
        'options.stages → stages, options.thresholds → thresholds (the same k6 syntax), options.vus → connections, ' +
        'each http.get/post → an entry of requests (or sequence when the order matters)',
    };
  }
  if (file.tool === 'compare_benchmarks') {
    const baseline = input.baselineRun;
    const about = `the benchmark ${file.relPath}`;
    const noBaseline = 'there is no earlier run in .perf/runs: the first comparison needs the results from before the change as baseline';
    if (BENCH_RESULT.test(file.relPath)) {
      return {
        tool: 'compare_benchmarks',
        args: { baseline: baseline ?? '<results before the change>', candidate: file.relPath },
        about,
        caveat: baseline ? undefined : noBaseline,
      };
    }
    return {
      tool: 'compare_benchmarks',
      args: { baseline: baseline ?? '<results before the change>', candidate: '<results of a new run of this benchmark>' },
      about,
      caveat: `candidate: the output file of a new run of ${file.relPath}${baseline ? '' : `; ${noBaseline}`}`,
    };
  }
  if (file.tool === 'measure_web_vitals' && /\.html?$/i.test(file.relPath)) {
    return {
      tool: 'measure_web_vitals',
      args: { url: `http://127.0.0.1:<port>/${file.relPath.split('/').pop()}`, runs: 3 },
      about: `the page ${file.relPath}`,
      caveat: '<port> and path: where the local server serves this page',
    };
  }
  return undefined;
}

export function chooseFirstCall(input: FirstCallInput): FirstCall | undefined {
  for (const file of input.perfFiles) {
    const call = perfFileCall(file, input);
    if (call) return call;
  }
  for (const source of input.sources) {
    const call = sqlCall(source, input.database);
    if (call) return call;
  }
  for (const source of input.sources) {
    const call = routeCall(source);
    if (call) return call;
  }
  return undefined;
}

/** `analyze_query {"sql": "…"}` — the form the agent prompt and the notes use. */
export function formatCall(call: FirstCall): string {
  return call.args ? `${call.tool} ${JSON.stringify(call.args)}` : call.tool;
}

/** One sentence for the Stop note. */
export function describeFirstCall(call: FirstCall): string {
  return `A first call for ${call.about}: ${formatCall(call)}${call.caveat ? ` (${call.caveat})` : ''}.`;
}
