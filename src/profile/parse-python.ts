import type { Locator } from './locate.js';
import { ProfileBuilder, type FrameCategory, type Profile } from './model.js';

/**
 * The Python helper's JSON (see python-helper.ts) → the Profile model.
 *
 * cProfile records per-function totals and caller→callee edges, not stacks. The call tree
 * is rebuilt the way flameprof and snakeviz do it: from each root, a callee's share under a
 * caller is the edge's cumulative time, scaled by the share of the caller's own time this
 * tree node stands for. Recursion is cut at the first repeat (cProfile's cumtime already
 * counts only the outermost call) and nodes under 0.05 % are dropped. The tree is an
 * estimate when one function is reached along several paths; the exact per-function
 * figures are kept in `functionStats` and used for the hot-function table.
 */
export interface PstatsJson {
  info: { stdlib: string; purelib: string; pid: number; argv: string[]; exit: number | null };
  functions: Array<{
    file: string;
    line: number;
    name: string;
    cc: number;
    nc: number;
    tt: number;
    ct: number;
    callers: Array<[number, number, number, number, number]>;
  }>;
}

export interface TracemallocJson {
  info: { stdlib: string; purelib: string; pid: number; argv: string[]; exit: number | null; traced_peak?: number };
  stacks: Array<{ frames: Array<[file: string, line: number, name: string, defLine: number]>; size: number; count: number }>;
  growth: Array<{ file: string; line: number; bytes: number; count: number }>;
}

function pythonCategory(file: string, info: PstatsJson['info']): FrameCategory {
  if (file === '~' || file.startsWith('<')) return 'runtime';
  if (info.purelib && file.startsWith(info.purelib)) return 'dependency';
  if (file.includes('/site-packages/') || file.includes('/dist-packages/')) return 'dependency';
  if (info.stdlib && file.startsWith(info.stdlib)) return 'runtime';
  return 'app';
}

function pythonFrame(builder: ProfileBuilder, locator: Locator, info: PstatsJson['info'], file: string, line: number, name: string): number {
  const category = pythonCategory(file, info);
  return builder.frame({
    // cProfile names builtins "<built-in method time.sleep>" with file "~".
    name,
    file: file === '~' ? '' : locator.displayPath(file),
    line,
    column: 0,
    category,
  });
}

export function parsePstatsJson(data: PstatsJson, locator: Locator): Profile {
  const builder = new ProfileBuilder();
  const fns = data.functions;
  const frames = fns.map((f) => pythonFrame(builder, locator, data.info, f.file, f.line, f.name));
  const callees: Array<Array<{ callee: number; ct: number }>> = fns.map(() => []);
  fns.forEach((f, i) => {
    for (const [caller, , , , ct] of f.callers) callees[caller]!.push({ callee: i, ct });
  });
  let totalSelf = 0;
  for (const f of fns) totalSelf += f.tt;
  const minTotal = totalSelf * 0.0005;

  const samples: number[] = [];
  const weights: number[] = [];
  const addSelf = (node: number, seconds: number) => {
    if (seconds <= 0) return;
    samples.push(node);
    weights.push(seconds * 1e6);
  };
  // Roots: functions nobody called (the helper's own frames are filtered by Python itself).
  const roots = fns.map((f, i) => (f.callers.length === 0 ? i : -1)).filter((i) => i >= 0);
  type Item = { fn: number; parent: number; total: number; path: Set<number>; depth: number };
  const stack: Item[] = roots.map((fn) => ({ fn, parent: -1, total: fns[fn]!.ct, path: new Set([fn]), depth: 0 }));
  let nodes = 0;
  while (stack.length && nodes < 200_000) {
    const item = stack.pop()!;
    const f = fns[item.fn]!;
    const node = builder.child(item.parent, frames[item.fn]!);
    nodes++;
    const scale = f.ct > 0 ? Math.min(1, item.total / f.ct) : 0;
    addSelf(node, f.tt * scale);
    if (item.depth >= 128) continue;
    for (const edge of callees[item.fn]!) {
      if (item.path.has(edge.callee)) continue;
      const total = edge.ct * scale;
      if (total < minTotal) continue;
      const path = new Set(item.path);
      path.add(edge.callee);
      stack.push({ fn: edge.callee, parent: node, total, path, depth: item.depth + 1 });
    }
  }
  const functionStats = fns.map((f, i) => ({ frame: frames[i]!, self: f.tt * 1e6, total: f.ct * 1e6, calls: f.nc }));
  const durationUs = Math.max(0, ...fns.map((f) => f.ct * 1e6));
  return {
    runtime: 'python',
    kind: 'cpu',
    unit: 'microseconds',
    profiler: 'cProfile',
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    durationUs,
    processes: [],
    functionStats,
  };
}

export function parseTracemallocJson(data: TracemallocJson, locator: Locator, durationUs: number): Profile {
  const builder = new ProfileBuilder();
  const samples: number[] = [];
  const weights: number[] = [];
  for (const stack of data.stacks) {
    // Frames are root → leaf; each is reported at its enclosing function's definition line
    // so several allocating lines of one function merge into one row.
    const path = stack.frames.map(([file, , name, defLine]) => pythonFrame(builder, locator, data.info, file, defLine, name));
    if (!path.length) continue;
    samples.push(builder.path(path));
    weights.push(stack.size);
  }
  return {
    runtime: 'python',
    kind: 'heap',
    unit: 'bytes',
    profiler: 'tracemalloc',
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    durationUs,
    processes: [],
  };
}
