import { formatMs } from '../common/units.js';
import type { QueryOutput } from './schema.js';

/**
 * The one rule that judges an analyze_query result (MCP `verdict`, CLI exit code, the text's
 * first line): a high-severity finding, a statement slower than the target or an N+1 pattern
 * fails it. Light on purpose: the tool definition imports it at server start.
 */
export interface Verdicts {
  status: 'pass' | 'warn' | 'fail';
  /** SLOW, NEEDS WORK, CHECKED or OK. */
  word: string;
  headline: string;
  failed: boolean;
}

export function verdictOf(result: Omit<QueryOutput, 'artifacts'>, targetMs: number): Verdicts {
  const high = result.findings.filter((f) => f.severity === 'high').length;
  const slow = result.findings.some((f) => f.rule === 'slow-query');
  const parts: string[] = [];
  if (result.executionMs !== undefined) parts.push(`${formatMs(result.executionMs)}${result.executionMs > targetMs ? ` (target ${formatMs(targetMs)})` : ''}`);
  else if (result.totalCost !== undefined) parts.push(`estimated cost ${Math.round(result.totalCost)}`);
  if (result.findings.length) parts.push(`${result.findings.length} finding${result.findings.length > 1 ? 's' : ''} (${high} high)`);
  const best = result.indexSuggestions.find((s) => s.verified);
  if (best) parts.push(`index on ${best.table}(${best.columns.join(', ')}) cuts cost ${best.improvementPct} %`);
  if (result.nPlusOne.length) parts.push(`${result.nPlusOne.length} N+1 pattern${result.nPlusOne.length > 1 ? 's' : ''}`);
  const failed = high > 0 || slow || result.nPlusOne.length > 0;
  const word = slow ? 'SLOW' : failed ? 'NEEDS WORK' : result.statementKind === 'none' ? 'CHECKED' : 'OK';
  return {
    status: failed ? 'fail' : result.findings.length || result.lint.length ? 'warn' : 'pass',
    word,
    headline: `${word}: ${parts.join(' — ') || 'nothing to report'}`,
    failed,
  };
}
