/**
 * One plan model for every dialect. Each driver normalises its EXPLAIN output into this
 * shape, so rules, the advisor and the renderers never look at dialect-specific JSON.
 * Times are milliseconds per loop as the database reports them (PostgreSQL convention);
 * `exclusiveMs` is computed once for all loops.
 */
export type Dialect = 'postgres' | 'mysql' | 'sqlite';

export interface PlanNode {
  id: number;
  parentId: number | null;
  depth: number;
  /** Normalised kind: seq-scan, index-scan, index-only-scan, bitmap-heap-scan, bitmap-index-scan, sort, hash, hash-join, merge-join, nested-loop, aggregate, limit, temp-btree, automatic-index, other… */
  kind: string;
  /** What the database calls it: "Seq Scan on orders", "SCAN orders", "ALL on orders". */
  label: string;
  relation?: string;
  alias?: string;
  index?: string;
  /** Condition text: filter, index condition, join condition. */
  filter?: string;
  indexCond?: string;
  estimatedRows?: number;
  startupCost?: number;
  totalCost?: number;
  actualRows?: number;
  /** Per-loop time of the node including its children (PostgreSQL "Actual Total Time"). */
  actualTotalMs?: number;
  loops?: number;
  rowsRemovedByFilter?: number;
  rowsRemovedByJoinFilter?: number;
  heapFetches?: number;
  sortMethod?: string;
  sortSpaceType?: string;
  sortSpaceKb?: number;
  hashBatches?: number;
  originalHashBatches?: number;
  peakMemoryKb?: number;
  lossyHeapBlocks?: number;
  exactHeapBlocks?: number;
  sharedHitBlocks?: number;
  sharedReadBlocks?: number;
  tempWrittenBlocks?: number;
  workers?: number;
  /** Flags the dialects expose directly (MySQL using_filesort, SQLite USE TEMP B-TREE …). */
  flags?: string[];
  /** MySQL: share of rows kept by the attached condition (0–100). */
  filteredPct?: number;
  /** Filled by computeExclusiveTimes. */
  exclusiveMs?: number;
  exclusivePct?: number;
}

export interface Plan {
  dialect: Dialect;
  analyzed: boolean;
  nodes: PlanNode[];
  totalCost?: number;
  planningMs?: number;
  executionMs?: number;
  /** The database's own output, kept for the artefact. */
  raw: unknown;
}

export function childrenOf(plan: Plan, id: number): PlanNode[] {
  return plan.nodes.filter((n) => n.parentId === id);
}

/**
 * Exclusive time as pev2 and explain.depesz.com compute it: a node's wall time minus its
 * direct children's (InitPlan/SubPlan children included), where a node's wall time is its
 * per-loop total × loops — divided, below a Gather, by the processes that ran that part of
 * the plan (its loops there are the leader's and each worker's, run side by side). Without
 * that division a parallel scan "spends" more than the whole execution, and the Gather above
 * it nothing.
 */
export function computeExclusiveTimes(plan: Plan): void {
  const total = plan.executionMs;
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const processesOf = new Map<number, number>();
  const processes = (node: PlanNode): number => {
    const known = processesOf.get(node.id);
    if (known !== undefined) return known;
    const parent = node.parentId === null ? undefined : byId.get(node.parentId);
    // The Gather's direct child runs once per participating process: its loops count them
    // (workers launched, plus the leader unless parallel_leader_participation is off).
    const count = !parent ? 1 : parent.workers !== undefined ? Math.max(1, node.loops ?? parent.workers + 1) : processes(parent);
    processesOf.set(node.id, count);
    return count;
  };
  const wallMs = (node: PlanNode) => (node.actualTotalMs === undefined ? undefined : (node.actualTotalMs * (node.loops ?? 1)) / processes(node));
  for (const node of plan.nodes) {
    const inclusive = wallMs(node);
    if (inclusive === undefined) continue;
    let children = 0;
    for (const child of childrenOf(plan, node.id)) children += wallMs(child) ?? 0;
    node.exclusiveMs = Math.max(0, inclusive - children);
    if (total && total > 0) node.exclusivePct = (node.exclusiveMs / total) * 100;
  }
}

export function nodeRef(node: PlanNode): string {
  return `#${node.id} ${node.label}`;
}

/** Indented text tree, one line per node, with the numbers that matter. */
export function renderCompactPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const node of plan.nodes) {
    const parts: string[] = [];
    if (node.totalCost !== undefined) parts.push(`cost=${round1(node.totalCost)}`);
    if (node.estimatedRows !== undefined) parts.push(`est=${Math.round(node.estimatedRows)}`);
    if (node.actualRows !== undefined) parts.push(`rows=${Math.round(node.actualRows)}`);
    if (node.loops !== undefined && node.loops !== 1) parts.push(`loops=${node.loops}`);
    if (node.exclusiveMs !== undefined)
      parts.push(`self=${round1(node.exclusiveMs)}ms${node.exclusivePct !== undefined ? ` (${round1(node.exclusivePct)}%)` : ''}`);
    if (node.rowsRemovedByFilter) parts.push(`removed=${node.rowsRemovedByFilter}`);
    const cond = node.indexCond ?? node.filter;
    const detail = cond ? ` [${cond.length > 80 ? `${cond.slice(0, 77)}…` : cond}]` : '';
    lines.push(`${'  '.repeat(node.depth)}#${node.id} ${node.label}${parts.length ? ` (${parts.join(' ')})` : ''}${detail}`);
  }
  return lines.join('\n');
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Whether any node uses an index with this name (case-insensitive). */
export function planUsesIndex(plan: Plan, indexName: string): boolean {
  const wanted = indexName.toLowerCase();
  return plan.nodes.some((n) => n.index?.toLowerCase() === wanted || (n.index?.toLowerCase().includes(wanted) ?? false));
}
