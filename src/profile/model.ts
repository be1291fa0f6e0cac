/**
 * The one profile model every runner produces and every exporter reads.
 *
 * A call tree (`nodes`, each pointing at its parent and at a `frames` entry) plus samples
 * that name a node and carry a weight (µs of CPU, or bytes for heap) and, when the
 * profiler has them, a timestamp. This is the shape of V8's .cpuprofile and of pprof,
 * so both convert without loss; aggregated sources (cProfile, heap profiles) have one
 * "sample" per node whose weight is that node's self value and no timestamps.
 */
export type Runtime = 'node' | 'python' | 'native';
export type ProfileKind = 'cpu' | 'heap';
export type WeightUnit = 'microseconds' | 'bytes';

/** Special buckets: not functions, but where time went (DevTools' names). */
export type FrameCategory = 'app' | 'dependency' | 'node-internal' | 'native' | 'gc' | 'idle' | 'program' | 'runtime' | 'process';

export interface Frame {
  name: string;
  /** Relative to the profiled cwd when inside it; a URL/module id or a binary otherwise. */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  category: FrameCategory;
}

export interface ProfileNode {
  frame: number;
  /** Index of the parent node, -1 for a root. Parents always come before children. */
  parent: number;
}

export interface ProcessInfo {
  pid: number;
  command: string;
}

export interface Profile {
  runtime: Runtime;
  kind: ProfileKind;
  unit: WeightUnit;
  /** Who recorded it: "node --cpu-prof", "inspector", "cProfile", "perf"… */
  profiler: string;
  frames: Frame[];
  nodes: ProfileNode[];
  /** Node index per sample. */
  samples: number[];
  weights: number[];
  /** µs since `startTime`, same length as samples, when the profiler records time order. */
  timestamps?: number[];
  /** Wall-clock span covered, µs. */
  durationUs: number;
  /** One entry per process when several were merged; node 0..k of each are its roots. */
  processes: Array<ProcessInfo & { samples: number; weight: number; rootFrame?: number }>;
  /**
   * V8's line-level ticks (`positionTicks`): per node, how many of its samples fell on each
   * source line (located like frames: relative, source-mapped). `owner` is the frame of the
   * function whose code the line is when that is not the node's own function — code V8
   * inlined into it (see script-functions.ts).
   */
  lineTicks?: LineTicks[];
  /** Exact per-function figures when the source counts them (cProfile). */
  functionStats?: Array<{ frame: number; self: number; total: number; calls: number }>;
}

export interface LineTicks {
  node: number;
  file: string;
  /** 1-based. */
  line: number;
  ticks: number;
  owner?: number;
}

/** Builds a profile incrementally, deduplicating frames and child nodes. */
export class ProfileBuilder {
  readonly frames: Frame[] = [];
  readonly nodes: ProfileNode[] = [];
  private readonly frameIndex = new Map<string, number>();
  private readonly childIndex = new Map<string, number>();

  frame(frame: Frame): number {
    const key = `${frame.name}\u0000${frame.file}\u0000${frame.line}\u0000${frame.column}\u0000${frame.category}`;
    let index = this.frameIndex.get(key);
    if (index === undefined) {
      index = this.frames.length;
      this.frames.push(frame);
      this.frameIndex.set(key, index);
    }
    return index;
  }

  /** The node for `frame` under `parent` (-1 = root), created on first use. */
  child(parent: number, frame: number): number {
    const key = `${parent}:${frame}`;
    let index = this.childIndex.get(key);
    if (index === undefined) {
      index = this.nodes.length;
      this.nodes.push({ frame, parent });
      this.childIndex.set(key, index);
    }
    return index;
  }

  /** The node at the end of a root → leaf path of frame indices. */
  path(frames: readonly number[], root = -1): number {
    let node = root;
    for (const frame of frames) node = this.child(node, frame);
    return node;
  }
}

/**
 * The error for an index the model guarantees but does not hold: samples name existing nodes,
 * nodes existing frames and earlier parents (the parsers and ProfileBuilder build them so),
 * so this is a bug in whoever built the profile. For per-sample loops, which check inline.
 */
export function missingEntry(what: string, index: number, length: number): Error {
  return new Error(`internal error: ${what} ${index} is missing (of ${length})`);
}

/**
 * `list[index]` where the model guarantees the entry (see missingEntry), for per-node loops.
 * JavaScript arrays only; per-node number tables have their own (weightAt, intAt), so each
 * check sees one kind of array and V8 keeps its load fast.
 */
export function entryAt<T>(list: readonly T[], index: number, what: string): T {
  const value = list[index];
  if (value === undefined) throw missingEntry(what, index, list.length);
  return value;
}

/** `list[index]` of a per-node Float64Array (weights, totals) where the model guarantees it. */
export function weightAt(list: Float64Array, index: number, what: string): number {
  const value = list[index];
  if (value === undefined) throw missingEntry(what, index, list.length);
  return value;
}

/** `list[index]` of an Int32Array (a function per frame or node, counters) where the model guarantees it. */
export function intAt(list: Int32Array, index: number, what: string): number {
  const value = list[index];
  if (value === undefined) throw missingEntry(what, index, list.length);
  return value;
}

/** Self weight per call-tree node (index = node): the samples' weights summed where they fell. */
export function selfWeightByNode(profile: Pick<Profile, 'nodes' | 'samples' | 'weights'>): Float64Array {
  const { samples, weights } = profile;
  const self = new Float64Array(profile.nodes.length);
  // Once per sample (millions in a long run): checks inline, no call per element.
  for (let i = 0; i < samples.length; i++) {
    const node = samples[i];
    const weight = weights[i];
    if (node === undefined || weight === undefined) throw missingEntry('node or weight of sample', i, samples.length);
    const sum = self[node];
    if (sum === undefined) throw missingEntry('node of a sample', node, self.length);
    self[node] = sum + weight;
  }
  return self;
}

export function totalWeight(profile: Pick<Profile, 'weights'>): number {
  let sum = 0;
  for (const w of profile.weights) sum += w;
  return sum;
}

/**
 * Several processes' profiles as one: each process gets a root frame naming it (so the
 * flame graph shows one tower per process), frames are shared, timestamps kept.
 */
export function mergeProfiles(profiles: Array<{ profile: Profile; process: ProcessInfo }>): Profile {
  const [only, ...others] = profiles;
  if (only === undefined) throw new Error('internal error: a profile to merge is missing');
  if (!others.length) {
    return { ...only.profile, processes: [{ ...only.process, samples: only.profile.samples.length, weight: totalWeight(only.profile) }] };
  }
  const first = only.profile;
  const builder = new ProfileBuilder();
  const samples: number[] = [];
  const weights: number[] = [];
  const timestamps: number[] = [];
  const keepTime = profiles.every((p) => p.profile.timestamps);
  const processes: Profile['processes'] = [];
  const lineTicks: LineTicks[] = [];
  let durationUs = 0;
  for (const { profile, process } of profiles) {
    const rootFrame = builder.frame({ name: `(process ${process.pid}) ${process.command}`.slice(0, 160), file: '', line: 0, column: 0, category: 'process' });
    const root = builder.child(-1, rootFrame);
    const frameMap = profile.frames.map((f) => builder.frame(f));
    const nodeMap = new Array<number>(profile.nodes.length);
    profile.nodes.forEach((n, i) => {
      // Parents come before children, so the parent's new index is already known.
      nodeMap[i] = builder.child(n.parent < 0 ? root : entryAt(nodeMap, n.parent, 'parent node'), entryAt(frameMap, n.frame, 'frame'));
    });
    for (const t of profile.lineTicks ?? []) {
      lineTicks.push({
        ...t,
        node: entryAt(nodeMap, t.node, 'node of a line tick'),
        ...(t.owner !== undefined ? { owner: entryAt(frameMap, t.owner, 'owner frame of a line tick') } : {}),
      });
    }
    const times = keepTime ? profile.timestamps : undefined;
    let weight = 0;
    // Once per sample: checks inline, no call per element.
    for (let i = 0; i < profile.samples.length; i++) {
      const node = profile.samples[i];
      const w = profile.weights[i];
      if (node === undefined || w === undefined) throw missingEntry('node or weight of sample', i, profile.samples.length);
      const merged = nodeMap[node];
      if (merged === undefined) throw missingEntry('node of a sample', node, nodeMap.length);
      samples.push(merged);
      weights.push(w);
      weight += w;
      if (times) {
        const t = times[i];
        if (t === undefined) throw missingEntry('timestamp of sample', i, times.length);
        timestamps.push(t);
      }
    }
    processes.push({ ...process, samples: profile.samples.length, weight, rootFrame });
    durationUs = Math.max(durationUs, profile.durationUs);
  }
  return {
    runtime: first.runtime,
    kind: first.kind,
    unit: first.unit,
    profiler: first.profiler,
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    ...(keepTime ? { timestamps } : {}),
    ...(lineTicks.length ? { lineTicks } : {}),
    durationUs,
    processes,
  };
}
