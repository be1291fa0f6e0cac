import { describe, expect, it } from 'vitest';
import { perfConfigSchema } from '../../src/store/config.js';
import { HOOK_DEFAULTS, hookSettingsFrom, readHookSettings } from '../../src/hooks/settings.js';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('hook settings (plain JSON, no zod)', () => {
  it('has exactly the defaults of the zod config schema', () => {
    expect({ ...HOOK_DEFAULTS }).toEqual(perfConfigSchema.parse({}).hooks);
  });

  const validConfigs: unknown[] = [
    {},
    { hooks: {} },
    { hooks: { mode: 'require' } },
    { hooks: { mode: 'notify' } },
    { hooks: { mode: 'off', diffLines: 50 } },
    { hooks: { paths: ['bench', '**/*.k6.js'], exclude: [] } },
    { targets: { p95Ms: 200 }, hooks: { diffLines: 1000, exclude: ['**/gen/**'] } },
  ];
  it.each(validConfigs.map((config) => [JSON.stringify(config), config]))('agrees with zod on %s', (_name, config) => {
    const ours = hookSettingsFrom(config);
    expect(ours.notes).toEqual([]);
    expect(ours.settings).toEqual(perfConfigSchema.parse(config).hooks);
  });

  const invalid: Array<[string, unknown, Partial<typeof HOOK_DEFAULTS>]> = [
    ['mode typo', { hooks: { mode: 'always' } }, { mode: 'suggest' }],
    ['negative diffLines', { hooks: { diffLines: -3 } }, { diffLines: 300 }],
    ['fractional diffLines', { hooks: { diffLines: 2.5 } }, { diffLines: 300 }],
    ['paths not a list', { hooks: { paths: 'benchmark' } }, { paths: HOOK_DEFAULTS.paths }],
    ['empty path entry', { hooks: { paths: [''] } }, { paths: HOOK_DEFAULTS.paths }],
    ['hooks not an object', { hooks: [] }, {}],
    ['root not an object', 42, {}],
  ];
  it.each(invalid)('falls back to the default on %s, with a note (zod would refuse it)', (_name, config, expected) => {
    const ours = hookSettingsFrom(config);
    expect(ours.notes.length).toBeGreaterThan(0);
    expect(ours.settings).toMatchObject(expected);
    expect(perfConfigSchema.safeParse(config).success).toBe(false);
  });

  it('keeps valid keys next to an invalid one, and names unknown keys', () => {
    const ours = hookSettingsFrom({ hooks: { mode: 'require', diffLines: 'many', colour: 'red' } });
    expect(ours.settings.mode).toBe('require');
    expect(ours.settings.diffLines).toBe(300);
    expect(ours.notes.join(' ')).toContain('hooks.colour');
  });

  it('reads .perf/config.json, and falls back to defaults for a missing or broken file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfeng-hook-settings-'));
    expect(readHookSettings(dir)).toEqual({ settings: { ...HOOK_DEFAULTS }, notes: [] });
    mkdirSync(join(dir, '.perf'));
    writeFileSync(join(dir, '.perf', 'config.json'), '{"hooks": {"diffLines": 10}}');
    expect(readHookSettings(dir).settings.diffLines).toBe(10);
    writeFileSync(join(dir, '.perf', 'config.json'), '{"hooks": ');
    const broken = readHookSettings(dir);
    expect(broken.settings).toEqual({ ...HOOK_DEFAULTS });
    expect(broken.notes[0]).toMatch(/not valid JSON/);
  });
});
