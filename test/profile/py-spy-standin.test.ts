import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { FIXTURES, tempProject } from './helpers.js';

// Mocked because it cannot run here: py-spy is on PyPI only (not in Debian, no PyPI from this
// machine). fixtures/py-spy-standin/py-spy takes py-spy's `record` arguments, really samples
// the target's main thread at the requested rate and writes speedscope as py-spy does — so
// what is tested is ours: that py-spy is preferred when on PATH, the arguments we give it,
// and reading its file into the same result model as cProfile's.
const STANDIN_DIR = join(FIXTURES, 'py-spy-standin');

describe('profile_process: Python through py-spy when it is on PATH', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('prefers py-spy, passes record --format speedscope --rate --subprocesses -- python …, and ranks hot_loop first', async () => {
    const log = join(project.dir, 'py-spy-args.json');
    const { structured } = await runProfile(
      {
        command: 'python3 hot.py 1.5',
        cwd: FIXTURES,
        samplingIntervalUs: 2000,
        env: { PATH: `${STANDIN_DIR}:/usr/bin:/bin:${process.env.PATH}`, PYSPY_STANDIN_LOG: log },
      },
      project.context,
    );
    const { argv } = JSON.parse(await readFile(log, 'utf8')) as { argv: string[] };
    expect(argv.slice(0, 3)).toEqual(['record', '--format', 'speedscope']);
    expect(argv[argv.indexOf('--rate') + 1]).toBe('500');
    expect(argv).toContain('--subprocesses');
    expect(argv.slice(argv.indexOf('--') + 1)).toEqual(['python3', 'hot.py', '1.5']);

    expect(structured.runtime).toBe('python');
    expect(structured.profiler).toBe('py-spy');
    const top = structured.hotFunctions[0];
    expect(top).toMatchObject({ name: 'hot_loop', file: 'hot.py' });
    expect(top?.selfPct).toBeGreaterThan(50);
    const cold = structured.hotFunctions.find((f) => f.name === 'cold_loop');
    expect(cold?.selfPct ?? 0).toBeLessThan(top?.selfPct ?? 0);
  }, 60_000);
});
