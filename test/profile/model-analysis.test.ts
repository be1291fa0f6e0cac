import { describe, expect, it } from 'vitest';
import { analyseProfile } from '../../src/profile/analyse.js';
import { splitCommand } from '../../src/profile/command-line.js';
import { buildFlameTree } from '../../src/profile/flame-tree.js';
import { ProfileBuilder, mergeProfiles, type Profile } from '../../src/profile/model.js';
import { parsePerfScript } from '../../src/profile/parse-perf-script.js';
import { Locator } from '../../src/profile/locate.js';
import { parseCpuProfile } from '../../src/profile/parse-v8.js';
import { toCpuProfile } from '../../src/profile/export-cpuprofile.js';

function profileOf(stacks: Array<[string[], number]>): Profile {
  const b = new ProfileBuilder();
  const samples: number[] = [];
  const weights: number[] = [];
  for (const [names, weight] of stacks) {
    samples.push(
      b.path(
        names.map((n) =>
          b.frame({
            name: n,
            file: n.startsWith('(') ? '' : 'a.js',
            line: 1,
            column: 1,
            category: n === '(idle)' ? 'idle' : n === '(garbage collector)' ? 'gc' : 'app',
          }),
        ),
      ),
    );
    weights.push(weight);
  }
  return {
    runtime: 'node',
    kind: 'cpu',
    unit: 'microseconds',
    profiler: 't',
    frames: b.frames,
    nodes: b.nodes,
    samples,
    weights,
    durationUs: 1,
    processes: [],
  };
}

describe('analysis', () => {
  it('does not count recursive time twice in a function’s total', () => {
    const a = analyseProfile(
      profileOf([
        [['main', 'fib', 'fib', 'fib'], 600],
        [['main', 'other'], 400],
      ]),
    );
    const fib = a.functions.find((f) => f.name === 'fib')!;
    expect(fib.self).toBe(600);
    expect(fib.total).toBe(600); // not 1800
    expect(a.functions.find((f) => f.name === 'main')!.total).toBe(1000);
  });

  it('keeps idle out of the on-CPU denominator and out of the table; GC stays in', () => {
    const a = analyseProfile(
      profileOf([
        [['main', 'work'], 300],
        [['(idle)'], 600],
        [['(garbage collector)'], 100],
      ]),
    );
    expect(a.total).toBe(1000);
    expect(a.onCpu).toBe(400);
    expect(a.functions.map((f) => f.name)).not.toContain('(idle)');
    expect(a.byCategory.gc).toBe(100);
    expect(a.paths[0]!.stack).toEqual(['main (a.js:1)', 'work (a.js:1)']);
  });

  it('merges processes under one root each and keeps each process’s weight', () => {
    const merged = mergeProfiles([
      { profile: profileOf([[['main', 'x'], 10]]), process: { pid: 1, command: 'node a' } },
      { profile: profileOf([[['main', 'x'], 30]]), process: { pid: 2, command: 'node b' } },
    ]);
    expect(merged.processes.map((p) => p.weight)).toEqual([10, 30]);
    const a = analyseProfile(merged);
    expect(a.functions.find((f) => f.name === 'x')!.self).toBe(40); // merged by function
  });

  it('a .cpuprofile written from the model parses back to the same weights', () => {
    const p = profileOf([
      [['main', 'a'], 1000],
      [['main', 'b'], 250],
      [['main', 'a'], 1000],
    ]);
    const back = parseCpuProfile(toCpuProfile(p, '/'), new Locator('/', false));
    expect(back.weights).toEqual([1000, 250, 1000]);
  });

  it('the flame tree sums children into parents and colours the self delta', () => {
    const tree = buildFlameTree(
      profileOf([
        [['main', 'a'], 800],
        [['main', 'b'], 200],
      ]),
      {
        baseline: profileOf([
          [['main', 'a'], 200],
          [['main', 'b'], 800],
        ]),
      },
    );
    const byName = new Map(tree.nodes.map((n) => [tree.names[n[1]], n]));
    expect(byName.get('main')![6]).toBe(1000);
    expect(byName.get('a')![7]).toBeCloseTo(60, 5); // +60 percentage points
    expect(byName.get('b')![7]).toBeCloseTo(-60, 5);
  });
});

describe('perf script parsing', () => {
  it('reads headers, leaf-first frames, periods and [unknown] symbols', () => {
    const text = [
      'hot-native 1234  100.000100:    1000000 cpu-clock: ',
      '\t    1149 hot_native+0x1a (/tmp/hot-native)',
      '\t    1200 main+0x20 (/tmp/hot-native)',
      '\t   2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '',
      'hot-native 1234  100.001100:    1000000 cpu-clock:u: ',
      '\t    7d7 [unknown] ([vdso])',
      '\t    1200 main+0x20 (/tmp/hot-native)',
      '',
    ].join('\n');
    const p = parsePerfScript(text, { intervalUs: 1000 });
    expect(p.samples).toHaveLength(2);
    expect(p.weights).toEqual([1000, 1000]);
    const a = analyseProfile(p);
    expect(a.functions.map((f) => f.name)).toContain('hot_native');
    expect(a.paths.find((x) => x.stack.at(-1)!.startsWith('hot_native'))!.stack[0]).toContain('__libc_start_call_main');
    expect(a.functions.some((f) => f.name === '[unknown] ([vdso])')).toBe(true);
    expect(p.pids.get(1234)).toBe('hot-native');
  });
});

describe('command splitting (no shell)', () => {
  it('respects quotes and escapes', () => {
    expect(splitCommand(`node -e "console.log('a b')" 'x y' z\\ w`)).toEqual(['node', '-e', "console.log('a b')", 'x y', 'z w']);
  });
  it('refuses shell operators and unbalanced quotes', () => {
    expect(() => splitCommand('a && b')).toThrow(/shell operator "&"/);
    expect(() => splitCommand('a > out')).toThrow(/shell operator ">"/);
    expect(() => splitCommand('node "x')).toThrow(/unbalanced quote/);
  });
});

describe('perf access checks (the machine here runs as root, so the unprivileged cases are played)', () => {
  it('paranoid ≥ 3 for a normal user: says exactly what to change', async () => {
    const { checkPerfAccess } = await import('../../src/profile/runner-perf.js');
    expect(() => checkPerfAccess({ perf: '/usr/bin/perf', paranoid: 3, uid: 1000 })).toThrow(
      /perf_event_paranoid is 3[\s\S]*sysctl kernel.perf_event_paranoid=2/,
    );
    const userOnly = checkPerfAccess({ perf: '/usr/bin/perf', paranoid: 2, uid: 1000 });
    expect(userOnly.userOnly).toBe(true);
    expect(userOnly.warnings[0]).toMatch(/only user-space frames/);
    expect(checkPerfAccess({ perf: '/usr/bin/perf', paranoid: 2, uid: 0 }).userOnly).toBe(false);
  });
  it('perf missing: says which package to install', async () => {
    const { checkPerfAccess, perfFailure } = await import('../../src/profile/runner-perf.js');
    expect(() => checkPerfAccess({ perf: null })).toThrow(/apt-get install linux-perf/);
    expect(perfFailure('Error:\nNo permission to enable cpu-clock event.\n', 2)?.message).toMatch(/not permitted here \(perf_event_paranoid=2\)/);
  });
});
