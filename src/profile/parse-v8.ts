import { categoryOfUrl, toPath, type Locator } from './locate.js';
import { ProfileBuilder, type LineTicks, type Profile } from './model.js';
import { ScriptFunctions, TOP_LEVEL, type FunctionSpan } from './script-functions.js';

/**
 * V8's two profile formats (Chrome DevTools Protocol `Profiler.Profile` = `.cpuprofile`,
 * and `HeapProfiler.SamplingHeapProfile` = `.heapprofile`) → the Profile model.
 * One pass over nodes and one over samples: linear in the file, no quadratic merges, so a
 * 100 MB .cpuprofile is bounded by JSON.parse itself (see bench/profile/parse-large.mjs).
 */
export interface V8CallFrame {
  functionName: string;
  scriptId?: string | number;
  url: string;
  /** 0-based */
  lineNumber: number;
  /** 0-based */
  columnNumber: number;
}

export interface V8CpuProfile {
  nodes: Array<{ id: number; callFrame: V8CallFrame; hitCount?: number; children?: number[]; positionTicks?: Array<{ line: number; ticks: number }> }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface V8HeapNode {
  callFrame: V8CallFrame;
  selfSize: number;
  id?: number;
  children?: V8HeapNode[];
}

export interface V8HeapProfile {
  head: V8HeapNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}

function frameOf(builder: ProfileBuilder, locator: Locator, callFrame: V8CallFrame): number {
  const located = locator.locate({
    name: callFrame.functionName || '(anonymous)',
    url: callFrame.url ?? '',
    line: callFrame.lineNumber >= 0 ? callFrame.lineNumber + 1 : 0,
    column: callFrame.columnNumber >= 0 ? callFrame.columnNumber + 1 : 0,
  });
  return builder.frame(located);
}

/**
 * scriptId:functionName → position, from a CPU profile of the same process. A heap profile
 * taken as the process exits can lack url/line for its frames while keeping the scriptId.
 */
export function positionsByScript(raw: V8CpuProfile): Map<string, V8CallFrame> {
  const out = new Map<string, V8CallFrame>();
  for (const node of raw.nodes) {
    const f = node.callFrame;
    if (f.url && f.scriptId !== undefined) out.set(`${f.scriptId}:${f.functionName}`, f);
  }
  return out;
}

export function isCpuProfile(value: unknown): value is V8CpuProfile {
  const v = value as V8CpuProfile;
  return !!v && Array.isArray(v.nodes) && typeof v.startTime === 'number';
}

export function isHeapProfile(value: unknown): value is V8HeapProfile {
  const v = value as V8HeapProfile;
  return !!v && typeof v.head === 'object' && v.head !== null && 'selfSize' in v.head;
}

export function parseCpuProfile(raw: V8CpuProfile, locator: Locator, profiler = 'node --cpu-prof'): Profile {
  const builder = new ProfileBuilder();
  // Node ids are small dense integers in every V8 profile: index them with a typed array.
  let maxId = 0;
  for (const node of raw.nodes) if (node.id > maxId) maxId = node.id;
  const byId = new Array<V8CpuProfile['nodes'][number] | undefined>(maxId + 1);
  for (const node of raw.nodes) byId[node.id] = node;
  // V8's root node "(root)" is not a function: its children become roots. Walk breadth-first
  // so parents are created before children whatever order the file lists nodes in.
  const root = raw.nodes.find((n) => n.callFrame.functionName === '(root)') ?? raw.nodes[0];
  const modelNode = new Int32Array(maxId + 1).fill(-1);
  const queue: Array<[id: number, parent: number]> = (root?.children ?? []).map((id) => [id, -1]);
  // for…of reads the length at each step, so it also visits the entries pushed on the way.
  for (const [id, parent] of queue) {
    const node = byId[id];
    if (!node) continue;
    const index = builder.child(parent, frameOf(builder, locator, node.callFrame));
    modelNode[id] = index;
    for (const child of node.children ?? []) queue.push([child, index]);
  }

  const lineTicks = readLineTicks(raw, builder, locator, modelNode);

  // One pass, arrays sized up front: this loop runs once per sample (millions in a long run).
  // DevTools attributes the interval up to the next sample to a sample; the last runs to endTime.
  const ids = raw.samples ?? [];
  const deltas = raw.timeDeltas ?? [];
  const count = ids.length;
  const samples = new Array<number>(count);
  const weights = new Array<number>(count);
  const timestamps = new Array<number>(count);
  let k = 0;
  let t = raw.startTime;
  let previousNode = -1;
  let previousTime = t;
  for (let i = 0; i < count; i++) {
    t += deltas[i] ?? 0;
    if (previousNode >= 0) {
      samples[k] = previousNode;
      weights[k] = t > previousTime ? t - previousTime : 0;
      timestamps[k] = previousTime - raw.startTime;
      k++;
    }
    // A sample of "(root)" itself carries no frame (-1), nor one naming no node of the file.
    const id = ids[i];
    previousNode = (id !== undefined ? modelNode[id] : undefined) ?? -1;
    previousTime = t;
  }
  if (previousNode >= 0) {
    samples[k] = previousNode;
    weights[k] = raw.endTime > previousTime ? raw.endTime - previousTime : 0;
    timestamps[k] = previousTime - raw.startTime;
    k++;
  }
  samples.length = k;
  weights.length = k;
  timestamps.length = k;
  return {
    runtime: 'node',
    kind: 'cpu',
    unit: 'microseconds',
    profiler,
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    timestamps,
    ...(lineTicks.length ? { lineTicks } : {}),
    durationUs: Math.max(0, raw.endTime - raw.startTime),
    processes: [],
  };
}

/**
 * V8's `positionTicks` → the model's line ticks, each line given to the function whose code
 * it is (script-functions.ts): a line of another function on a node is code V8 inlined there.
 * Only the user's and dependencies' files on disk are read, each once.
 */
function readLineTicks(raw: V8CpuProfile, builder: ProfileBuilder, locator: Locator, modelNode: Int32Array): LineTicks[] {
  const out: LineTicks[] = [];
  // Source read per profile: a server with hundreds of dependency files stays well under it.
  let sourceBudget = 64 * 1024 * 1024;
  const scripts = new Map<string, { functions: ScriptFunctions; frames: Map<FunctionSpan, V8CallFrame> } | null>();
  const scriptOf = (url: string) => {
    let script = scripts.get(url);
    if (script !== undefined) return script;
    script = null;
    const category = categoryOfUrl(url, '');
    const path = category === 'app' || category === 'dependency' ? toPath(url) : undefined;
    if (path) {
      const { functions, bytes } = ScriptFunctions.fromFile(path, sourceBudget);
      sourceBudget -= bytes;
      if (functions) {
        // V8's own frame for each function of this file, so an inlined function's time joins its other samples.
        const frames = new Map<FunctionSpan, V8CallFrame>();
        for (const node of raw.nodes) {
          const f = node.callFrame;
          if (f.url !== url) continue;
          const fn = functions.functionAt(f.lineNumber, f.columnNumber, f.functionName);
          if (fn && fn !== TOP_LEVEL && !frames.has(fn)) frames.set(fn, f);
        }
        script = { functions, frames };
      }
    }
    scripts.set(url, script);
    return script;
  };
  for (const node of raw.nodes) {
    const index = modelNode[node.id];
    if (!node.positionTicks?.length || index === undefined || index < 0) continue;
    const f = node.callFrame;
    const script = f.url ? scriptOf(f.url) : null;
    const own = script?.functions.functionAt(f.lineNumber, f.columnNumber, f.functionName);
    for (const { line, ticks } of node.positionTicks) {
      if (!f.url || line <= 0) continue; // native code has no lines
      const where = locator.locateLine(f.url, line);
      const owner = script && own ? script.functions.ownerOfLine(line, own) : undefined;
      let ownerFrame: number | undefined;
      if (script && owner) {
        const v8Frame = script.frames.get(owner) ?? { functionName: owner.name, url: f.url, lineNumber: owner.start.line, columnNumber: owner.start.column };
        ownerFrame = frameOf(builder, locator, v8Frame);
      }
      out.push({ node: index, file: where.file, line: where.line, ticks, ...(ownerFrame !== undefined ? { owner: ownerFrame } : {}) });
    }
  }
  return out;
}

/**
 * A sampling heap profile: each node's `selfSize` is the sampled bytes allocated there and
 * still live when the profile was taken (V8 drops samples whose objects were collected
 * unless asked to keep them).
 */
export function parseHeapProfile(
  raw: V8HeapProfile,
  locator: Locator,
  profiler = 'node --heap-prof',
  durationUs = 0,
  positions?: Map<string, V8CallFrame>,
): Profile {
  const builder = new ProfileBuilder();
  const samples: number[] = [];
  const weights: number[] = [];
  const stack: Array<[V8HeapNode, number]> = (raw.head.children ?? []).map((c) => [c, -1]);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, parent] = top;
    let callFrame = node.callFrame;
    if (!callFrame.url && positions && callFrame.scriptId !== undefined && String(callFrame.scriptId) !== '0') {
      callFrame = positions.get(`${callFrame.scriptId}:${callFrame.functionName}`) ?? callFrame;
    }
    const index = builder.child(parent, frameOf(builder, locator, callFrame));
    if (node.selfSize > 0) {
      samples.push(index);
      weights.push(node.selfSize);
    }
    for (const child of node.children ?? []) stack.push([child, index]);
  }
  return {
    runtime: 'node',
    kind: 'heap',
    unit: 'bytes',
    profiler,
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    durationUs,
    processes: [],
  };
}
