import { fileURLToPath } from 'node:url';
import type { SampleCall } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../profile/fixtures/', import.meta.url));

/** A 1-second CPU profile of the Node fixture with a known hot function. */
export const profileProcessSample: SampleCall = {
  async setup() {
    return { command: ['node', 'hot.js', '1000'], cwd: FIXTURES, top: 5 };
  },
};
