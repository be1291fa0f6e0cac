import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRunContext } from '../../../src/common/context.js';
import { loadTestInputSchema, runLoadTest } from '../../../src/load/index.js';
import type { SampleCall } from './index.js';

let server: Server | undefined;

/** Four real short load tests recorded in the project first, then the p50 series over them. */
export const performanceHistorySample: SampleCall = {
  async setup(workDir) {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const context = await createRunContext({ projectDir: workDir });
    for (let i = 0; i < 4; i++) await runLoadTest(loadTestInputSchema.parse({ url, duration: '300ms', connections: 2, thresholds: {} }), context);
    return { kind: 'load', metric: 'p50' };
  },
  async teardown() {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  },
};
