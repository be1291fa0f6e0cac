import { selfWeightByNode, type Profile } from './model.js';

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
  const stacks = new Array<number[]>(profile.nodes.length);
  const owner = new Array<string>(profile.nodes.length);
  profile.nodes.forEach((node, i) => {
    if (node.parent < 0) {
      const proc = processRoots.get(node.frame);
      owner[i] = proc ?? name;
      stacks[i] = proc !== undefined ? [] : [node.frame];
    } else {
      owner[i] = owner[node.parent]!;
      stacks[i] = [...stacks[node.parent]!, node.frame];
    }
  });

  type Entry = { samples: number[][]; weights: number[]; last: number };
  const entryOf = (byOwner: Map<string, Entry>, node: number): Entry => {
    const key = owner[node]!;
    let entry = byOwner.get(key);
    if (!entry) byOwner.set(key, (entry = { samples: [], weights: [], last: -1 }));
    return entry;
  };
  let byOwner = new Map<string, Entry>();
  let frameRefs = 0;
  let timeOrder = true;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = profile.samples[i]!;
    const entry = entryOf(byOwner, node);
    if (entry.last === node) {
      entry.weights[entry.weights.length - 1]! += profile.weights[i]!;
    } else {
      frameRefs += stacks[node]!.length;
      if (frameRefs > maxFrameRefs) {
        timeOrder = false;
        break;
      }
      entry.samples.push(stacks[node]!);
      entry.weights.push(profile.weights[i]!);
      entry.last = node;
    }
  }
  if (!timeOrder) {
    const self = selfWeightByNode(profile);
    byOwner = new Map();
    for (let node = 0; node < profile.nodes.length; node++) {
      if (self[node]! <= 0) continue;
      const entry = entryOf(byOwner, node);
      entry.samples.push(stacks[node]!);
      entry.weights.push(self[node]!);
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
