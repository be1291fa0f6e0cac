import { execFileSync } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfileDiff } from '../../src/profile/index.js';
import { tempProject } from './helpers.js';

// profile diff and profile_process's `baseline` read a profile file or a stored run by name:
// the same gate as every named input (issue 13) — nothing of /proc, a device or a FIFO is read.
describe('profile diff: what it reads', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
    execFileSync('mkfifo', [join(project.dir, 'pipe.cpuprofile')]);
    await symlink('/dev/zero', join(project.dir, 'zero.cpuprofile'));
    await writeFile(
      join(project.dir, 'empty.cpuprofile'),
      JSON.stringify({
        nodes: [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 1 }],
        startTime: 0,
        endTime: 1000,
        samples: [1],
        timeDeltas: [1000],
      }),
    );
  });
  afterAll(() => project.cleanup());

  const refused = async (baseline: string, reason: RegExp) => {
    const started = performance.now();
    const error = await runProfileDiff({ baseline, target: 'empty.cpuprofile' }, project.context).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(reason);
    // Refused before any read: a FIFO would block forever, /dev/zero would never end.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error?.message).not.toMatch(/SHELL=|PATH=/);
  };

  it('refuses /proc/self/environ without echoing any of it', () => refused('/proc/self/environ', /devices, \/proc and \/sys are not input files/));
  it('refuses a FIFO in the project at once', () => refused('pipe.cpuprofile', /FIFO/));
  it('refuses a link to /dev/zero', () => refused('zero.cpuprofile', /\/dev\/zero/));
  it('refuses a profile outside the project', () => refused('/etc/hostname', /outside the project/));
});
