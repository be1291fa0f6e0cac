import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SampleCall } from './index.js';

let server: Server | undefined;

/** A 1-second open-model run against a loopback server with a cacheable response. */
export const runLoadTestSample: SampleCall = {
  async setup() {
    server = createServer((_req, res) => {
      res.setHeader('cache-control', 'public, max-age=60');
      res.setHeader('etag', '"v1"');
      res.end('hello');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      requests: [{ name: 'home', url: `http://127.0.0.1:${port}/`, expect: { status: 200, bodyIncludes: 'hello' } }],
      rate: 50,
      duration: '1s',
      thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{name:home}': ['p(99)<10000'] },
    };
  },
  async teardown() {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  },
};
