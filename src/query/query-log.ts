import { readInputFile } from '../common/input-files.js';
import { resolve } from 'node:path';
import { defined, UserError } from '../common/errors.js';
import type { LoggedQuery } from './schema.js';

/**
 * Reads a query log in one of three shapes, detected from the content:
 * - JSON lines `{ sql, durationMs?, stack?, requestId? }` (also `query`/`statement`, `duration_ms`,
 *   `callSite`, and `request_id`/`traceId`/`trace_id` for the request a query belongs to);
 * - a PostgreSQL server log with `log_min_duration_statement` lines
 *   (`… LOG:  duration: 0.123 ms  statement: SELECT …`, continuation lines start with a tab);
 * - plain text, one statement per line.
 */
export const MAX_LOG_BYTES = 512 * 1024 * 1024;

const PG_DURATION = /duration: ([\d.]+) ms\s+(?:statement|execute [^:]*|parse [^:]*|bind [^:]*):\s?(.*)$/;
const PG_LOG_PREFIX = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/;

export async function readQueryLog(
  path: string,
  baseDir: string,
  limits: { allowedPaths?: readonly string[]; maxInputMb?: number } = {},
): Promise<LoggedQuery[]> {
  const full = resolve(baseDir, path);
  const maxBytes = Math.min(MAX_LOG_BYTES, (limits.maxInputMb ?? Infinity) * 1024 * 1024);
  const text = await readInputFile(path, {
    projectDir: baseDir,
    ...(limits.allowedPaths ? { allowedPaths: limits.allowedPaths } : {}),
    maxBytes,
    what: 'query log',
  });
  return parseQueryLog(text, full);
}

function fromJson(value: Record<string, unknown>): LoggedQuery | undefined {
  const sql = value.sql ?? value.query ?? value.statement;
  if (typeof sql !== 'string' || !sql.trim()) return undefined;
  const duration = value.durationMs ?? value.duration_ms ?? value.duration ?? value.ms;
  const stack = value.stack ?? value.callSite ?? value.caller;
  const request = value.requestId ?? value.request_id ?? value.traceId ?? value.trace_id;
  return {
    sql,
    ...(typeof duration === 'number' && Number.isFinite(duration) ? { durationMs: duration } : {}),
    ...(typeof stack === 'string' || (Array.isArray(stack) && stack.every((s) => typeof s === 'string')) ? { stack: stack as string | string[] } : {}),
    ...(typeof request === 'string' || typeof request === 'number' ? { requestId: String(request) } : {}),
  };
}

export function parseQueryLog(text: string, source = 'query log'): LoggedQuery[] {
  const lines = text.split(/\r?\n/);
  const firstContent = lines.find((l) => l.trim())?.trim() ?? '';
  if (firstContent.startsWith('{')) {
    const out: LoggedQuery[] = [];
    lines.forEach((line, index) => {
      const trimmed = line.trim();
      if (!trimmed) return;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (error) {
        throw new UserError(
          `${source}: line ${index + 1} is not valid JSON (${(error as Error).message})`,
          'each line must be one JSON object such as {"sql": "SELECT …", "durationMs": 1.2}',
        );
      }
      const entry = value && typeof value === 'object' ? fromJson(value as Record<string, unknown>) : undefined;
      if (entry) out.push(entry);
    });
    return out;
  }
  if (lines.some((l) => PG_DURATION.test(l))) {
    const out: LoggedQuery[] = [];
    let current: LoggedQuery | undefined;
    for (const line of lines) {
      const match = PG_DURATION.exec(line);
      if (match) {
        if (current) out.push(current);
        current = { sql: defined(match[2], 'the statement text of a duration line'), durationMs: Number(match[1]) };
      } else if (
        current &&
        (line.startsWith('\t') || (!PG_LOG_PREFIX.test(line) && line.trim() && !/^\s*(DETAIL|HINT|CONTEXT|STATEMENT|LOG|ERROR):/.test(line)))
      ) {
        current.sql += `\n${line.replace(/^\t/, '')}`;
      } else if (current) {
        out.push(current);
        current = undefined;
      }
    }
    if (current) out.push(current);
    return out;
  }
  return lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('--'))
    .map((sql) => ({ sql }));
}

/** The first stack frame outside node_modules / internals: the application line that ran the query. */
export function callSiteOf(stack: string | string[] | undefined): string | undefined {
  if (!stack) return undefined;
  const frames = (Array.isArray(stack) ? stack : stack.split('\n')).map((f) => f.trim().replace(/^at\s+/, '')).filter(Boolean);
  return frames.find((f) => !/node_modules|node:internal|^Error\b/.test(f)) ?? frames[0];
}
