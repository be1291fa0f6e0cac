import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import type { SpeedscopeFile } from '../../src/profile/export-speedscope.js';
import { maxObjectId } from '../../src/profile/heap-snapshot.js';
import { Locator } from '../../src/profile/locate.js';
import { parseSpeedscope } from '../../src/profile/parse-speedscope.js';
import { parseCpuProfile, type V8CpuProfile } from '../../src/profile/parse-v8.js';

// Files written by other tools (or damaged on the way) must give a UserError that says what
// is wrong, or be read as far as they make sense — never a model with holes in it.
describe('profiles that do not hold together', () => {
  const locator = new Locator('/', false);
  const frame = (functionName: string) => ({ functionName, url: 'file:///app.js', lineNumber: 1, columnNumber: 0 });

  it('a speedscope profile naming a frame its shared.frames lacks is a UserError naming the frame', () => {
    const file = {
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'main', file: 'app.py', line: 1 }] },
      profiles: [{ type: 'sampled', name: 'py-spy', unit: 'seconds', startValue: 0, endValue: 1, samples: [[0], [0, 3]], weights: [0.5, 0.5] }],
    } as unknown as SpeedscopeFile;
    expect(() => parseSpeedscope(file, locator, 'python', 'py-spy')).toThrow(UserError);
    expect(() => parseSpeedscope(file, locator, 'python', 'py-spy')).toThrow(/names frame 3, but shared\.frames has 1/);
  });

  it('a .cpuprofile whose samples name no node skips those samples, like samples of (root)', () => {
    const raw: V8CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2] },
        { id: 2, callFrame: frame('work') },
      ],
      startTime: 0,
      endTime: 400,
      samples: [2, 99, -1, 2],
      timeDeltas: [0, 100, 100, 100],
    };
    const profile = parseCpuProfile(raw, locator);
    // the samples at 0 and 300 are `work`; 99 and -1 name nothing and count for nothing
    expect(profile.samples.length).toBe(2);
    expect(profile.weights).toEqual([100, 100]);
    for (const node of profile.samples) expect(profile.frames[profile.nodes[node]?.frame ?? -1]?.name).toBe('work');
  });

  it('a heap snapshot without node ids is a UserError, not ids read from the wrong field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfeng-snapshot-'));
    try {
      const path = join(dir, 'no-ids.heapsnapshot');
      await writeFile(path, JSON.stringify({ snapshot: { meta: { node_fields: ['type', 'name', 'self_size'] } }, nodes: [1, 2, 3, 1, 5, 7] }));
      await expect(maxObjectId(path)).rejects.toThrow(/has no node ids/);
      const withIds = join(dir, 'ids.heapsnapshot');
      await writeFile(withIds, JSON.stringify({ snapshot: { meta: { node_fields: ['type', 'id'] } }, nodes: [0, 7, 0, 8, 0, 13, 0, 4] }));
      expect(await maxObjectId(withIds)).toBe(13);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
