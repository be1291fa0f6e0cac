import { startFixtureServer, type FixtureServer } from '../../vitals/fixtures.js';
import type { SampleCall } from './index.js';

let fixtures: FixtureServer | undefined;

/** One cold load of a clean loopback page in headless Chromium, no trace (keeps it quick). */
export const measureWebVitalsSample: SampleCall = {
  async setup() {
    fixtures = await startFixtureServer();
    return { url: `${fixtures.origin}/clean`, runs: 1, trace: false, quietMs: 300 };
  },
  async teardown() {
    await fixtures?.close();
    fixtures = undefined;
  },
};
