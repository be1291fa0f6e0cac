import { defined } from '../common/errors.js';
import { median } from '../common/sample-stats.js';
import type { Dialect } from './plan.js';
import { callSiteOf } from './query-log.js';
import { fingerprintSql } from './fingerprint.js';
import type { LoggedQuery, NPlusOneItem } from './schema.js';

/**
 * N+1 detection over a query log, as Bullet and Prosopite do it: the same query shape
 * (fingerprint) repeated back to back from the same call site. "Back to back" allows up to
 * MAX_GAP other statements between repeats, so a loop that looks up several tables per row
 * (customer, product, customer, product …) is one run per shape rather than none.
 * When the log says which request each query belongs to, a run stays inside one request:
 * a log recorded under load has the same lookup back to back from *different* requests,
 * which is traffic, not N+1 (Prosopite scans per request for the same reason).
 */
export const MAX_GAP = 4;

export interface NPlusOneOptions {
  minCount: number;
  /** Turns a raw stack frame into the call site shown (source-mapped to the original line). */
  locateFrame?: (frame: string) => string;
  dialect?: Dialect | 'none';
  /** libpg_query fingerprint, computed once per distinct fingerprint (PostgreSQL). */
  pgFingerprint?: (sql: string) => string | undefined;
}

interface Run {
  key: string;
  /** The key without the request: runs in different requests are reported together. */
  groupKey: string;
  fingerprint: string;
  callSite?: string;
  requestId?: string;
  /** Indexes (into the log) of the run's statements: a run starts with one. */
  members: [number, ...number[]];
  /** The statement that produced the keys (the "1" of N+1): filled in once all runs are known. */
  parent?: string;
  lastIndex: number;
  count: number;
  totalMs: number;
  timed: boolean;
  example: string;
}

export function detectNPlusOne(queries: LoggedQuery[], options: NPlusOneOptions): NPlusOneItem[] {
  const fingerprints: string[] = [];
  const open = new Map<string, Run>();
  const finished: Run[] = [];
  const requestPositions = new Map<string, number>();
  const located = new Map<string, string>();
  const locate = (frame: string | undefined): string | undefined => {
    if (frame === undefined || !options.locateFrame) return frame;
    let site = located.get(frame);
    if (site === undefined) located.set(frame, (site = options.locateFrame(frame)));
    return site;
  };
  queries.forEach((query, index) => {
    const fingerprint = fingerprintSql(query.sql);
    fingerprints.push(fingerprint);
    const callSite = locate(callSiteOf(query.stack));
    const groupKey = `${fingerprint}\u0000${callSite ?? ''}`;
    const key = `${groupKey}\u0000${query.requestId ?? ''}`;
    const run = open.get(key);
    // Statements of other requests interleave under load: with request ids the gap counts
    // only this request's statements, so compare positions within the request.
    const position = query.requestId === undefined ? index : (requestPositions.get(query.requestId) ?? 0);
    if (query.requestId !== undefined) requestPositions.set(query.requestId, position + 1);
    if (run && position - run.lastIndex - 1 <= MAX_GAP) {
      run.count++;
      run.members.push(index);
      run.lastIndex = position;
      if (query.durationMs !== undefined) {
        run.totalMs += query.durationMs;
        run.timed = true;
      }
    } else {
      if (run) finished.push(run);
      open.set(key, {
        key,
        groupKey,
        fingerprint,
        ...(callSite ? { callSite } : {}),
        ...(query.requestId !== undefined ? { requestId: query.requestId } : {}),
        members: [index],
        lastIndex: position,
        count: 1,
        totalMs: query.durationMs ?? 0,
        timed: query.durationMs !== undefined,
        example: query.sql,
      });
    }
  });
  finished.push(...open.values());

  const repeated = finished.filter((run) => run.count >= options.minCount);
  findParents(queries, fingerprints, repeated);
  const groups = new Map<string, [Run, ...Run[]]>();
  for (const run of repeated) {
    const runs = groups.get(run.groupKey);
    if (runs) runs.push(run);
    else groups.set(run.groupKey, [run]);
  }
  const withRequests = queries.some((q) => q.requestId !== undefined);
  const items: Array<NPlusOneItem & { order: number }> = [];
  for (const runs of groups.values()) {
    const [first] = runs;
    const count = runs.reduce((s, r) => s + r.count, 0);
    const timed = runs.some((r) => r.timed);
    const totalMs = runs.reduce((s, r) => s + r.totalMs, 0);
    // Per request (or per run, without request ids): one loop's N, not N × the requests that ran it.
    const perKey = new Map<string, number>();
    runs.forEach((r, i) => perKey.set(r.requestId ?? String(i), (perKey.get(r.requestId ?? String(i)) ?? 0) + r.count));
    // statements per request are whole numbers: the median of an even count rounds half up
    const perRequest = Math.round(median([...perKey.values()]));
    const parents = new Map<string, number>();
    for (const r of runs) if (r.parent !== undefined) parents.set(r.parent, (parents.get(r.parent) ?? 0) + 1);
    const parent = [...parents.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const pgFingerprint = options.pgFingerprint?.(first.example);
    items.push({
      fingerprint: first.fingerprint,
      ...(pgFingerprint ? { pgFingerprint } : {}),
      count,
      perRequest,
      ...(withRequests ? { requests: perKey.size } : {}),
      runs: runs.length,
      ...(timed ? { totalMs: Math.round(totalMs * 1000) / 1000 } : {}),
      example: first.example,
      ...(first.callSite ? { callSite: first.callSite } : {}),
      ...(parent !== undefined ? { parent } : {}),
      suggestion: suggestBatch(first.fingerprint, perRequest, options.dialect ?? 'none', parent),
      order: timed ? totalMs : count,
    });
  }
  return items.sort((a, b) => b.order - a.order || b.count - a.count).map(({ order: _order, ...item }) => item);
}

/** How far back (statements of the same request) the parent may be. */
const PARENT_LOOKBACK = 50;

/**
 * The "1" of N+1 is the statement that produced the keys the loop looks up: the last statement
 * before the run, in the same request, that is not itself one of the loop's repeated lookups.
 * Taking simply the statement before the run named a sibling lookup when a loop queries two
 * tables per row (customers, products, customers, …: the products run starts after a customers
 * lookup), and a statement of another request when requests interleave.
 */
function findParents(queries: LoggedQuery[], fingerprints: string[], runs: Run[]): void {
  const inLoop = new Set<number>();
  for (const run of runs) for (const m of run.members) inLoop.add(m);
  for (const run of runs) {
    let seen = 0;
    for (let i = run.members[0] - 1; i >= 0 && seen < PARENT_LOOKBACK; i--) {
      // i counts down from inside the log; both arrays hold one entry per logged statement.
      if (defined(queries[i], 'a logged statement before the run').requestId !== run.requestId) continue;
      seen++;
      const fingerprint = defined(fingerprints[i], 'the fingerprint of a logged statement');
      if (inLoop.has(i) || fingerprint === run.fingerprint) continue;
      run.parent = fingerprint;
      break;
    }
  }
}

/** A concrete rewrite for a repeated statement: one batched statement instead of N. */
export function suggestBatch(fingerprint: string, count: number, dialect: Dialect | 'none', parent?: string): string {
  const kind = /^\s*\(?\s*(\w+)/.exec(fingerprint)?.[1] ?? '';
  const lookup = /\bwhere\s+((?:[\w"`]+\.)?[\w"`]+)\s*=\s*\?/.exec(fingerprint);
  const column = lookup?.[1];
  const table = /\b(?:from|update|into)\s+([\w"`.]+)/.exec(fingerprint)?.[1];
  const listForm = dialect === 'postgres' ? `= any($1)` : `in (?, ?, …)`;
  const keysNote = dialect === 'postgres' ? 'with all keys as one array parameter' : `with the ${count} keys in one list`;
  if (kind === 'insert') {
    return dialect === 'postgres'
      ? `${count} single-row INSERTs into ${table ?? 'the table'}: send one multi-row INSERT … VALUES (…), (…) or INSERT … SELECT * FROM unnest($1::type[], …), or COPY for bulk loads`
      : `${count} single-row INSERTs into ${table ?? 'the table'}: send one multi-row INSERT … VALUES (…), (…) per batch`;
  }
  if (lookup && column !== undefined) {
    const rewritten = fingerprint.replace(lookup[0], `where ${column} ${listForm}`);
    const join =
      parent && kind === 'select'
        ? `; or fetch them together with the parent rows: JOIN ${table ?? 'the table'} ON ${column} = <parent key> in "${parent.length > 120 ? `${parent.slice(0, 117)}…` : parent}"`
        : '';
    return `${count}× the same lookup by ${column}: run it once ${keysNote} — ${rewritten}${join} (an ORM's eager loading — includes/preload/select_related/prefetch_related/JOIN FETCH — does this)`;
  }
  return `${count}× the same statement: batch it into one statement over all keys (IN list / = ANY / JOIN) or cache its result for the request`;
}
