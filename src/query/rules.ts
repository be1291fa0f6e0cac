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
  return context.tableRows.get(node.relation.toLowerCase()) ?? context.tableRows.get(node.relation.split('.').pop()!.toLowerCase());
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function applyPlanRules(plan: Plan, context: RuleContext): Finding[] {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);

  if (plan.executionMs !== undefined && plan.executionMs > context.targetMs) {
    add({
      rule: 'slow-query',
      severity: plan.executionMs > 10 * context.targetMs ? 'high' : 'medium',
      message: `execution took ${formatMs(plan.executionMs)}, over the ${formatMs(context.targetMs)} target (targets.queryMs)`,
      evidence: { executionMs: round(plan.executionMs, 3), targetMs: context.targetMs },
      fix: 'see the findings and index suggestions below for where the time goes',
    });
  }
  if (context.timedOutAfterMs !== undefined) {
    add({
      rule: 'slow-query',
      severity: 'high',
      message: `the statement did not finish within the ${formatMs(context.timedOutAfterMs)} statement timeout; the plan below is the estimated one`,
      evidence: { timeoutMs: context.timedOutAfterMs, targetMs: context.targetMs },
      fix: 'raise timeoutMs to measure it, or act on the estimated plan',
    });
  }

  for (const node of plan.nodes) {
    const ref = nodeRef(node);
    // Exclusive time share (pev2 / depesz).
    // Only when the query as a whole matters (≥ 10 % of the target): a 3 ms query spends
    // 100 % of its time somewhere, and saying so is noise.
    if (node.exclusivePct !== undefined && node.exclusiveMs !== undefined && (plan.executionMs ?? 0) >= context.targetMs * 0.1 && plan.nodes.length > 1) {
      const sev = bandOf(node.exclusivePct, EXCLUSIVE_SHARE);
      if (sev) {
        add({
          rule: 'exclusive-time',
          severity: sev,
          node: ref,
          message: `${ref} spends ${formatMs(node.exclusiveMs)} itself — ${round(node.exclusivePct)} % of the execution time`,
          evidence: { exclusiveMs: round(node.exclusiveMs, 3), sharePct: round(node.exclusivePct), executionMs: round(plan.executionMs ?? 0, 3) },
        });
      }
    }
    // Row estimate misses (depesz "rows x"): per loop, both sides floored at 1.
    if (node.actualRows !== undefined && node.estimatedRows !== undefined && plan.analyzed && (node.loops ?? 1) > 0) {
      const est = Math.max(1, node.estimatedRows);
      const act = Math.max(1, node.actualRows);
      const factor = Math.max(est / act, act / est);
      const sev = bandOf(factor, ESTIMATE_FACTOR);
      if (sev && Math.abs(est - act) * (node.loops ?? 1) >= 100) {
        add({
          rule: 'row-estimate',
          severity: sev,
          node: ref,
          message: `${ref}: the planner expected ${formatCount(Math.round(node.estimatedRows))} rows, got ${formatCount(Math.round(node.actualRows))} (${round(factor)}× ${act > est ? 'under' : 'over'}-estimated); joins and scans above it were chosen on the wrong numbers`,
          evidence: { estimatedRows: node.estimatedRows, actualRows: node.actualRows, factor: round(factor), loops: node.loops ?? 1 },
          fix: plan.dialect === 'postgres' ? 'ANALYZE the table; for correlated columns CREATE STATISTICS (dependencies, ndistinct); raise the column\'s statistics target for skewed data' : 'refresh statistics (ANALYZE TABLE)',
        });
      }
    }
    // Rows removed by filter (share of rows read).
    if (node.rowsRemovedByFilter !== undefined && node.actualRows !== undefined) {
      const read = node.actualRows + node.rowsRemovedByFilter;
      const removedTotal = node.rowsRemovedByFilter * (node.loops ?? 1);
      const share = read > 0 ? (node.rowsRemovedByFilter / read) * 100 : 0;
      const sev = bandOf(share, FILTER_REMOVAL);
      if (sev && removedTotal >= 1000) {
        const isSeq = node.kind === 'seq-scan';
        add({
          rule: isSeq ? 'seq-scan-selective-filter' : 'rows-removed-by-filter',
          severity: isSeq && (tableSize(node, context) ?? rowsRead(node)) >= LARGE_TABLE_ROWS ? 'high' : sev,
          node: ref,
          message: `${ref} reads ${formatCount(Math.round(rowsRead(node)))} rows and its filter throws away ${round(share)} % of them${node.filter ? ` (${node.filter})` : ''}`,
          evidence: { rowsRead: Math.round(rowsRead(node)), rowsRemoved: Math.round(removedTotal), removedPct: round(share), rowsReturned: Math.round(node.actualRows * (node.loops ?? 1)) },
          fix: isSeq ? 'an index on the filter columns lets it read only the matching rows (see indexSuggestions)' : 'extend the index with the filtered columns so the condition becomes an index condition',
        });
      }
    }
    // Seq scan on a large table feeding a selective filter — estimated plans (no actual rows).
    if (node.kind === 'seq-scan' && node.filter && !plan.analyzed && plan.dialect === 'postgres') {
      const size = tableSize(node, context);
      if (size !== undefined && size >= LARGE_TABLE_ROWS && node.estimatedRows !== undefined && node.estimatedRows / size < 0.1) {
        add({
          rule: 'seq-scan-selective-filter',
          severity: size >= 100_000 ? 'high' : 'medium',
          node: ref,
          message: `${ref} reads all ~${formatCount(size)} rows to keep an estimated ${formatCount(Math.round(node.estimatedRows))} (${node.filter})`,
          evidence: { tableRows: size, estimatedRows: node.estimatedRows, keptPct: round((node.estimatedRows / size) * 100, 3) },
          fix: 'an index on the filter columns (see indexSuggestions)',
        });
      }
    }
    if (node.kind === 'index-only-scan' && node.heapFetches !== undefined && node.heapFetches > 0 && plan.dialect === 'postgres') {
      const returned = Math.max(1, (node.actualRows ?? 0) * (node.loops ?? 1));
      const share = (node.heapFetches / returned) * 100;
      add({
        rule: 'heap-fetches',
        severity: share > 50 ? 'medium' : 'low',
        node: ref,
        message: `${ref} had to visit the table ${formatCount(node.heapFetches)} times (${round(share)} % of rows): the visibility map is stale, so the index-only scan is not index-only`,
        evidence: { heapFetches: node.heapFetches, rows: returned, sharePct: round(share) },
        fix: `VACUUM ${node.relation ?? 'the table'} (and tune autovacuum for it) so pages are marked all-visible`,
      });
    }
    if (node.sortSpaceType === 'Disk') {
      const spilled = node.sortSpaceKb ?? 0;
      // An external merge sort's on-disk size understates the memory an in-memory sort needs
      // (tuples carry per-tuple overhead in memory); pgMustard suggests ~2× the disk use.
      const needKb = Math.max(spilled * 2, (context.workMemKb ?? 0) * 2);
      add({
        rule: 'sort-spill',
        severity: spilled > 100 * 1024 ? 'high' : 'medium',
        node: ref,
        message: `${ref} spilled to disk (${node.sortMethod ?? 'external sort'}, ${formatCount(spilled)} kB written) because it did not fit work_mem${context.workMemKb ? ` (${formatCount(context.workMemKb)} kB)` : ''}`,
        evidence: { sortSpaceKb: spilled, ...(context.workMemKb ? { workMemKb: context.workMemKb } : {}), suggestedWorkMemKb: needKb },
        fix: `SET work_mem = '${Math.ceil(needKb / 1024)}MB' for this query/session (not globally: it applies per sort node per connection), or an index that returns rows already in order`,
      });
    }
    if (node.hashBatches !== undefined && node.hashBatches > 1) {
      const peak = node.peakMemoryKb ?? 0;
      const needKb = peak * node.hashBatches;
      add({
        rule: 'hash-spill',
        severity: node.hashBatches >= 16 ? 'high' : 'medium',
        node: ref,
        message: `${ref} split into ${node.hashBatches} batches${node.originalHashBatches && node.originalHashBatches !== node.hashBatches ? ` (planned ${node.originalHashBatches})` : ''}: the hash table did not fit work_mem and batches went to temp files`,
        evidence: { hashBatches: node.hashBatches, peakMemoryKb: peak, ...(context.workMemKb ? { workMemKb: context.workMemKb } : {}), suggestedWorkMemKb: needKb },
        fix: `SET work_mem to about ${Math.ceil(needKb / 1024)}MB (peak ${peak} kB × ${node.hashBatches} batches) for this query, or reduce the rows/columns fed into the hash`,
      });
    }
    if (node.lossyHeapBlocks !== undefined && node.lossyHeapBlocks > 0) {
      add({
        rule: 'lossy-bitmap',
        severity: 'medium',
        node: ref,
        message: `${ref}: ${formatCount(node.lossyHeapBlocks)} heap blocks went lossy (bitmap exceeded work_mem), so every row on them was rechecked`,
        evidence: { lossyHeapBlocks: node.lossyHeapBlocks, exactHeapBlocks: node.exactHeapBlocks ?? 0, rowsRemovedByRecheck: node.rowsRemovedByFilter ?? 0 },
        fix: 'raise work_mem for this query so the bitmap stays exact, or a more selective index',
      });
    }
    if (node.kind === 'nested-loop') {
      const kids = childrenOf(plan, node.id);
      const inner = kids[1];
      if (inner) {
        const loops = inner.loops ?? (kids[0]?.estimatedRows ?? 1);
        const innerCost = inner.totalCost ?? 0;
        const total = loops * innerCost;
        const innerScan = inner.kind === 'seq-scan' || (childrenOf(plan, inner.id).some((c) => c.kind === 'seq-scan') && inner.kind === 'materialize');
        if ((loops >= NESTED_LOOP.loops && total >= NESTED_LOOP.innerCostTotal) || (innerScan && loops > 1 && (tableSize(inner, context) ?? 0) >= LARGE_TABLE_ROWS)) {
          add({
            rule: 'nested-loop',
            severity: innerScan || total >= 10 * NESTED_LOOP.innerCostTotal ? 'high' : 'medium',
            node: ref,
            message: `${ref} runs its inner side (${nodeRef(inner)}) ${formatCount(Math.round(loops))} times${innerCost ? ` at cost ${round(innerCost)} each (${formatCount(Math.round(total))} in all)` : ''}`,
            evidence: { loops: Math.round(loops), innerCost: round(innerCost), loopsTimesInnerCost: Math.round(total), innerKind: inner.kind },
            fix: 'an index on the inner join column turns each loop into a lookup; if the outer side is under-estimated, fix statistics so a hash join is chosen',
          });
        }
      }
    }
    // SQLite access paths.
    if (plan.dialect === 'sqlite') {
      const size = tableSize(node, context) ?? node.estimatedRows;
      if (node.kind === 'seq-scan' && size !== undefined && size >= LARGE_TABLE_ROWS) {
        add({
          rule: 'sqlite-full-scan',
          severity: size >= 100_000 ? 'high' : 'medium',
          node: ref,
          message: `${ref}: a full scan of ${formatCount(size)} rows`,
          evidence: { tableRows: size },
          fix: 'an index on the columns of the WHERE / JOIN (see indexSuggestions)',
        });
      }
      if (node.kind === 'temp-btree') {
        const outerRows = Math.max(0, ...plan.nodes.filter((n) => n.relation).map((n) => n.estimatedRows ?? 0));
        add({
          rule: 'sqlite-temp-btree',
          severity: outerRows >= LARGE_TABLE_ROWS ? 'medium' : 'low',
          node: ref,
          message: `${ref}: SQLite builds a temporary B-tree to sort/group the rows on every execution`,
          evidence: { rowsToSort: outerRows },
          fix: 'an index whose columns match the ORDER BY / GROUP BY (after the equality columns) returns rows already in order',
        });
      }
      if (node.kind === 'automatic-index') {
        add({
          rule: 'sqlite-automatic-index',
          severity: 'high',
          node: ref,
          message: `${ref}: SQLite builds a temporary index on ${node.relation} for every execution of this statement`,
          evidence: { tableRows: tableSize(node, context) ?? 0 },
          fix: `create that index permanently (see indexSuggestions): the planner is telling you it is missing`,
        });
      }
    }
    // MySQL access types and flags.
    if (plan.dialect === 'mysql') {
      const size = node.estimatedRows ?? tableSize(node, context);
      if (node.kind === 'seq-scan' && size !== undefined && size >= LARGE_TABLE_ROWS) {
        add({
          rule: 'mysql-full-scan',
          severity: size >= 100_000 ? 'high' : 'medium',
          node: ref,
          message: `${ref}: access_type ALL reads ~${formatCount(size)} rows${node.filter ? ` to apply ${node.filter}` : ''}`,
          evidence: { rows: size, ...(node.filteredPct !== undefined ? { filteredPct: node.filteredPct } : {}) },
          fix: 'an index on the WHERE / JOIN columns (see indexSuggestions)',
        });
      }
      if (node.flags?.includes('using_filesort') && node.kind === 'sort') {
        add({
          rule: 'mysql-filesort',
          severity: 'medium',
          node: ref,
          message: `${ref}: using_filesort — rows are sorted after reading instead of read in index order`,
          evidence: { usingFilesort: true },
          fix: 'an index that ends with the ORDER BY columns (after the equality columns of the WHERE)',
        });
      }
      if (node.flags?.includes('using_temporary_table')) {
        add({
          rule: 'mysql-temporary-table',
          severity: 'medium',
          node: ref,
          message: `${ref}: using_temporary_table — an internal temporary table holds the rows (GROUP BY / DISTINCT / UNION)`,
          evidence: { usingTemporaryTable: true },
          fix: 'an index on the GROUP BY columns, or GROUP BY and ORDER BY on the same columns',
        });
      }
    }
  }
  const order = { high: 0, medium: 1, low: 2 } as const;
  return findings.sort((a, b) => order[a.severity] - order[b.severity]);
}
