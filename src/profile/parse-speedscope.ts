import { UserError } from '../common/errors.js';
import type { Locator } from './locate.js';
import { ProfileBuilder, type Profile, type Runtime } from './model.js';
import type { SpeedscopeFile } from './export-speedscope.js';

/**
 * speedscope JSON → the model: what py-spy writes (`--format speedscope`) and what we
 * export, so a stored run can be read back for a diff. Sampled profiles only (the
 * "evented" type is turned into samples by walking its open/close events).
 */
export function isSpeedscope(value: unknown): value is SpeedscopeFile {
  const v = value as SpeedscopeFile;
  return !!v && typeof v.$schema === 'string' && v.$schema.includes('speedscope') && Array.isArray(v.profiles);
}

interface EventedProfile {
  type: 'evented';
  name: string;
  unit: string;
  startValue: number;
  endValue: number;
  events: Array<{ type: 'O' | 'C'; at: number; frame: number }>;
}

export function parseSpeedscope(file: SpeedscopeFile, locator: Locator, runtime: Runtime, profiler: string): Profile {
  const builder = new ProfileBuilder();
  const frameMap = file.shared.frames.map((f) => {
    const located = locator.locate({ name: f.name, url: f.file ?? '', line: f.line ?? 0, column: f.col ?? 0 });
    // py-spy marks idle threads' frames; its names for special buckets match DevTools'.
    return builder.frame(located);
  });
  const samples: number[] = [];
  const weights: number[] = [];
  const timestamps: number[] = [];
  let durationUs = 0;
  const unit = file.profiles[0]?.unit === 'bytes' ? 'bytes' : 'microseconds';
  const toUnit = (value: number, u: string) =>
    u === 'nanoseconds' ? value / 1000 : u === 'milliseconds' ? value * 1000 : u === 'seconds' ? value * 1e6 : value;
  const multiple = file.profiles.length > 1;
  for (const p of file.profiles as Array<SpeedscopeFile['profiles'][number] | EventedProfile>) {
    const root = multiple ? builder.child(-1, builder.frame({ name: p.name, file: '', line: 0, column: 0, category: 'process' })) : -1;
    // A stack (frame indices into shared.frames) → its node; a file naming a frame it lacks is damaged.
    const nodeOf = (stack: readonly number[]): number => {
      let node = root;
      for (const f of stack) {
        const frame = frameMap[f];
        if (frame === undefined) {
          throw new UserError(
            `speedscope profile "${p.name}" names frame ${f}, but shared.frames has ${frameMap.length}`,
            'the file is damaged or not speedscope JSON; export it again from the tool that wrote it',
          );
        }
        node = builder.child(node, frame);
      }
      return node;
    };
    durationUs = Math.max(durationUs, toUnit(p.endValue - p.startValue, p.unit));
    if (p.type === 'sampled') {
      let t = 0;
      p.samples.forEach((stack, i) => {
        samples.push(nodeOf(stack));
        const w = toUnit(p.weights[i] ?? 1, p.unit);
        weights.push(w);
        timestamps.push(t);
        t += w;
      });
    } else if (p.type === 'evented') {
      const open: number[] = [];
      let last = p.startValue;
      for (const event of p.events) {
        if (open.length && event.at > last) {
          samples.push(nodeOf(open));
          weights.push(toUnit(event.at - last, p.unit));
          timestamps.push(toUnit(last - p.startValue, p.unit));
        }
        last = event.at;
        if (event.type === 'O') open.push(event.frame);
        else open.pop();
      }
    }
  }
  return {
    runtime,
    kind: unit === 'bytes' ? 'heap' : 'cpu',
    unit,
    profiler,
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    timestamps,
    durationUs,
    processes: [],
  };
}
