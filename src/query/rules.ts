import { formatCount, formatMs } from '../common/units.js';
import { childrenOf, nodeRef, type Plan, type PlanNode } from './plan.js';
import type { Finding } from './schema.js';

/**
 * Plan smells, each naming the node and the numbers that triggered it. Thresholds follow
 * pev2 (dalibo/pev2: node duration and row-estimate highlighting) and explain.depesz.com
 * (exclusive time, "rows x" misestimate factor); the rest cite their source inline.
 */
export interface RuleContext {
  /** Rows per table, when known (catalog estimate or count). */
  tableRows: Map<string, number>;
  workMemKb?: number;
  /** targets.queryMs */
  targetMs: number;
  timedOutAfterMs?: number;
}

/** pev2/depesz colour bands for exclusive time share: > 10 %, > 40 %, > 90 %. */
export const EXCLUSIVE_SHARE = { low: 10, medium: 40, high: 90 } as const;
/** depesz "rows x" bands for the estimate factor: > 10×, > 100×, > 1000×. */
export const ESTIMATE_FACTOR = { low: 10, medium: 100, high: 1000 } as const;
/** Share of rows read then discarded by a filter: > 50 % medium, > 90 % high. */
export const FILTER_REMOVAL = { medium: 50, high: 90 } as const;
/** Below this a table is small enough that a scan is the right plan (PostgreSQL's planner agrees). */
export const LARGE_TABLE_ROWS = 10_000;
/** Nested loop: inner side run this many times, at this total inner cost, is worth a look. */
export const NESTED_LOOP = { loops: 1000, innerCostTotal: 100_000 } as const;

function bandOf(value: number, bands: { low?: number; medium: number; high: number }): Finding['severity'] | undefined {
  if (value > bands.high) return 'high';
  if (value > bands.medium) return 'medium';
  if (bands.low !== undefined && value > bands.low) return 'low';
  return undefined;
}

function rowsRead(node: PlanNode): number {
  return ((node.actualRows ?? 0) + (node.rowsRemovedByFilter ?? 0)) * (node.loops ?? 1);
}

function tableSize(node: PlanNode, context: RuleContext): number | undefined {
  if (!node.relation) return undefined;
  // "schema.table" is also looked up by its table name alone.
  const unqualified = node.relation.slice(node.relation.lastIndexOf('.') + 1);
  return context.tableRows.get(node.relation.toLowerCase()) ?? context.tableRows.get(unqualified.toLowerCase());
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A statement-level rule: the plan as a whole. */
type PlanRule = (plan: Plan, context: RuleContext) => Finding | undefined;
/** A node rule: one plan node in its plan. Returns the finding, or undefined when the node is fine. */
type NodeRule = (node: PlanNode, plan: Plan, context: RuleContext) => Finding | undefined;

const slowQuery: PlanRule = (plan, context) =>
  plan.executionMs !== undefined && plan.executionMs > context.targetMs
    ? {
        rule: 'slow-query',
        severity: plan.executionMs > 10 * context.targetMs ? 'high' : 'medium',
        message: `execution took ${formatMs(plan.executionMs)}, over the ${formatMs(context.targetMs)} target (targets.queryMs)`,
        evidence: { executionMs: round(plan.executionMs, 3), targetMs: context.targetMs },
        fix: 'see the findings and index suggestions below for where the time goes',
      }
    : undefined;

const timedOut: PlanRule = (_plan, context) =>
  context.timedOutAfterMs !== undefined
    ? {
        rule: 'slow-query',
        severity: 'high',
        message: `the statement did not finish within the ${formatMs(context.timedOutAfterMs)} statement timeout; the plan below is the estimated one`,
        evidence: { timeoutMs: context.timedOutAfterMs, targetMs: context.targetMs },
        fix: 'raise timeoutMs to measure it, or act on the estimated plan',
      }
    : undefined;

/**
 * Exclusive time share (pev2 / depesz), only when the query as a whole matters (≥ 10 % of the
 * target): a 3 ms query spends 100 % of its time somewhere, and saying so is noise.
 */
const exclusiveTime: NodeRule = (node, plan, context) => {
  if (node.exclusivePct === undefined || node.exclusiveMs === undefined || (plan.executionMs ?? 0) < context.targetMs * 0.1 || plan.nodes.length <= 1)
    return undefined;
  const severity = bandOf(node.exclusivePct, EXCLUSIVE_SHARE);
  const ref = nodeRef(node);
  return (
    severity && {
      rule: 'exclusive-time',
      severity,
      node: ref,
      message: `${ref} spends ${formatMs(node.exclusiveMs)} itself — ${round(node.exclusivePct)} % of the execution time`,
      evidence: { exclusiveMs: round(node.exclusiveMs, 3), sharePct: round(node.exclusivePct), executionMs: round(plan.executionMs ?? 0, 3) },
    }
  );
};

/** Row estimate misses (depesz "rows x"): per loop, both sides floored at 1. */
const rowEstimate: NodeRule = (node, plan) => {
  if (node.actualRows === undefined || node.estimatedRows === undefined || !plan.analyzed || (node.loops ?? 1) <= 0) return undefined;
  const est = Math.max(1, node.estimatedRows);
  const act = Math.max(1, node.actualRows);
  const factor = Math.max(est / act, act / est);
  const severity = bandOf(factor, ESTIMATE_FACTOR);
  if (!severity || Math.abs(est - act) * (node.loops ?? 1) < 100) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'row-estimate',
    severity,
    node: ref,
    message: `${ref}: the planner expected ${formatCount(Math.round(node.estimatedRows))} rows, got ${formatCount(Math.round(node.actualRows))} (${round(factor)}× ${act > est ? 'under' : 'over'}-estimated); joins and scans above it were chosen on the wrong numbers`,
    evidence: { estimatedRows: node.estimatedRows, actualRows: node.actualRows, factor: round(factor), loops: node.loops ?? 1 },
    fix:
      plan.dialect === 'postgres'
        ? "ANALYZE the table; for correlated columns CREATE STATISTICS (dependencies, ndistinct); raise the column's statistics target for skewed data"
        : 'refresh statistics (ANALYZE TABLE)',
  };
};

/** Rows removed by filter (share of rows read). */
const rowsRemovedByFilter: NodeRule = (node, _plan, context) => {
  if (node.rowsRemovedByFilter === undefined || node.actualRows === undefined) return undefined;
  const read = node.actualRows + node.rowsRemovedByFilter;
  const removedTotal = node.rowsRemovedByFilter * (node.loops ?? 1);
  const share = read > 0 ? (node.rowsRemovedByFilter / read) * 100 : 0;
  const severity = bandOf(share, FILTER_REMOVAL);
  if (!severity || removedTotal < 1000) return undefined;
  const isSeq = node.kind === 'seq-scan';
  const ref = nodeRef(node);
  return {
    rule: isSeq ? 'seq-scan-selective-filter' : 'rows-removed-by-filter',
    severity: isSeq && (tableSize(node, context) ?? rowsRead(node)) >= LARGE_TABLE_ROWS ? 'high' : severity,
    node: ref,
    message: `${ref} reads ${formatCount(Math.round(rowsRead(node)))} rows and its filter throws away ${round(share)} % of them${node.filter ? ` (${node.filter})` : ''}`,
    evidence: {
      rowsRead: Math.round(rowsRead(node)),
      rowsRemoved: Math.round(removedTotal),
      removedPct: round(share),
      rowsReturned: Math.round(node.actualRows * (node.loops ?? 1)),
    },
    fix: isSeq
      ? 'an index on the filter columns lets it read only the matching rows (see indexSuggestions)'
      : 'extend the index with the filtered columns so the condition becomes an index condition',
  };
};

/** Seq scan on a large table feeding a selective filter — estimated PostgreSQL plans (no actual rows). */
const estimatedSelectiveSeqScan: NodeRule = (node, plan, context) => {
  if (node.kind !== 'seq-scan' || !node.filter || plan.analyzed || plan.dialect !== 'postgres') return undefined;
  const size = tableSize(node, context);
  if (size === undefined || size < LARGE_TABLE_ROWS || node.estimatedRows === undefined || node.estimatedRows / size >= 0.1) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'seq-scan-selective-filter',
    severity: size >= 100_000 ? 'high' : 'medium',
    node: ref,
    message: `${ref} reads all ~${formatCount(size)} rows to keep an estimated ${formatCount(Math.round(node.estimatedRows))} (${node.filter})`,
    evidence: { tableRows: size, estimatedRows: node.estimatedRows, keptPct: round((node.estimatedRows / size) * 100, 3) },
    fix: 'an index on the filter columns (see indexSuggestions)',
  };
};

const heapFetches: NodeRule = (node, plan) => {
  if (node.kind !== 'index-only-scan' || node.heapFetches === undefined || node.heapFetches <= 0 || plan.dialect !== 'postgres') return undefined;
  const returned = Math.max(1, (node.actualRows ?? 0) * (node.loops ?? 1));
  const share = (node.heapFetches / returned) * 100;
  const ref = nodeRef(node);
  return {
    rule: 'heap-fetches',
    severity: share > 50 ? 'medium' : 'low',
    node: ref,
    message: `${ref} had to visit the table ${formatCount(node.heapFetches)} times (${round(share)} % of rows): the visibility map is stale, so the index-only scan is not index-only`,
    evidence: { heapFetches: node.heapFetches, rows: returned, sharePct: round(share) },
    fix: `VACUUM ${node.relation ?? 'the table'} (and tune autovacuum for it) so pages are marked all-visible`,
  };
};

const sortSpill: NodeRule = (node, _plan, context) => {
  if (node.sortSpaceType !== 'Disk') return undefined;
  const spilled = node.sortSpaceKb ?? 0;
  // An external merge sort's on-disk size understates the memory an in-memory sort needs
  // (tuples carry per-tuple overhead in memory); pgMustard suggests ~2× the disk use.
  const needKb = Math.max(spilled * 2, (context.workMemKb ?? 0) * 2);
  const ref = nodeRef(node);
  return {
    rule: 'sort-spill',
    severity: spilled > 100 * 1024 ? 'high' : 'medium',
    node: ref,
    message: `${ref} spilled to disk (${node.sortMethod ?? 'external sort'}, ${formatCount(spilled)} kB written) because it did not fit work_mem${context.workMemKb ? ` (${formatCount(context.workMemKb)} kB)` : ''}`,
    evidence: { sortSpaceKb: spilled, ...(context.workMemKb ? { workMemKb: context.workMemKb } : {}), suggestedWorkMemKb: needKb },
    fix: `SET work_mem = '${Math.ceil(needKb / 1024)}MB' for this query/session (not globally: it applies per sort node per connection), or an index that returns rows already in order`,
  };
};

const hashSpill: NodeRule = (node, _plan, context) => {
  if (node.hashBatches === undefined || node.hashBatches <= 1) return undefined;
  const peak = node.peakMemoryKb ?? 0;
  const needKb = peak * node.hashBatches;
  const ref = nodeRef(node);
  return {
    rule: 'hash-spill',
    severity: node.hashBatches >= 16 ? 'high' : 'medium',
    node: ref,
    message: `${ref} split into ${node.hashBatches} batches${node.originalHashBatches && node.originalHashBatches !== node.hashBatches ? ` (planned ${node.originalHashBatches})` : ''}: the hash table did not fit work_mem and batches went to temp files`,
    evidence: { hashBatches: node.hashBatches, peakMemoryKb: peak, ...(context.workMemKb ? { workMemKb: context.workMemKb } : {}), suggestedWorkMemKb: needKb },
    fix: `SET work_mem to about ${Math.ceil(needKb / 1024)}MB (peak ${peak} kB × ${node.hashBatches} batches) for this query, or reduce the rows/columns fed into the hash`,
  };
};

const lossyBitmap: NodeRule = (node) => {
  if (node.lossyHeapBlocks === undefined || node.lossyHeapBlocks <= 0) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'lossy-bitmap',
    severity: 'medium',
    node: ref,
    message: `${ref}: ${formatCount(node.lossyHeapBlocks)} heap blocks went lossy (bitmap exceeded work_mem), so every row on them was rechecked`,
    evidence: { lossyHeapBlocks: node.lossyHeapBlocks, exactHeapBlocks: node.exactHeapBlocks ?? 0, rowsRemovedByRecheck: node.rowsRemovedByFilter ?? 0 },
    fix: 'raise work_mem for this query so the bitmap stays exact, or a more selective index',
  };
};

const nestedLoop: NodeRule = (node, plan, context) => {
  if (node.kind !== 'nested-loop') return undefined;
  const kids = childrenOf(plan, node.id);
  const inner = kids[1];
  if (!inner) return undefined;
  const loops = inner.loops ?? kids[0]?.estimatedRows ?? 1;
  const innerCost = inner.totalCost ?? 0;
  const total = loops * innerCost;
  const innerScan = inner.kind === 'seq-scan' || (childrenOf(plan, inner.id).some((c) => c.kind === 'seq-scan') && inner.kind === 'materialize');
  const costly = loops >= NESTED_LOOP.loops && total >= NESTED_LOOP.innerCostTotal;
  if (!costly && !(innerScan && loops > 1 && (tableSize(inner, context) ?? 0) >= LARGE_TABLE_ROWS)) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'nested-loop',
    severity: innerScan || total >= 10 * NESTED_LOOP.innerCostTotal ? 'high' : 'medium',
    node: ref,
    message: `${ref} runs its inner side (${nodeRef(inner)}) ${formatCount(Math.round(loops))} times${innerCost ? ` at cost ${round(innerCost)} each (${formatCount(Math.round(total))} in all)` : ''}`,
    evidence: { loops: Math.round(loops), innerCost: round(innerCost), loopsTimesInnerCost: Math.round(total), innerKind: inner.kind },
    fix: 'an index on the inner join column turns each loop into a lookup; if the outer side is under-estimated, fix statistics so a hash join is chosen',
  };
};

const sqliteFullScan: NodeRule = (node, plan, context) => {
  const size = tableSize(node, context) ?? node.estimatedRows;
  if (plan.dialect !== 'sqlite' || node.kind !== 'seq-scan' || size === undefined || size < LARGE_TABLE_ROWS) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'sqlite-full-scan',
    severity: size >= 100_000 ? 'high' : 'medium',
    node: ref,
    message: `${ref}: a full scan of ${formatCount(size)} rows`,
    evidence: { tableRows: size },
    fix: 'an index on the columns of the WHERE / JOIN (see indexSuggestions)',
  };
};

const sqliteTempBtree: NodeRule = (node, plan) => {
  if (plan.dialect !== 'sqlite' || node.kind !== 'temp-btree') return undefined;
  const outerRows = Math.max(0, ...plan.nodes.filter((n) => n.relation).map((n) => n.estimatedRows ?? 0));
  const ref = nodeRef(node);
  return {
    rule: 'sqlite-temp-btree',
    severity: outerRows >= LARGE_TABLE_ROWS ? 'medium' : 'low',
    node: ref,
    message: `${ref}: SQLite builds a temporary B-tree to sort/group the rows on every execution`,
    evidence: { rowsToSort: outerRows },
    fix: 'an index whose columns match the ORDER BY / GROUP BY (after the equality columns) returns rows already in order',
  };
};

const sqliteAutomaticIndex: NodeRule = (node, plan, context) => {
  if (plan.dialect !== 'sqlite' || node.kind !== 'automatic-index') return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'sqlite-automatic-index',
    severity: 'high',
    node: ref,
    message: `${ref}: SQLite builds a temporary index on ${node.relation} for every execution of this statement`,
    evidence: { tableRows: tableSize(node, context) ?? 0 },
    fix: 'create that index permanently (see indexSuggestions): the planner is telling you it is missing',
  };
};

const mysqlFullScan: NodeRule = (node, plan, context) => {
  const size = node.estimatedRows ?? tableSize(node, context);
  if (plan.dialect !== 'mysql' || node.kind !== 'seq-scan' || size === undefined || size < LARGE_TABLE_ROWS) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'mysql-full-scan',
    severity: size >= 100_000 ? 'high' : 'medium',
    node: ref,
    message: `${ref}: access_type ALL reads ~${formatCount(size)} rows${node.filter ? ` to apply ${node.filter}` : ''}`,
    evidence: { rows: size, ...(node.filteredPct !== undefined ? { filteredPct: node.filteredPct } : {}) },
    fix: 'an index on the WHERE / JOIN columns (see indexSuggestions)',
  };
};

const mysqlFilesort: NodeRule = (node, plan) => {
  if (plan.dialect !== 'mysql' || node.kind !== 'sort' || !node.flags?.includes('using_filesort')) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'mysql-filesort',
    severity: 'medium',
    node: ref,
    message: `${ref}: using_filesort — rows are sorted after reading instead of read in index order`,
    evidence: { usingFilesort: true },
    fix: 'an index that ends with the ORDER BY columns (after the equality columns of the WHERE)',
  };
};

const mysqlTemporaryTable: NodeRule = (node, plan) => {
  if (plan.dialect !== 'mysql' || !node.flags?.includes('using_temporary_table')) return undefined;
  const ref = nodeRef(node);
  return {
    rule: 'mysql-temporary-table',
    severity: 'medium',
    node: ref,
    message: `${ref}: using_temporary_table — an internal temporary table holds the rows (GROUP BY / DISTINCT / UNION)`,
    evidence: { usingTemporaryTable: true },
    fix: 'an index on the GROUP BY columns, or GROUP BY and ORDER BY on the same columns',
  };
};

/** Every rule, in the order findings of equal severity are listed. */
const PLAN_RULES: readonly PlanRule[] = [slowQuery, timedOut];
const NODE_RULES: readonly NodeRule[] = [
  exclusiveTime,
  rowEstimate,
  rowsRemovedByFilter,
  estimatedSelectiveSeqScan,
  heapFetches,
  sortSpill,
  hashSpill,
  lossyBitmap,
  nestedLoop,
  sqliteFullScan,
  sqliteTempBtree,
  sqliteAutomaticIndex,
  mysqlFullScan,
  mysqlFilesort,
  mysqlTemporaryTable,
];

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

export function applyPlanRules(plan: Plan, context: RuleContext): Finding[] {
  const findings = [
    ...PLAN_RULES.map((rule) => rule(plan, context)),
    ...plan.nodes.flatMap((node) => NODE_RULES.map((rule) => rule(node, plan, context))),
  ].filter((finding): finding is Finding => finding !== undefined);
  return findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
