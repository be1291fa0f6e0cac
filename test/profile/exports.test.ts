import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { Profile as PprofProfile } from 'pprof-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseProfile } from '../../src/profile/analyse.js';
import { parseFolded } from '../../src/profile/export-folded.js';
import { toSpeedscope } from '../../src/profile/export-speedscope.js';
import { Locator } from '../../src/profile/locate.js';
import { parseCpuProfile } from '../../src/profile/parse-v8.js';
import { runProfile } from '../../src/profile/index.js';
import type { ProfileOutput } from '../../src/profile/schema.js';
import { FIXTURES, tempProject } from './helpers.js';

const require = createRequire(import.meta.url);

describe('profile_process exports open in the tools people use', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let out: ProfileOutput;
  beforeAll(async () => {
    project = await tempProject();
    out = (await runProfile({ command: ['node', 'parent.js', '1000'], cwd: FIXTURES }, project.context)).structured;
  });
  afterAll(() => project.cleanup());

  it('speedscope JSON validates against speedscope’s own file-format schema', async () => {
    const schema = JSON.parse(await readFile(require.resolve('speedscope/dist/release/file-format-schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const file = JSON.parse(await readFile(String(out.artifacts.speedscope), 'utf8'));
    expect(validate(file), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(file.profiles.length).toBe(2); // one per process
    const frames = file.shared.frames as Array<{ name: string }>;
    expect(frames.some((f) => f.name === 'hotLoop')).toBe(true);
  });

  it('speedscope falls back to one sample per stack when the timeline is too large, with the same weights per stack', async () => {
    const profile = parseCpuProfile(JSON.parse(await readFile(out.artifacts.cpuprofile!, 'utf8')), new Locator(FIXTURES, false));
    const timed = toSpeedscope(profile, 'p', 'test');
    const aggregated = toSpeedscope(profile, 'p', 'test', 10);
    expect(timed.timeOrder).toBe(true);
    expect(aggregated.timeOrder).toBe(false);
    const schema = JSON.parse(await readFile(require.resolve('speedscope/dist/release/file-format-schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(aggregated.file), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    // Weight per distinct stack is what "Left heavy" draws: identical in both files.
    const byStack = (file: typeof timed.file) => {
      const sums = new Map<string, number>();
      for (const p of file.profiles) p.samples.forEach((stack, i) => sums.set(stack.join(','), (sums.get(stack.join(',')) ?? 0) + p.weights[i]!));
      return sums;
    };
    const a = byStack(timed.file);
    const b = byStack(aggregated.file);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [stack, weight] of a) expect(b.get(stack)).toBeCloseTo(weight, 6);
    expect(aggregated.file.profiles[0]!.samples.length).toBe(new Set(aggregated.file.profiles[0]!.samples.map((s) => s.join(','))).size);
  });

  it('pprof is gzipped protobuf that decodes, with cpu nanoseconds adding up', async () => {
    const decoded = PprofProfile.decode(gunzipSync(await readFile(String(out.artifacts.pprof))));
    const strings = decoded.stringTable.strings;
    expect(decoded.sampleType.map((t) => strings[Number(t.type)])).toEqual(['samples', 'cpu']);
    const names = new Set(decoded.function.map((f) => strings[Number(f.name)]));
    expect(names.has('hotLoop')).toBe(true);
    const cpuNs = decoded.sample.reduce((sum, s) => sum + Number(s.value[1]), 0);
    const cpuprofile = parseCpuProfile(JSON.parse(await readFile(out.artifacts.cpuprofile!, 'utf8')), new Locator(FIXTURES, false));
    const total = analyseProfile(cpuprofile).total;
    expect(Math.abs(cpuNs / 1000 - total) / total).toBeLessThan(0.01);
  });

  it('.cpuprofile round-trips: parsed again it gives the same hot function and shares', async () => {
    const raw = JSON.parse(await readFile(out.artifacts.cpuprofile!, 'utf8'));
    expect(raw.nodes[0].callFrame.functionName).toBe('(root)');
    expect(raw.samples.length).toBe(raw.timeDeltas.length);
    const again = analyseProfile(parseCpuProfile(raw, new Locator(FIXTURES, false)));
    const top = again.functions[0]!;
    expect(top.name).toBe(out.hotFunctions[0]!.name);
    expect(Math.abs((top.self / again.onCpu) * 100 - out.hotFunctions[0]!.selfPct)).toBeLessThan(0.5);
  });

  it('folded lines parse and their weights add up to the profile', async () => {
    const text = await readFile(String(out.artifacts.folded), 'utf8');
    const lines = parseFolded(text);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.stack.every((f) => f.length > 0 && !f.includes(';'))).toBe(true);
    const hot = lines.filter((l) => l.stack.at(-1)!.startsWith('hotLoop (hot.js:2)'));
    expect(hot.length).toBeGreaterThan(0);
    // Share of on-CPU weight: the parent process mostly waits (idle) for its child.
    const sum = lines.filter((l) => l.stack.at(-1) !== '(idle)').reduce((s, l) => s + l.weight, 0);
    const hotShare = hot.reduce((s, l) => s + l.weight, 0) / sum;
    expect(hotShare).toBeGreaterThan(0.3);
  });

  it('the flame graph is one self-contained page with the documented DOM contract', async () => {
    const html = await readFile(out.artifacts.flamegraph, 'utf8');
    expect(html).toContain('<svg id="flame"');
    expect(html).toContain('id="flame-search"');
    expect(html).toContain('window.__FLAME__=');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain('Hot functions');
  });
});
