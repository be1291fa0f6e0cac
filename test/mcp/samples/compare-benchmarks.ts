import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SampleCall } from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/compare/${name}`, import.meta.url));

/** Two real hyperfine exports copied into the project, compared with a gate. */
export const compareBenchmarksSample: SampleCall = {
  async setup(workDir) {
    await copyFile(fixture('hyperfine-baseline.json'), join(workDir, 'hyperfine-old.json'));
    await copyFile(fixture('hyperfine-candidate.json'), join(workDir, 'hyperfine-new.json'));
    return { baseline: 'hyperfine-old.json', candidate: 'hyperfine-new.json', failOn: 'regression>5%' };
  },
};
