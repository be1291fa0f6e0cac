import { functionKey } from './analyse.js';
import { entryAt, selfWeightByNode, weightAt, type FrameCategory, type Profile } from './model.js';

/**
 * The flame graph's data: the call tree merged by function (name+file+line) at each level —
 * frames that differ only in column, or the same function reached twice from one parent,
 * are one box — sorted heaviest-left (speedscope's "left heavy"), with tiny subtrees
 * pruned so a huge profile still gives a small page. With a baseline, each box carries how
 * much its self share changed (Brendan Gregg's differential flame graph colours by the
 * self delta of each frame: red grew, blue shrank).
 */
export const CATEGORIES: FrameCategory[] = ['app', 'dependency', 'node-internal', 'native', 'gc', 'idle', 'program', 'runtime', 'process'];

export interface FlameTree {
  unit: Profile['unit'];
  total: number;
  names: string[];
  files: string[];
  /** Parents before children, siblings heaviest first: [parent, nameIndex, fileIndex, line, categoryIndex, self, total, deltaSelfPctPoints]. */
  nodes: Array<[number, number, number, number, number, number, number, number]>;
  pruned: number;
  diff: boolean;
}

/** The merged tree's root (no frame of its own), and what every box has. */
interface MergedRoot {
  /** Identity of the root→node path of function keys, shared across profiles (for the diff). */
  path: number;
  self: number;
  total: number;
  children: Map<string, MergedNode>;
}

interface MergedNode extends MergedRoot {
  key: string;
  parent: MergedRoot;
  frame: number;
}

/** Numbers root→node paths without building path strings (O(depth) each would be quadratic). */
class PathIds {
  private readonly ids = new Map<string, number>();
  private readonly keys = new Map<string, number>();
  id(parentPath: number, key: string): number {
    let k = this.keys.get(key);
    if (k === undefined) this.keys.set(key, (k = this.keys.size));
    const composite = `${parentPath}:${k}`;
    let id = this.ids.get(composite);
    if (id === undefined) this.ids.set(composite, (id = this.ids.size + 1));
    return id;
  }
}

function mergeByFunction(profile: Profile, paths: PathIds): { root: MergedRoot; order: MergedNode[] } {
  const root: MergedRoot = { path: 0, self: 0, total: 0, children: new Map() };
  const order: MergedNode[] = [];
  const selfOfNode = selfWeightByNode(profile);
  // A process's root frame is keyed by its command without the pid, so two runs line up.
  const keys = profile.frames.map((f) =>
    f.category === 'process' ? `process\u0000${f.name.replace(/^\(process \d+\) |^\d+ /, '')}` : `${functionKey(f)}\u0000${f.category}`,
  );
  const merged = new Array<MergedNode>(profile.nodes.length);
  profile.nodes.forEach((node, i) => {
    // Parents come before children, so the parent's box already exists.
    const parent = node.parent < 0 ? root : entryAt(merged, node.parent, 'parent node');
    const key = entryAt(keys, node.frame, 'frame');
    let m = parent.children.get(key);
    if (!m) {
      m = { key, parent, path: paths.id(parent.path, key), frame: node.frame, self: 0, total: 0, children: new Map() };
      parent.children.set(key, m);
      order.push(m);
    }
    merged[i] = m;
    m.self += weightAt(selfOfNode, i, 'self weight of node');
  });
  // Created parent-before-child, so one backwards pass sums subtrees (no recursion: stacks
  // of deep recursion in the profiled program would overflow ours).
  for (const n of order) n.total = n.self;
  root.total = root.self;
  for (const n of order.toReversed()) n.parent.total += n.total;
  return { root, order };
}

/** Self share per root→leaf path of function keys, for the diff. */
function selfShareByPath(merged: { root: MergedRoot; order: MergedNode[] }): Map<number, number> {
  const out = new Map<number, number>();
  for (const n of merged.order) if (n.self > 0) out.set(n.path, n.self / (merged.root.total || 1));
  return out;
}

export function buildFlameTree(profile: Profile, options: { baseline?: Profile; minShare?: number } = {}): FlameTree {
  const paths = new PathIds();
  const { root } = mergeByFunction(profile, paths);
  const before = options.baseline ? selfShareByPath(mergeByFunction(options.baseline, paths)) : undefined;
  const minWeight = root.total * (options.minShare ?? 0.0001);
  const names: string[] = [];
  const files: string[] = [];
  const nameIndex = new Map<string, number>();
  const fileIndex = new Map<string, number>();
  const intern = (table: string[], index: Map<string, number>, value: string) => {
    let i = index.get(value);
    if (i === undefined) {
      i = table.length;
      table.push(value);
      index.set(value, i);
    }
    return i;
  };
  const nodes: FlameTree['nodes'] = [];
  let pruned = 0;
  // Root of the picture: "all", so a click on it always zooms fully out.
  nodes.push([-1, intern(names, nameIndex, 'all'), intern(files, fileIndex, ''), 0, 0, root.self, root.total, 0]);
  const stack: Array<[MergedRoot, number]> = [[root, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, index] = top;
    const children = [...node.children.values()].sort((a, b) => b.total - a.total);
    // Pushed in reverse so the heaviest child is emitted first (pre-order, left-heavy).
    const kept: Array<[MergedNode, number]> = [];
    for (const child of children) {
      if (child.total < minWeight) {
        pruned += child.total;
        continue;
      }
      const frame = entryAt(profile.frames, child.frame, 'frame');
      const delta = before ? (child.self / (root.total || 1) - (before.get(child.path) ?? 0)) * 100 : 0;
      const childIndex = nodes.length;
      nodes.push([
        index,
        intern(names, nameIndex, frame.name),
        intern(files, fileIndex, frame.file),
        frame.line,
        Math.max(0, CATEGORIES.indexOf(frame.category)),
        child.self,
        child.total,
        Math.round(delta * 1000) / 1000,
      ]);
      kept.push([child, childIndex]);
    }
    for (const entry of kept.reverse()) stack.push(entry);
  }
  return { unit: profile.unit, total: root.total, names, files, nodes, pruned, diff: !!before };
}
