import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInputFile } from '../../src/common/input-files.js';
import { readQueryLog } from '../../src/query/query-log.js';

let dir: string;
let outside: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-input-'));
  outside = await mkdtemp(join(tmpdir(), 'perfeng-outside-'));
  await writeFile(join(dir, 'q.log'), 'select 1\n');
  await writeFile(join(outside, 'q.log'), 'select 2\n');
  await writeFile(join(dir, 'big.log'), 'x'.repeat(3 * 1024 * 1024));
  execFileSync('mkfifo', [join(dir, 'pipe.log')]);
  await symlink('/dev/zero', join(dir, 'zero.log'));
  await symlink(join(outside, 'q.log'), join(dir, 'escape.log'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('input files: regular files in the project (or allowed folders) under a size cap (issue 13)', () => {
  const opts = () => ({ projectDir: dir, maxBytes: 1024 * 1024, what: 'query log' });
  it('devices, /proc, FIFOs and links to them are refused at once, without reading', async () => {
    for (const path of ['/dev/stdin', '/dev/zero', '/proc/self/environ', '/proc/self/fd/0', 'zero.log']) {
      await expect(readInputFile(path, opts())).rejects.toThrow(/refusing to read the query log/);
    }
    const started = Date.now();
    await expect(readInputFile('pipe.log', opts())).rejects.toThrow(/not a regular file/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
  it('outside the project only when the folder is allowed; the size cap applies', async () => {
    await expect(readInputFile(join(outside, 'q.log'), opts())).rejects.toThrow(/outside the project folder.*allowedInputPaths/);
    await expect(readInputFile('escape.log', opts())).rejects.toThrow(/outside the project folder/);
    await expect(readInputFile(join(outside, 'q.log'), { ...opts(), allowedPaths: [outside] })).resolves.toBe('select 2\n');
    await expect(readInputFile('big.log', opts())).rejects.toThrow(/is 3 MB.*maxInputMb/);
    await expect(readQueryLog('q.log', dir)).resolves.toEqual([{ sql: 'select 1' }]);
    await expect(readQueryLog('/dev/stdin', dir)).rejects.toThrow(/devices/);
  });
});
