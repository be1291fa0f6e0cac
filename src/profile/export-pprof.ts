import { gzipSync } from 'node:zlib';
import { Function as PprofFunction, Line, Location, Profile as PprofProfile, Sample, StringTable, ValueType } from 'pprof-format';
import type { Profile } from './model.js';

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
  const locationOfFrame = profile.frames.map((frame, i) => {
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
    return id;
  });

  const count = new Float64Array(profile.nodes.length);
  const weight = new Float64Array(profile.nodes.length);
  for (let i = 0; i < profile.samples.length; i++) {
    count[profile.samples[i]!]!++;
    weight[profile.samples[i]!]! += profile.weights[i]!;
  }
  const samples: Sample[] = [];
  profile.nodes.forEach((_, n) => {
    if (weight[n] === 0 && count[n] === 0) return;
    const locationId: number[] = [];
    for (let m = n; m >= 0; m = profile.nodes[m]!.parent) {
      const frame = profile.frames[profile.nodes[m]!.frame]!;
      if (frame.category !== 'process') locationId.push(locationOfFrame[profile.nodes[m]!.frame]!);
    }
    const value = cpu ? [Math.round(count[n]!), Math.round(weight[n]! * 1000)] : [Math.round(weight[n]!)];
    samples.push(new Sample({ locationId, value }));
  });

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
