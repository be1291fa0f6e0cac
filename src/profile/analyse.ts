import { round } from '../common/units.js';
import { selfWeightByNode, type Frame, type FrameCategory, type Profile } from './model.js';

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
  profile.nodes.forEach((node, i) => (node.parent < 0 ? roots : children[node.parent]!).push(i));
  return { roots, children };
}

export function analyseProfile(profile: Profile, options: { pathLimit?: number } = {}): Analysis {
  const nodeCount = profile.nodes.length;
  const nodeSelf = selfWeightByNode(profile);
  const nodeTotal = Float64Array.from(nodeSelf);
  for (let n = nodeCount - 1; n >= 0; n--) {
    const parent = profile.nodes[n]!.parent;
    if (parent >= 0) nodeTotal[parent]! += nodeTotal[n]!;
  }

  // Function identity: frames that differ only in column (or category) are one function.
  const funcOfFrame = new Int32Array(profile.frames.length);
  const funcIndex = new Map<string, number>();
  const rows: FunctionRow[] = [];
  profile.frames.forEach((frame, i) => {
    const key = functionKey(frame);
    let index = funcIndex.get(key);
    if (index === undefined) {
      index = rows.length;
      funcIndex.set(key, index);
      rows.push({ name: frame.name, file: frame.file, line: frame.line, category: frame.category, self: 0, total: 0 });
    }
    funcOfFrame[i] = index;
  });

  const byCategory: Partial<Record<FrameCategory, number>> = {};
  let total = 0;
  let idle = 0;
  for (let n = 0; n < nodeCount; n++) {
    const self = nodeSelf[n]!;
    if (self === 0) continue;
    const frame = profile.frames[profile.nodes[n]!.frame]!;
    rows[funcOfFrame[profile.nodes[n]!.frame]!]!.self += self;
    byCategory[frame.category] = (byCategory[frame.category] ?? 0) + self;
    total += self;
    if (frame.category === 'idle') idle += self;
  }

  // Total: a node's subtree counts for its function unless the function is already on the
  // stack above it (recursion must not count the same time twice).
  const { roots, children } = childrenOf(profile);
  const onStack = new Int32Array(rows.length);
  const stack: Array<[node: number, entering: boolean]> = roots.map((r) => [r, true]);
  while (stack.length) {
    const [node, entering] = stack.pop()!;
    const fn = funcOfFrame[profile.nodes[node]!.frame]!;
    if (entering) {
      if (onStack[fn] === 0) rows[fn]!.total += nodeTotal[node]!;
      onStack[fn]!++;
      stack.push([node, false]);
      for (const child of children[node]!) stack.push([child, true]);
    } else {
      onStack[fn]!--;
    }
  }

  const { lines, inlined } = attributeLineTicks(profile, nodeSelf, rows, funcOfFrame, byCategory);

  if (profile.functionStats) {
    // cProfile counts exactly: its per-function figures beat the reconstructed tree's.
    for (const row of rows) {
      row.self = 0;
      row.total = 0;
    }
    for (const stat of profile.functionStats) {
      const row = rows[funcOfFrame[stat.frame]!]!;
      row.self += stat.self;
      row.total = Math.max(row.total, stat.total);
      row.calls = (row.calls ?? 0) + stat.calls;
    }
  }

  const functions = rows.filter((r) => r.category !== 'process' && r.category !== 'idle' && (r.self > 0 || r.total > 0));
  functions.sort((a, b) => b.self - a.self || b.total - a.total);

  const limit = options.pathLimit ?? 15;
  const heaviest = Array.from(nodeSelf.keys())
    .filter((n) => nodeSelf[n]! > 0 && profile.frames[profile.nodes[n]!.frame]!.category !== 'idle')
    .sort((a, b) => nodeSelf[b]! - nodeSelf[a]!)
    .slice(0, limit);
  const paths = heaviest.map((n) => {
    const labels: string[] = [];
    for (let m = n; m >= 0; m = profile.nodes[m]!.parent) {
      const frame = profile.frames[profile.nodes[m]!.frame]!;
      if (frame.category !== 'process') labels.push(frameLabel(frame));
    }
    return { stack: labels.reverse(), self: nodeSelf[n]! };
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
  byCategory: Partial<Record<FrameCategory, number>>,
): { lines: LineRow[]; inlined: InlinedRow[] } {
  if (!profile.lineTicks?.length) return { lines: [], inlined: [] };
  const tickSum = new Float64Array(profile.nodes.length);
  for (const t of profile.lineTicks) tickSum[t.node]! += t.ticks;
  const lineRows = new Map<string, LineRow & { into: Set<string> }>();
  const inlinedRows = new Map<number, { self: number; into: Set<string> }>();
  const onStackOf = (node: number, fn: number): boolean => {
    for (let n = profile.nodes[node]!.parent; n >= 0; n = profile.nodes[n]!.parent) if (funcOfFrame[profile.nodes[n]!.frame] === fn) return true;
    return false;
  };
  for (const t of profile.lineTicks) {
    const self = tickSum[t.node]! > 0 ? (nodeSelf[t.node]! * t.ticks) / tickSum[t.node]! : 0;
    if (self <= 0) continue;
    const nodeFn = funcOfFrame[profile.nodes[t.node]!.frame]!;
    const ownerFn = t.owner !== undefined ? funcOfFrame[t.owner]! : nodeFn;
    const key = `${t.file}\u0000${t.line}\u0000${ownerFn}`;
    let row = lineRows.get(key);
    if (!row) lineRows.set(key, (row = { file: t.file, line: t.line, function: rows[ownerFn]!.name, self: 0, inlinedInto: [], into: new Set() }));
    row.self += self;
    if (ownerFn === nodeFn) continue;
    const caller = rows[nodeFn]!.name;
    row.into.add(caller);
    rows[nodeFn]!.self -= self;
    rows[ownerFn]!.self += self;
    const fromCategory = rows[nodeFn]!.category;
    const toCategory = rows[ownerFn]!.category;
    byCategory[fromCategory] = (byCategory[fromCategory] ?? 0) - self;
    byCategory[toCategory] = (byCategory[toCategory] ?? 0) + self;
    if (!onStackOf(t.node, ownerFn)) rows[ownerFn]!.total += self;
    let moved = inlinedRows.get(ownerFn);
    if (!moved) inlinedRows.set(ownerFn, (moved = { self: 0, into: new Set() }));
    moved.self += self;
    moved.into.add(caller);
  }
  // Floating-point dust from the proportional split must not leave a "-0.00 %" row.
  for (const row of rows) if (Math.abs(row.self) < 1e-9) row.self = 0;
  const lines = [...lineRows.values()].map(({ into, ...row }) => ({ ...row, inlinedInto: [...into] })).sort((a, b) => b.self - a.self);
  const inlined = [...inlinedRows.entries()]
    .map(([fn, moved]) => ({ function: rows[fn]!, self: moved.self, into: [...moved.into] }))
    .sort((a, b) => b.self - a.self);
  return { lines, inlined };
}

/** Percent (0–100) rounded to 2 decimals; 0 when the denominator is 0. */
export function pct(part: number, whole: number): number {
  return whole > 0 ? round((part / whole) * 100, 2) : 0;
}
