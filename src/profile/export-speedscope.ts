import type { Profile } from './model.js';

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

export function toSpeedscope(profile: Profile, name: string, exporter: string): SpeedscopeFile {
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

  const byOwner = new Map<string, { samples: number[][]; weights: number[]; last: number }>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = profile.samples[i]!;
    const key = owner[node]!;
    let entry = byOwner.get(key);
    if (!entry) byOwner.set(key, (entry = { samples: [], weights: [], last: -1 }));
    if (entry.last === node) {
      entry.weights[entry.weights.length - 1]! += profile.weights[i]!;
    } else {
      entry.samples.push(stacks[node]!);
      entry.weights.push(profile.weights[i]!);
      entry.last = node;
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
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles,
    name,
    activeProfileIndex: 0,
    exporter,
  };
}
