import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { tempProject } from './helpers.js';
import { runScript, writeFiles } from './k6-helpers.js';
import { startServer, type TestServer } from './servers.js';

/**
 * res.timings.* and the http_req_* trends are measured phases, not zeros: a new connection
 * shows connecting (and tls_handshaking over https), a kept-alive one does not; a server that
 * answers 60 ms late shows in waiting, one that sends its body 60 ms after the head shows in
 * receiving. Over both client paths: plain http:// (raw sockets) and https:// (undici).
 */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
let tls: ReturnType<typeof createHttpsServer>;
let tlsUrl = '';

const handler = (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/slow') setTimeout(() => res.end('late'), 60);
  else if (req.url === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    setTimeout(() => res.end('body after the head'), 60);
  } else res.end('ok');
};

beforeAll(async () => {
  project = await tempProject();
  server = await startServer(handler);
  const keyPath = join(project.dir, 'key.pem');
  const certPath = join(project.dir, 'cert.pem');
  await runCommand('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=127.0.0.1', '-days', '1'], {
    timeoutMs: 20_000,
  });
  tls = createHttpsServer({ key: await readFile(keyPath), cert: await readFile(certPath) }, handler);
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  tls.closeAllConnections();
  await new Promise((resolve) => tls.close(resolve));
  await project.cleanup();
});

describe('k6 timings', () => {
  it('reports blocked, connecting, tls_handshaking, sending, waiting and receiving as measured', async () => {
    await writeFiles(project.dir, {
      'load-test/timings.js': `
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  vus: 1,
  iterations: 1,
  insecureSkipTLSVerify: true,
  thresholds: {
    http_req_connecting: ['max>0'],
    http_req_tls_handshaking: ['max>0'],
    http_req_waiting: ['max>=50'],
    http_req_receiving: ['max>=50'],
  },
};

const sum = (t) => Math.abs(t.duration - (t.sending + t.waiting + t.receiving)) < 1e-6;

function phases(base, label) {
  const first = http.get(base + '/slow');
  // the very next request: a VU's requests follow one another on the connection it opened
  const again = http.get(base + '/slow');
  const trickle = http.get(base + '/trickle');
  check(first, {
    [label + ' new connection: connecting']: (r) => r.timings.connecting > 0,
    [label + ' late answer: waiting']: (r) => r.timings.waiting >= 50 && r.timings.receiving < r.timings.waiting,
    [label + ' duration = sending + waiting + receiving']: (r) => sum(r.timings) && r.timings.blocked >= 0,
  });
  check(again, {
    [label + ' kept alive: no connecting, no handshake']: (r) => r.timings.connecting === 0 && r.timings.tls_handshaking === 0,
    [label + ' kept alive: waiting']: (r) => r.timings.waiting >= 50 && r.timings.sending >= 0 && sum(r.timings),
  });
  check(trickle, {
    [label + ' body after the head: receiving']: (r) => r.timings.receiving >= 50 && r.body === 'body after the head',
  });
  return first;
}

export default function () {
  const plain = phases(__ENV.BASE_URL, 'http');
  check(plain, { 'http: no handshake': (r) => r.timings.tls_handshaking === 0 });
  const secure = phases(__ENV.TLS_URL, 'https');
  check(secure, { 'https new connection: tls_handshaking': (r) => r.timings.tls_handshaking > 0 });
}
`,
    });
    const { structured: r } = await runScript(project.dir, { script: 'load-test/timings.js', env: { BASE_URL: server.url, TLS_URL: tlsUrl } });
    expect(r.requests.total).toBe(6);
    expect(r.requests.failed).toBe(0);
    expect(r.checks.length).toBe(14);
    for (const c of r.checks) expect(c, c.name).toMatchObject({ passes: 1, fails: 0 });
    for (const t of r.thresholds) expect(t, t.metric).toMatchObject({ ok: true });
    expect(r.thresholds.map((t) => t.metric)).toEqual(['http_req_connecting', 'http_req_tls_handshaking', 'http_req_waiting', 'http_req_receiving']);
  });

  it('https: one connection for a VU’s sequential requests, several for a batch', async () => {
    let connections = 0;
    const count = () => connections++;
    tls.on('secureConnection', count);
    try {
      await writeFiles(project.dir, {
        'load-test/reuse.js': `
import http from 'k6/http';
export const options = { vus: 1, iterations: 1, insecureSkipTLSVerify: true };
export default function () {
  for (let i = 0; i < 6; i++) http.get(__ENV.TLS_URL + '/');
  http.batch([1, 2, 3, 4].map(() => ['GET', __ENV.TLS_URL + '/slow']));
}
`,
      });
      const sequential = await runScript(project.dir, { script: 'load-test/reuse.js', env: { TLS_URL: tlsUrl } });
      expect(sequential.structured.requests).toMatchObject({ total: 10, failed: 0 });
      // 1 for the six sequential requests (before: 2, used in turn, the second with its own
      // TLS handshake), then the batch: its first request on that one, the other three at once
      expect(connections).toBe(4);
    } finally {
      tls.off('secureConnection', count);
    }
  });
});
