import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, writeFiles } from './k6-helpers.js';

// A k6 script, its local imports and its open() calls are files a caller named (issue 13):
// a FIFO or /dev/stdin read synchronously would wedge the whole server, /dev/zero would never
// end, /proc/self/environ would hand over secrets. All are refused before any read, and no
// request is made (nothing listens on the script's URL anyway).
describe('k6 scripts: what they may read', () => {
  let dir: string;
  let outside: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-k6-inputs-'));
    outside = await mkdtemp(join(tmpdir(), 'perfeng-k6-outside-'));
    execFileSync('mkfifo', [join(dir, 'pipe.js')]);
    execFileSync('mkfifo', [join(dir, 'data.fifo')]);
    await writeFiles(outside, { 'secret.js': 'export const token = "s3cret";\n', 'users.json': '[]' });
    await symlink(join(outside, 'secret.js'), join(dir, 'linked.js'));
    const body = (line: string) => `${line}\nexport default function () {}\nexport const options = { iterations: 1 };\n`;
    await writeFiles(dir, {
      'imports-fifo.js': body(`import './pipe.js';`),
      'imports-outside.js': body(`import { token } from '../${outside.split('/').pop()}/secret.js';`),
      'imports-link.js': body(`import { token } from './linked.js';`),
      'opens-environ.js': body(`const env = open('/proc/self/environ');`),
      'opens-fifo.js': body(`const data = open('./data.fifo');`),
      'opens-zero.js': body(`const zeros = open('/dev/zero', 'b');`),
      'opens-outside.js': body(`const users = JSON.parse(open('${join(outside, 'users.json')}'));`),
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const refused = async (script: string, reason: RegExp) => {
    const started = performance.now();
    const error = await runScript(dir, { script }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message, script).toMatch(reason);
    expect(error?.message).not.toMatch(/s3cret|PATH=/);
    expect(performance.now() - started).toBeLessThan(5_000);
  };

  it('refuses a FIFO as the script', () => refused('pipe.js', /not a regular file \(a FIFO\)/));
  it('refuses /dev/stdin and /proc as the script', async () => {
    await refused('/dev/stdin', /devices, \/proc and \/sys are not input files/);
    await refused('/proc/self/environ', /devices, \/proc and \/sys are not input files/);
  });
  it('refuses a script outside the project', () => refused(join(outside, 'secret.js'), /outside the project/));
  it('refuses imports of a FIFO, of a file outside the project, and through a link that leaves it', async () => {
    await refused('imports-fifo.js', /module imported by the k6 script .*pipe\.js: it is not a regular file/);
    await refused('imports-outside.js', /outside the project/);
    await refused('imports-link.js', /outside the project/);
  });
  it('refuses open() of /proc, a FIFO, /dev/zero and a file outside the project', async () => {
    await refused('opens-environ.js', /devices, \/proc and \/sys are not input files/);
    await refused('opens-fifo.js', /file opened by the k6 script .*data\.fifo: it is not a regular file \(a FIFO\)/);
    await refused('opens-zero.js', /devices, \/proc and \/sys are not input files/);
    await refused('opens-outside.js', /outside the project/);
  });
});
