import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresClientConfig } from '../../src/query/drivers/connect-options.js';
import { analyzeQuery } from '../../src/query/index.js';
import { makeContext, PG_URL } from './helpers.js';

/**
 * TLS file parameters of a PostgreSQL URL (issue 13, second audit): pg-connection-string reads
 * sslrootcert/sslcert/sslkey with a blocking readFileSync, so `?sslmode=require&sslrootcert=<FIFO>`
 * froze the whole server — no timer, no cancellation. They now go through the input-file gate,
 * read asynchronously, before pg-connection-string sees the URL.
 */
describe('analyze_query: TLS files named in a PostgreSQL URL', () => {
  it('a FIFO (in the project, or outside it) and /dev/stdin are refused at once, naming the key; the process keeps running', async () => {
    const { context, dir, cleanup } = await makeContext();
    const outside = await mkdtemp(join(tmpdir(), 'perfeng-tls-'));
    const fifo = join(dir, 'root.crt');
    const fifoOutside = join(outside, 'root.crt');
    execFileSync('mkfifo', [fifo, fifoOutside]);
    // On the old code the read blocks the event loop until someone writes: this writer frees it
    // after 4 s, so a regression fails on time and message instead of hanging the test run.
    const writer = spawn('sh', ['-c', `sleep 4; echo x > '${fifo}'`], { stdio: 'ignore' });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      const cases: Array<[string, RegExp]> = [
        [`sslrootcert=${encodeURIComponent(fifo)}`, /refusing to read the TLS root certificate \(sslrootcert\) .*not a regular file \(a FIFO\)/],
        [`sslrootcert=${encodeURIComponent(fifoOutside)}`, /refusing to read the TLS root certificate \(sslrootcert\) .*outside the project folder/],
        ['sslcert=%2Fdev%2Fstdin', /refusing to read the TLS client certificate \(sslcert\) \/dev\/stdin: devices/],
        ['sslkey=%2Fproc%2Fself%2Ffd%2F0', /refusing to read the TLS client key \(sslkey\)/],
      ];
      for (const [param, why] of cases) {
        const started = performance.now();
        await expect(analyzeQuery({ sql: 'SELECT 1', database: `${PG_URL}?sslmode=require&${param}`, suggestIndexes: false }, context), param).rejects.toThrow(
          why,
        );
        expect(performance.now() - started, param).toBeLessThan(3000);
      }
      const before = ticks;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ticks).toBeGreaterThan(before);
    } finally {
      clearInterval(timer);
      if (writer.pid && writer.exitCode === null) process.kill(writer.pid);
      await cleanup();
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a regular certificate inside the project is read (asynchronously) and handed to pg as `ssl.ca`; without a project the parameter is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfeng-tls-'));
    try {
      await writeFile(join(dir, 'root.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const config = await postgresClientConfig({ url: `${PG_URL}?sslmode=verify-full&sslrootcert=root.crt` }, { projectDir: dir });
      expect(config.ssl).toMatchObject({ ca: expect.stringContaining('BEGIN CERTIFICATE') });
      const disabled = await postgresClientConfig({ url: `${PG_URL}?sslmode=disable&sslrootcert=root.crt` }, { projectDir: dir });
      expect(disabled.ssl).toBe(false);
      await expect(postgresClientConfig({ url: `${PG_URL}?sslrootcert=root.crt` })).rejects.toThrow(/refusing the database URL parameter "sslrootcert"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
