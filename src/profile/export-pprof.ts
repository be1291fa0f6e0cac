import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile as PprofProfile, Sample, StringTable, ValueType } from 'pprof-format';
import { entryAt, missingEntry, weightAt, type Profile } from './model.js';

/**
 * pprof (profile.proto, gzipped) via `pprof-format`, for `go tool pprof` and every tool that
 * reads it. CPU: sample types samples/count and cpu/nanoseconds; heap: inuse_space/bytes.
 * One pprof sample per call-tree node with its self weight (pprof aggregates anyway);
 * one location per frame, locations listed leaf first as the format requires.
 */
export function toPprof(profile: Profile, options: { periodUs: number; startMs?: number }): Buffer {
  const strings = new StringTable();
  const cpu = profile.kind === 'cpu';
  const sampleType = cpu
    ? [
        new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }),
        new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
      ]
    : [new ValueType({ type: strings.dedup('inuse_space'), unit: strings.dedup('bytes') })];

  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  // One function and one location per frame, both with id = frame index + 1.
  profile.frames.forEach((frame, i) => {
    const id = i + 1;
    functions.push(
      new PprofFunction({
        id,
        name: strings.dedup(frame.name),
        systemName: strings.dedup(frame.name),
        filename: strings.dedup(frame.file),
        startLine: frame.line,
      }),
    );
    locations.push(new Location({ id, line: [new Line({ functionId: id, line: frame.line })] }));
  });

  const { nodes, frames } = profile;
  const count = new Float64Array(nodes.length);
  const weight = new Float64Array(nodes.length);
  // Once per sample: checks inline, no call per element.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = profile.samples[i];
    const w = profile.weights[i];
    if (node === undefined || w === undefined) throw missingEntry('node or weight of sample', i, profile.samples.length);
    const c = count[node];
    const sum = weight[node];
    if (c === undefined || sum === undefined) throw missingEntry('node of a sample', node, nodes.length);
    count[node] = c + 1;
    weight[node] = sum + w;
  }
  const samples: Sample[] = [];
  for (let n = 0; n < nodes.length; n++) {
    const c = weightAt(count, n, 'sample count of node');
    const w = weightAt(weight, n, 'weight of node');
    if (w === 0 && c === 0) continue;
    const locationId: number[] = [];
    for (let m = n; m >= 0; ) {
      const node = entryAt(nodes, m, 'node');
      if (entryAt(frames, node.frame, 'frame').category !== 'process') locationId.push(node.frame + 1);
      m = node.parent;
    }
    const value = cpu ? [Math.round(c), Math.round(w * 1000)] : [Math.round(w)];
    samples.push(new Sample({ locationId, value }));
  }

  const encoded = new PprofProfile({
    sampleType,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: BigInt(Math.round((options.startMs ?? Date.now()) * 1e6)),
    durationNanos: Math.round(profile.durationUs * 1000),
    periodType: cpu
      ? new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })
      : new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: cpu ? Math.round(options.periodUs * 1000) : options.periodUs,
  }).encode();
  return gzipSync(encoded);
}
