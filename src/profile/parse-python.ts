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
  type Fn = { stats: PstatsJson['functions'][number]; frame: number; callees: Array<{ callee: Fn; ct: number }> };
  const fns: Fn[] = data.functions.map((f) => ({ stats: f, frame: pythonFrame(builder, locator, data.info, f.file, f.line, f.name), callees: [] }));
  for (const fn of fns) {
    for (const [caller, , , , ct] of fn.stats.callers) {
      // The helper lists callers by their index in `functions` (python-helper.ts).
      const from = fns[caller];
      if (!from) throw new Error(`internal error: caller ${caller} of ${fn.stats.name} is missing from the profile helper's ${fns.length} functions`);
      from.callees.push({ callee: fn, ct });
    }
  }
  let totalSelf = 0;
  for (const f of data.functions) totalSelf += f.tt;
  const minTotal = totalSelf * 0.0005;

  const samples: number[] = [];
  const weights: number[] = [];
  const addSelf = (node: number, seconds: number) => {
    if (seconds <= 0) return;
    samples.push(node);
    weights.push(seconds * 1e6);
  };
  // Roots: functions nobody called (the helper's own frames are filtered by Python itself).
  const roots = fns.filter((fn) => fn.stats.callers.length === 0);
  type Item = { fn: Fn; parent: number; total: number; path: Set<Fn>; depth: number };
  const stack: Item[] = roots.map((fn) => ({ fn, parent: -1, total: fn.stats.ct, path: new Set([fn]), depth: 0 }));
  let nodes = 0;
  for (let item = stack.pop(); item !== undefined && nodes < 200_000; item = stack.pop()) {
    const f = item.fn.stats;
    const node = builder.child(item.parent, item.fn.frame);
    nodes++;
    const scale = f.ct > 0 ? Math.min(1, item.total / f.ct) : 0;
    addSelf(node, f.tt * scale);
    if (item.depth >= 128) continue;
    for (const edge of item.fn.callees) {
      if (item.path.has(edge.callee)) continue;
      const total = edge.ct * scale;
      if (total < minTotal) continue;
      const path = new Set(item.path);
      path.add(edge.callee);
      stack.push({ fn: edge.callee, parent: node, total, path, depth: item.depth + 1 });
    }
  }
  const functionStats = fns.map(({ stats, frame }) => ({ frame, self: stats.tt * 1e6, total: stats.ct * 1e6, calls: stats.nc }));
  const durationUs = Math.max(0, ...data.functions.map((f) => f.ct * 1e6));
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
