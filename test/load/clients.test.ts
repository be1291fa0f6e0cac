import { createSecureServer, createServer as createH2cServer } from 'node:http2';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { workerEntry } from '../../src/load/engine.js';
import { load, tempProject } from './helpers.js';
import { startServer, type TestServer } from './servers.js';

let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    if (req.method === 'POST') {
      let size = 0;
      req.on('data', (c: Buffer) => (size += c.length));
      req.on('end', () => res.end(`got ${size} ${req.headers['x-test'] ?? ''}`));
    } else if (req.url === '/chunked') {
      res.write('part one, ');
      setTimeout(() => res.end('part two'), 5);
    } else res.end('ok');
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

describe('clients', () => {
  it('fast path and undici agree on a POST journey with headers, bodies and chunked responses', async () => {
    for (const engine of ['fast', 'undici'] as const) {
      const { structured: r } = await load(project.dir, {
        requests: [
          {
            name: 'post',
            method: 'POST',
            url: `${server.url}/items`,
            headers: { 'x-test': 'yes', 'content-type': 'text/plain' },
            body: 'abcdef',
            expect: { status: 200, bodyIncludes: 'got 6 yes' },
          },
          { name: 'chunked', url: `${server.url}/chunked`, expect: { bodyIncludes: 'part one, part two' } },
        ],
        sequence: true,
        connections: 2,
        duration: '1s',
        engine,
        thresholds: { checks: ['rate==1'] },
      });
      expect(r.engine).toMatch(engine === 'fast' ? /raw-socket/ : /undici/);
      expect(r.errors).toEqual([]);
      expect(r.checks.every((c) => c.fails === 0 && c.passes > 0)).toBe(true);
      // A journey runs its steps in order: both steps run equally often.
      const [post, chunked] = r.endpoints;
      expect(Math.abs(post!.requests - chunked!.requests)).toBeLessThanOrEqual(2);
      expect(r.passed).toBe(true);
    }
  });

  it('speaks HTTP/2 over cleartext (h2c prior knowledge) and TLS with a self-signed certificate', async () => {
    const h2c = createH2cServer((_req, res) => res.end('h2 ok'));
    await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
    const port = (h2c.address() as AddressInfo).port;
    try {
      const { structured: r } = await load(project.dir, {
        url: `http://127.0.0.1:${port}/`,
        http2: true,
        connections: 2,
        duration: '1s',
        expect: { bodyIncludes: 'h2 ok' },
        thresholds: {},
      });
      expect(r.engine).toMatch(/HTTP\/2/);
      expect(r.errors).toEqual([]);
      expect(r.requests.total).toBeGreaterThan(2);
    } finally {
      await new Promise((resolve) => h2c.close(resolve));
    }

    const keyPath = join(project.dir, 'key.pem');
    const certPath = join(project.dir, 'cert.pem');
    await runCommand(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=127.0.0.1', '-days', '1'],
      { timeoutMs: 20_000 },
    );
    const tls = createSecureServer({ key: await readFile(keyPath), cert: await readFile(certPath), allowHTTP1: true }, (_req, res) => res.end('tls ok'));
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const tlsPort = (tls.address() as AddressInfo).port;
    try {
      const strict = (await load(project.dir, { url: `https://127.0.0.1:${tlsPort}/`, connections: 1, duration: '500ms', thresholds: {} })).structured;
      expect(strict.errors[0]!.kind).toBe('tls');
      const relaxed = (
        await load(project.dir, { url: `https://127.0.0.1:${tlsPort}/`, insecureTls: true, http2: true, connections: 2, duration: '1s', thresholds: {} })
      ).structured;
      expect(relaxed.errors, JSON.stringify(relaxed.errors)).toEqual([]);
      expect(relaxed.requests.total).toBeGreaterThan(2);
    } finally {
      tls.close();
    }
  });

  it('splits the load across worker threads and merges their histograms', async () => {
    expect(workerEntry(), 'dist/load/worker.js is missing: run the build first (npm test does)').not.toBeNull();
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, connections: 4, workers: 2, duration: '1500ms', thresholds: {} });
    expect(r.generator.workers).toBe(2);
    expect(r.errors).toEqual([]);
    expect(r.requests.total).toBeGreaterThan(30);
    expect(r.timeline.length).toBe(2);
    expect(r.timeline[0]!.active).toBe(4);
    const open = (await load(project.dir, { url: `${server.url}/`, rate: 300, workers: 2, duration: '1s', thresholds: {} })).structured;
    expect(open.requests.total).toBeGreaterThan(280);
    expect(open.requests.total).toBeLessThanOrEqual(305);
  });
});
