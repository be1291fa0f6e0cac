import { round } from '../common/units.js';
import { entryAt, intAt, selfWeightByNode, weightAt, type Frame, type FrameCategory, type Profile } from './model.js';

/**
 * Where the weight went: self and total per function (merged by name+file+line, so the same
 * function reached through different paths, processes or columns is one row), the
 * heaviest root→leaf stacks, and the DevTools buckets (idle, GC, program) kept apart.
 *
 * Percentages are of on-CPU time — everything except `(idle)` — which is how 0x and
 * DevTools' "Bottom-up" read: an I/O-bound server that is 90 % idle still shows which
 * function used the CPU it did use. Idle is reported separately as `idlePct`.
 *
 * Cost: O(samples + nodes × depth-of-recursion bookkeeping): one pass over samples for
 * self per node, one bottom-up pass for node totals, one DFS for function totals.
 */
export interface FunctionRow {
  name: string;
  file: string;
  line: number;
  category: FrameCategory;
  self: number;
  total: number;
  calls?: number;
}

/** Self weight on one source line (V8 line ticks), with the function whose code it is. */
export interface LineRow {
  file: string;
  line: number;
  function: string;
  self: number;
  /** Functions on whose call-tree nodes V8 recorded this line: it was inlined into them. */
  inlinedInto: string[];
}

/** A function V8 inlined into callers, and how much of its time sat on their nodes. */
export interface InlinedRow {
  function: FunctionRow;
  self: number;
  into: string[];
}

export interface Analysis {
  total: number;
  idle: number;
  onCpu: number;
  functions: FunctionRow[];
  paths: Array<{ stack: string[]; self: number }>;
  byCategory: Partial<Record<FrameCategory, number>>;
  /** Hottest source lines (V8 profiles with line ticks), by self weight. */
  lines: LineRow[];
  /** Functions whose code V8 inlined into callers, by the self weight moved back to them. */
  inlined: InlinedRow[];
  /** Self weight per node (index = node). */
  nodeSelf: Float64Array;
  nodeTotal: Float64Array;
}

export function functionKey(frame: Pick<Frame, 'name' | 'file' | 'line'>): string {
  return `${frame.name}\u0000${frame.file}\u0000${frame.line}`;
}

export function frameLabel(frame: Pick<Frame, 'name' | 'file' | 'line' | 'category'>): string {
  if (!frame.file || frame.category === 'gc' || frame.category === 'idle' || frame.category === 'program' || frame.category === 'process') return frame.name;
  return frame.line > 0 ? `${frame.name} (${frame.file}:${frame.line})` : `${frame.name} (${frame.file})`;
}

/** Children lists from parent pointers (nodes are parent-before-child). */
export function childrenOf(profile: Pick<Profile, 'nodes'>): { roots: number[]; children: number[][] } {
  const children: number[][] = profile.nodes.map(() => []);
  const roots: number[] = [];
  profile.nodes.forEach((node, i) => (node.parent < 0 ? roots : entryAt(children, node.parent, 'parent node')).push(i));
  return { roots, children };
}

export function analyseProfile(profile: Profile, options: { pathLimit?: number } = {}): Analysis {
  const { nodes, frames } = profile;
  const nodeSelf = selfWeightByNode(profile);
  const nodeTotal = Float64Array.from(nodeSelf);
  for (let n = nodes.length - 1; n >= 0; n--) {
    const parent = entryAt(nodes, n, 'node').parent;
    if (parent >= 0) nodeTotal[parent] = weightAt(nodeTotal, parent, 'total of parent node') + weightAt(nodeTotal, n, 'total of node');
  }

  // Function identity: frames that differ only in column (or category) are one function.
  const funcOfFrame = new Int32Array(frames.length);
  const funcIndex = new Map<string, number>();
  const rows: FunctionRow[] = [];
  frames.forEach((frame, i) => {
    const key = functionKey(frame);
    let index = funcIndex.get(key);
    if (index === undefined) {
      index = rows.length;
      funcIndex.set(key, index);
      rows.push({ name: frame.name, file: frame.file, line: frame.line, category: frame.category, self: 0, total: 0 });
    }
    funcOfFrame[i] = index;
  });
  const frameOfNode = nodes.map((node) => entryAt(frames, node.frame, 'frame'));
  const funcOfNode = Int32Array.from(nodes, (node) => intAt(funcOfFrame, node.frame, 'function of frame'));

  const byCategory: Partial<Record<FrameCategory, number>> = {};
  let total = 0;
  let idle = 0;
  frameOfNode.forEach((frame, n) => {
    const self = weightAt(nodeSelf, n, 'self weight of node');
    if (self === 0) return;
    entryAt(rows, intAt(funcOfNode, n, 'function of node'), 'function').self += self;
    byCategory[frame.category] = (byCategory[frame.category] ?? 0) + self;
    total += self;
    if (frame.category === 'idle') idle += self;
  });

  // Total: a node's subtree counts for its function unless the function is already on the
  // stack above it (recursion must not count the same time twice).
  const { roots, children } = childrenOf(profile);
  const onStack = new Int32Array(rows.length);
  const stack: Array<[node: number, entering: boolean]> = roots.map((r) => [r, true]);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, entering] = top;
    const fn = intAt(funcOfNode, node, 'function of node');
    const depth = intAt(onStack, fn, 'stack depth of function');
    if (entering) {
      if (depth === 0) entryAt(rows, fn, 'function').total += weightAt(nodeTotal, node, 'total of node');
      onStack[fn] = depth + 1;
      stack.push([node, false]);
      for (const child of entryAt(children, node, 'children of node')) stack.push([child, true]);
    } else {
      onStack[fn] = depth - 1;
    }
  }

  const { lines, inlined } = attributeLineTicks(profile, nodeSelf, rows, funcOfFrame, funcOfNode, byCategory);

  if (profile.functionStats) {
    // cProfile counts exactly: its per-function figures beat the reconstructed tree's.
    for (const row of rows) {
      row.self = 0;
      row.total = 0;
    }
    for (const stat of profile.functionStats) {
      const row = entryAt(rows, intAt(funcOfFrame, stat.frame, 'function of frame'), 'function');
      row.self += stat.self;
      row.total = Math.max(row.total, stat.total);
      row.calls = (row.calls ?? 0) + stat.calls;
    }
  }

  const functions = rows.filter((r) => r.category !== 'process' && r.category !== 'idle' && (r.self > 0 || r.total > 0));
  functions.sort((a, b) => b.self - a.self || b.total - a.total);

  const limit = options.pathLimit ?? 15;
  const weighty: Array<{ node: number; self: number }> = [];
  frameOfNode.forEach((frame, node) => {
    const self = weightAt(nodeSelf, node, 'self weight of node');
    if (self > 0 && frame.category !== 'idle') weighty.push({ node, self });
  });
  const heaviest = weighty.sort((a, b) => b.self - a.self).slice(0, limit);
  const paths = heaviest.map(({ node, self }) => {
    const labels: string[] = [];
    for (let m = node; m >= 0; m = entryAt(nodes, m, 'node').parent) {
      const frame = entryAt(frameOfNode, m, 'frame of node');
      if (frame.category !== 'process') labels.push(frameLabel(frame));
    }
    return { stack: labels.reverse(), self };
  });

  return { total, idle, onCpu: total - idle, functions, paths, byCategory, lines, inlined, nodeSelf, nodeTotal };
}

/**
 * Line ticks → hot lines, and a node's self weight on another function's lines (code V8
 * inlined into it) moved to that function's row: self, and total unless the function is
 * already on the node's stack. The call tree itself is left as V8 recorded it.
 * A node's self weight is split over its lines in proportion to their ticks.
 */
function attributeLineTicks(
  profile: Profile,
  nodeSelf: Float64Array,
  rows: FunctionRow[],
  funcOfFrame: Int32Array,
  funcOfNode: Int32Array,
  byCategory: Partial<Record<FrameCategory, number>>,
): { lines: LineRow[]; inlined: InlinedRow[] } {
  if (!profile.lineTicks?.length) return { lines: [], inlined: [] };
  const { nodes } = profile;
  const tickSum = new Float64Array(nodes.length);
  for (const t of profile.lineTicks) tickSum[t.node] = weightAt(tickSum, t.node, 'node of a line tick') + t.ticks;
  const lineRows = new Map<string, LineRow & { into: Set<string> }>();
  const inlinedRows = new Map<number, { function: FunctionRow; self: number; into: Set<string> }>();
  const onStackOf = (node: number, fn: number): boolean => {
    for (let n = entryAt(nodes, node, 'node').parent; n >= 0; n = entryAt(nodes, n, 'node').parent) if (funcOfNode[n] === fn) return true;
    return false;
  };
  for (const t of profile.lineTicks) {
    const ticksOfNode = weightAt(tickSum, t.node, 'node of a line tick');
    const self = ticksOfNode > 0 ? (weightAt(nodeSelf, t.node, 'self weight of node') * t.ticks) / ticksOfNode : 0;
    if (self <= 0) continue;
    const nodeFn = intAt(funcOfNode, t.node, 'function of node');
    const ownerFn = t.owner !== undefined ? intAt(funcOfFrame, t.owner, 'function of frame') : nodeFn;
    const nodeRow = entryAt(rows, nodeFn, 'function');
    const ownerRow = entryAt(rows, ownerFn, 'function');
    const key = `${t.file}\u0000${t.line}\u0000${ownerFn}`;
    let row = lineRows.get(key);
    if (!row) lineRows.set(key, (row = { file: t.file, line: t.line, function: ownerRow.name, self: 0, inlinedInto: [], into: new Set() }));
    row.self += self;
    if (ownerFn === nodeFn) continue;
    const caller = nodeRow.name;
    row.into.add(caller);
    nodeRow.self -= self;
    ownerRow.self += self;
    byCategory[nodeRow.category] = (byCategory[nodeRow.category] ?? 0) - self;
    byCategory[ownerRow.category] = (byCategory[ownerRow.category] ?? 0) + self;
    if (!onStackOf(t.node, ownerFn)) ownerRow.total += self;
    let moved = inlinedRows.get(ownerFn);
    if (!moved) inlinedRows.set(ownerFn, (moved = { function: ownerRow, self: 0, into: new Set() }));
    moved.self += self;
    moved.into.add(caller);
  }
  // Floating-point dust from the proportional split must not leave a "-0.00 %" row.
  for (const row of rows) if (Math.abs(row.self) < 1e-9) row.self = 0;
  const lines = [...lineRows.values()].map(({ into, ...row }) => ({ ...row, inlinedInto: [...into] })).sort((a, b) => b.self - a.self);
  const inlined = [...inlinedRows.values()].map(({ into, ...moved }) => ({ ...moved, into: [...into] })).sort((a, b) => b.self - a.self);
  return { lines, inlined };
}

/** Percent (0–100) rounded to 2 decimals; 0 when the denominator is 0. */
export function pct(part: number, whole: number): number {
  return whole > 0 ? round((part / whole) * 100, 2) : 0;
}
