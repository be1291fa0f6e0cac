import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UserError } from '../common/errors.js';
import type { Locator } from './locate.js';

/**
 * The three-snapshot technique (Gmail team's, as taught with Chrome DevTools and used by
 * memlab): objects that were allocated between snapshot 1 and snapshot 2 and are still
 * alive at snapshot 3, while the same load ran throughout, are what the steady state keeps
 * and does not give back. V8 hands out heap object ids in increasing order (at allocation
 * while allocation tracking is on, at first sight otherwise) and keeps them across
 * snapshots of one session, so those objects are the nodes of snapshot 3 whose id lies
 * above snapshot 1's largest id and at or below snapshot 2's.
 *
 * Parsing and the graph work (retainers, distances to the GC roots, allocation stacks) come
 * from Chrome DevTools' own heap snapshot model as packaged by `heap-snapshot-toolkit`
 * (memlab's `@memlab/core` does the same but needs Node 22 and pulls in a browser stack).
 * Snapshots 1 and 2 are only read for their largest id, by a plain JSON parse.
 */
export interface RetainedSite {
  function: string;
  file: string;
  line: number;
  /** Shallow bytes of the surviving objects allocated here (no double counting across them). */
  retainedBytes: number;
  count: number;
  /** Constructor (V8 class name) holding most of those bytes. */
  constructor?: string;
  /** GC root → … → the largest surviving object, each step "Holder.edge". */
  retainerPath?: string[];
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[] }; node_count?: number };
  nodes: number[];
}

/**
 * The largest JS heap object id in a snapshot file. V8 gives JS heap objects odd ids from a
 * counter; even ids belong to embedder (native) and synthetic nodes and are derived from
 * addresses, so they say nothing about order and are left out.
 */
export async function maxObjectId(path: string): Promise<number> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const idAt = fields.indexOf('id');
  if (idAt < 0)
    throw new UserError(`the heap snapshot ${path} has no node ids (its node_fields lack "id")`, 'take the snapshots with a Node.js (V8) inspector');
  let max = 0;
  // Millions of nodes: a plain read, `i` stays inside the array by the loop's own bound.
  for (let i = idAt; i < raw.nodes.length; i += fields.length) {
    const id = raw.nodes[i];
    if (id !== undefined && id % 2 === 1 && id > max) max = id;
  }
  return max;
}

// The subset of DevTools' JSHeapSnapshot API used here (the package's types are loose).
// Allocation stack frames carry the allocating function's own line, 1-based.
interface SnapshotNode {
  nodeIndex: number;
  id(): number;
  type(): string;
  className(): string;
  name(): string;
  selfSize(): number;
  distance(): number;
  isRoot(): boolean;
  retainers(): Iterator<SnapshotRetainer>;
}
interface SnapshotRetainer {
  node(): SnapshotNode;
  name(): string;
  type(): string;
}
interface Iterator<T> {
  hasNext(): boolean;
  item(): T;
  next(): void;
}
interface JSHeapSnapshot {
  allNodes(): Iterator<SnapshotNode>;
  createNode(index: number): SnapshotNode;
  allocationStack(nodeIndex: number): Array<{ functionName: string; scriptName: string; line: number; column: number }> | null;
}

// Engine-internal objects are not something a program keeps: compiled code, hidden
// classes, the heap's own bookkeeping.
const SKIPPED_TYPES = new Set(['hidden', 'code', 'synthetic', 'object shape', 'native']);

function isOwnCode(scriptName: string): boolean {
  return !!scriptName && !scriptName.startsWith('node:') && !scriptName.startsWith('internal/');
}

const NO_STACK = '(no allocation stack)';

export async function analyseThreeSnapshots(options: {
  third: string;
  afterId: number;
  upToId: number;
  locator: Locator;
  limit: number;
}): Promise<{ sites: RetainedSite[]; objects: number; bytes: number; unattributedBytes: number; tracked: boolean }> {
  const { parse } = await import('heap-snapshot-toolkit');
  const snapshot = (await parse(createReadStream(options.third, 'utf8'))) as unknown as JSHeapSnapshot;
  type Group = {
    function: string;
    file: string;
    line: number;
    bytes: number;
    count: number;
    byClass: Map<string, number>;
    largest: number;
    largestSize: number;
  };
  const groups = new Map<string, Group>();
  let objects = 0;
  let bytes = 0;
  let tracked = false;
  for (const it = snapshot.allNodes(); it.hasNext(); it.next()) {
    const node = it.item();
    const id = node.id();
    if (id % 2 === 0 || id <= options.afterId || id > options.upToId) continue;
    const type = node.type();
    if (SKIPPED_TYPES.has(type)) continue;
    const size = node.selfSize();
    objects++;
    bytes += size;
    const stack = snapshot.allocationStack(node.nodeIndex);
    if (stack?.length) tracked = true;
    const frame = stack?.find((f) => isOwnCode(f.scriptName)) ?? stack?.[0];
    const site = frame
      ? { function: frame.functionName || '(anonymous)', file: options.locator.displayPath(frame.scriptName.replace(/^file:\/\//, '')), line: frame.line }
      : { function: NO_STACK, file: '', line: 0 };
    const key = `${site.function}\u0000${site.file}\u0000${site.line}`;
    let group = groups.get(key);
    if (!group) {
      group = { ...site, bytes: 0, count: 0, byClass: new Map(), largest: node.nodeIndex, largestSize: -1 };
      groups.set(key, group);
    }
    group.bytes += size;
    group.count++;
    const className = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '(string)' : node.className();
    group.byClass.set(className, (group.byClass.get(className) ?? 0) + size);
    // The path is shown for the group's largest object that is an object proper.
    if (size > group.largestSize && (type === 'object' || type === 'array' || group.largestSize < 0)) {
      group.largest = node.nodeIndex;
      group.largestSize = size;
    }
  }
  // Objects without an allocation stack were made by the runtime itself (no JS frame on the
  // stack: the inspector, compilation, embedder work) — not a site the program can change.
  const unattributed = [...groups.values()].find((g) => g.function === NO_STACK);
  const sites = [...groups.values()]
    .filter((g) => g.function !== NO_STACK || !tracked)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, options.limit)
    .map((g): RetainedSite => {
      const mostCommonClass = [...g.byClass.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      const path = retainerPath(snapshot, g.largest);
      return {
        function: g.function,
        file: g.file,
        line: g.line,
        retainedBytes: g.bytes,
        count: g.count,
        ...(mostCommonClass ? { constructor: mostCommonClass } : {}),
        ...(path.length ? { retainerPath: path } : {}),
      };
    });
  return { sites, objects, bytes, unattributedBytes: unattributed?.bytes ?? 0, tracked };
}

/** "Holder.edge" steps from a GC root down to the node, following at each step the retainer nearest a root (DevTools' retainers view order). */
export function retainerPath(snapshot: JSHeapSnapshot, nodeIndex: number, maxSteps = 24): string[] {
  const steps: string[] = [];
  const seen = new Set<number>([nodeIndex]);
  let node = snapshot.createNode(nodeIndex);
  let reachedRoot = false;
  for (let i = 0; i < maxSteps; i++) {
    let best: { holder: SnapshotNode; edge: string; distance: number } | undefined;
    for (const it = node.retainers(); it.hasNext(); it.next()) {
      const retainer = it.item();
      const type = retainer.type();
      if (type === 'weak' || type === 'shortcut' || type === 'invisible') continue;
      const holder = retainer.node();
      if (seen.has(holder.nodeIndex)) continue;
      const distance = holder.distance();
      if (distance < 0 || (best && distance >= best.distance)) continue;
      const name = retainer.name();
      const edge = type === 'element' || type === 'hidden' ? `[${name}]` : `.${name}`;
      best = { holder: snapshot.createNode(holder.nodeIndex), edge, distance };
    }
    if (!best) break;
    const label = best.holder.isRoot() ? '(root)' : best.holder.type() === 'synthetic' ? best.holder.name() : best.holder.className();
    steps.push(`${label}${best.edge}`);
    if (best.holder.isRoot() || best.distance <= 1 || best.holder.type() === 'synthetic') {
      reachedRoot = true;
      break;
    }
    seen.add(best.holder.nodeIndex);
    node = best.holder;
  }
  if (steps.length && !reachedRoot) steps.push('…');
  return steps.reverse();
}
