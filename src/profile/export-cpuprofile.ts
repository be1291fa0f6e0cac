import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entryAt, missingEntry, type Profile } from './model.js';
import type { V8CpuProfile } from './parse-v8.js';

/**
 * The model as a Chrome DevTools `.cpuprofile` (CDP `Profiler.Profile`), which DevTools,
 * VS Code and speedscope open. Sample times are rebuilt from the weights (each sample lasts
 * until the next one, as DevTools reads it), so parsing the file back gives the same
 * weights; for sources without a timeline (cProfile) each call-tree node becomes one sample.
 */
export function toCpuProfile(profile: Profile, cwd: string): V8CpuProfile {
  const toUrl = (file: string): string => {
    if (!file || file.startsWith('node:') || /^[a-z]+:\/\//.test(file)) return file;
    return pathToFileURL(isAbsolute(file) ? file : resolve(cwd, file)).href;
  };
  const hits = new Uint32Array(profile.nodes.length);
  // Once per sample: checks inline, no call per element.
  for (const s of profile.samples) {
    const h = hits[s];
    if (h === undefined) throw missingEntry('node of a sample', s, hits.length);
    hits[s] = h + 1;
  }
  const rootChildren: number[] = [];
  const nodes: V8CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: rootChildren },
  ];
  // children of the V8 node of model node i at i + 1, of the root at 0.
  const childLists: number[][] = [rootChildren];
  profile.nodes.forEach((node, i) => {
    const frame = entryAt(profile.frames, node.frame, 'frame');
    const hitCount = hits[i];
    if (hitCount === undefined) throw missingEntry('hit count of node', i, hits.length);
    const children: number[] = [];
    nodes.push({
      id: i + 2,
      callFrame: {
        functionName: frame.name,
        scriptId: '0',
        url: frame.category === 'gc' || frame.category === 'idle' || frame.category === 'program' ? '' : toUrl(frame.file),
        lineNumber: frame.line - 1,
        columnNumber: frame.column - 1,
      },
      hitCount,
      children,
    });
    childLists.push(children);
    // Parents come before children, so the parent's list already exists.
    entryAt(childLists, node.parent < 0 ? 0 : node.parent + 1, 'children of parent node').push(i + 2);
  });
  const timeDeltas = new Array<number>(profile.samples.length);
  let previousWeight = 0;
  let sum = 0;
  // Once per sample: checks inline.
  for (let i = 0; i < profile.samples.length; i++) {
    timeDeltas[i] = previousWeight;
    const weight = profile.weights[i];
    if (weight === undefined) throw missingEntry('weight of sample', i, profile.samples.length);
    previousWeight = weight;
    sum += previousWeight;
  }
  return {
    nodes,
    startTime: 0,
    endTime: sum,
    samples: profile.samples.map((s) => s + 2),
    timeDeltas,
  };
}
