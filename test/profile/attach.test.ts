import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { listeningPorts } from '../../src/profile/attach-node.js';
import { FIXTURES, tempProject } from './helpers.js';

/** Started in `cwd` (the test project: profile_process attaches only to processes started in the project). */
function start(args: string[], cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.once('data', () => resolve(child));
    setTimeout(() => resolve(child), 700); // programs that print nothing
    child.once('error', reject);
  });
}

describe('profile_process: attach to a running Node.js process by pid', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await project.cleanup();
  });

  it('opens the inspector with SIGUSR1, profiles, and closes it again', async () => {
    // --inspect-port=0: a free port, so parallel test files never fight over 9229.
    // No inlining: code TurboFan optimised *before* we attached carries no inlining
    // positions, so V8 charges an inlined busyTick to its caller (see the tool's warning).
    const child = await start(['--inspect-port=0', '--max-inlined-bytecode-size=0', join(FIXTURES, 'idle.js')], project.dir);
    children.push(child);
    const { structured } = await runProfile({ pid: child.pid!, durationS: 1.5, cwd: FIXTURES }, project.context);
    expect(structured.profiler).toContain('inspector');
    // Usually busyTick is ~99 % self. When V8 optimised (OSR) it before we attached, its code
    // is missing from the profiler's code map and its samples land on the caller
    // (listOnTimeout) — the V8 limitation the warning names. Either way the time is under
    // the timer callback path, and nothing else is hot.
    expect(structured.samples).toBeGreaterThan(100);
    const names = structured.hotFunctions.slice(0, 2).map((f) => f.name);
    expect(names.includes('busyTick') || names.includes('listOnTimeout'), JSON.stringify(structured.hotFunctions.slice(0, 3))).toBe(true);
    const busy = structured.hotFunctions.find((f) => f.name === 'busyTick');
    if (busy) expect(busy.file).toBe('idle.js');
    expect(structured.idlePct).toBeGreaterThanOrEqual(0);
    expect(structured.processes[0]!.pid).toBe(child.pid);
    expect(structured.warnings.join(' ')).toMatch(/optimised before/);
    expect(structured.peakRssBytes).toBeGreaterThan(0);
    // The inspector we opened is closed again.
    await new Promise((r) => setTimeout(r, 300));
    expect(listeningPorts(child.pid!)).toEqual([]);
  });

  it('heap by pid names the allocating function', async () => {
    const child = await start(['--inspect-port=0', join(FIXTURES, 'alloc.js'), '30000'], project.dir);
    children.push(child);
    const { structured } = await runProfile({ pid: child.pid!, durationS: 1.5, kind: 'heap', cwd: FIXTURES }, project.context);
    expect(structured.heap!.topAllocators[0]!.name).toBe('allocateRecords');
    expect(structured.heap!.topAllocators[0]!.file).toBe('alloc.js');
  });

  it('says so when the pid does not exist or is not Node.js', async () => {
    await expect(runProfile({ pid: 4_000_000 }, project.context)).rejects.toThrow(/no process with pid 4000000/);
    const sleeper = spawn('sleep', ['30'], { cwd: project.dir });
    children.push(sleeper);
    await new Promise((r) => setTimeout(r, 100));
    await expect(runProfile({ pid: sleeper.pid!, kind: 'heap' }, project.context)).rejects.toThrow(/is not Node.js: heap profiles by pid need Node.js/);
  });

  it('says which process holds the inspector port when it is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = await start([`--inspect-port=${port}`, join(FIXTURES, 'idle.js')], project.dir);
      children.push(child);
      await expect(runProfile({ pid: child.pid!, durationS: 1 }, project.context)).rejects.toThrow(
        new RegExp(`port ${port} is taken by process ${process.pid}`),
      );
    } finally {
      blocker.close();
    }
  });
});
