import { entryAt, missingEntry, selfWeightByNode, weightAt, type Profile } from './model.js';

/**
 * speedscope's file format (https://www.speedscope.app/file-format-schema.json): shared
 * frames and one "sampled" profile per process, samples as root→leaf frame-index stacks
 * in time order. Consecutive identical stacks are merged (weights summed) — the same
 * picture in speedscope's "Time order" view, and much smaller files.
 */
export interface SpeedscopeFile {
  $schema: 'https://www.speedscope.app/file-format-schema.json';
  shared: { frames: Array<{ name: string; file?: string; line?: number; col?: number }> };
  profiles: Array<{
    type: 'sampled';
    name: string;
    unit: 'microseconds' | 'bytes' | 'none';
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }>;
  name?: string;
  activeProfileIndex?: number;
  exporter?: string;
}

/**
 * Above this many frame references (the sum of the stacks' lengths over the samples kept),
 * the time-ordered file would not fit in one JavaScript string (V8 caps a string at 512 MB:
 * a 100 MB .cpuprofile of a busy server needs ~1 GB) nor load in a browser tab. Such a
 * profile is written as one sample per call-tree node with its self weight instead: the
 * "Left heavy" and "Sandwich" views stay exact; the timeline stays in the .cpuprofile.
 */
export const SPEEDSCOPE_MAX_FRAME_REFS = 20_000_000;

export interface SpeedscopeExport {
  file: SpeedscopeFile;
  /** False when the samples were aggregated by stack (see SPEEDSCOPE_MAX_FRAME_REFS). */
  timeOrder: boolean;
}

export function toSpeedscope(profile: Profile, name: string, exporter: string, maxFrameRefs = SPEEDSCOPE_MAX_FRAME_REFS): SpeedscopeExport {
  const frames = profile.frames.map((f) => ({
    name: f.name,
    ...(f.file ? { file: f.file } : {}),
    ...(f.line > 0 ? { line: f.line } : {}),
    ...(f.column > 0 ? { col: f.column } : {}),
  }));
  const processRoots = new Map<number, string>();
  for (const p of profile.processes) if (p.rootFrame !== undefined) processRoots.set(p.rootFrame, `${p.pid} ${p.command}`);

  // Stack of each node (cached by parent), without the synthetic per-process root frame.
  // Parents come before children, so a parent's stack and owner are already known.
  const stacks = new Array<number[]>(profile.nodes.length);
  const owner = new Array<string>(profile.nodes.length);
  profile.nodes.forEach((node, i) => {
    if (node.parent < 0) {
      const proc = processRoots.get(node.frame);
      owner[i] = proc ?? name;
      stacks[i] = proc !== undefined ? [] : [node.frame];
    } else {
      owner[i] = entryAt(owner, node.parent, 'owner of parent node');
      stacks[i] = [...entryAt(stacks, node.parent, 'stack of parent node'), node.frame];
    }
  });

  type Entry = { samples: number[][]; weights: number[]; last: number };
  const entryOf = (byOwner: Map<string, Entry>, key: string): Entry => {
    let entry = byOwner.get(key);
    if (!entry) byOwner.set(key, (entry = { samples: [], weights: [], last: -1 }));
    return entry;
  };
  let byOwner = new Map<string, Entry>();
  let frameRefs = 0;
  let timeOrder = true;
  // Once per sample: checks inline.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = profile.samples[i];
    const weight = profile.weights[i];
    if (node === undefined || weight === undefined) throw missingEntry('node or weight of sample', i, profile.samples.length);
    const stack = stacks[node];
    const key = owner[node];
    if (stack === undefined || key === undefined) throw missingEntry('node of a sample', node, stacks.length);
    const entry = entryOf(byOwner, key);
    if (entry.last === node) {
      // `last` is set only with a push, so the entry has a last weight to add to.
      const end = entry.weights.length - 1;
      const previous = entry.weights[end];
      if (previous === undefined) throw missingEntry('last weight of a speedscope profile', end, entry.weights.length);
      entry.weights[end] = previous + weight;
    } else {
      frameRefs += stack.length;
      if (frameRefs > maxFrameRefs) {
        timeOrder = false;
        break;
      }
      entry.samples.push(stack);
      entry.weights.push(weight);
      entry.last = node;
    }
  }
  if (!timeOrder) {
    const self = selfWeightByNode(profile);
    byOwner = new Map();
    for (let node = 0; node < profile.nodes.length; node++) {
      const weight = weightAt(self, node, 'self weight of node');
      if (weight <= 0) continue;
      const entry = entryOf(byOwner, entryAt(owner, node, 'owner of node'));
      entry.samples.push(entryAt(stacks, node, 'stack of node'));
      entry.weights.push(weight);
    }
  }
  const profiles = [...byOwner.entries()].map(([owned, entry]) => ({
    type: 'sampled' as const,
    name: owned,
    unit: profile.unit,
    startValue: 0,
    endValue: entry.weights.reduce((a, b) => a + b, 0),
    samples: entry.samples,
    weights: entry.weights,
  }));
  if (!profiles.length) profiles.push({ type: 'sampled', name, unit: profile.unit, startValue: 0, endValue: 0, samples: [], weights: [] });
  return {
    file: {
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames },
      profiles,
      name,
      activeProfileIndex: 0,
      exporter,
    },
    timeOrder,
  };
}
