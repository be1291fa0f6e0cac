import { describe, expect, it } from 'vitest';
import { isAlive, listDescendants, runCommand, spawnTree } from '../../src/common/spawn.js';

// A parent that ignores SIGTERM and starts two grandchildren that ignore it too; one of them
// leaves the process group with setsid, as daemons do. It prints the pids it made.
const STUBBORN_TREE = `
const { spawn } = require('node:child_process');
process.on('SIGTERM', () => {});
const keep = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
const a = spawn(process.execPath, ['-e', keep], { stdio: 'ignore' });
const b = spawn('setsid', [process.execPath, '-e', keep], { stdio: 'ignore' });
setTimeout(() => console.log(JSON.stringify({ parent: process.pid, a: a.pid, b: b.pid })), 300);
setInterval(() => {}, 1000);
`;

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return predicate();
}

describe('spawnTree', () => {
  it('cancel kills a SIGTERM-ignoring child and all its descendants, by pid', async () => {
    const controller = new AbortController();
    let printed = '';
    const tree = spawnTree(process.execPath, ['-e', STUBBORN_TREE], {
      signal: controller.signal,
      killGraceMs: 300,
      onStdout: (chunk) => (printed += chunk),
    });
    expect(await waitFor(() => printed.includes('}'))).toBe(true);
    const pids = JSON.parse(printed) as { parent: number; a: number; b: number };
    // setsid execs node in place, so b's pid is the grandchild itself.
    expect(await waitFor(() => listDescendants(tree.pid).length >= 2)).toBe(true);
    const all = [pids.parent, ...listDescendants(tree.pid)];
    expect(all.every(isAlive)).toBe(true);

    controller.abort();
    const exit = await tree.exited;
    expect(exit.cancelled).toBe(true);
    expect(await waitFor(() => all.every((pid) => !isAlive(pid)))).toBe(true);
  });

  it('times out and reports it', async () => {
    const exit = await runCommand(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 300, killGraceMs: 200 });
    expect(exit.timedOut).toBe(true);
    expect(exit.exitCode === null || exit.signal !== null).toBe(true);
  });

  it('captures output and the exit code', async () => {
    const exit = await runCommand(process.execPath, ['-e', 'console.log("hi"); console.error("err"); process.exit(3)']);
    expect(exit.stdout.trim()).toBe('hi');
    expect(exit.stderr.trim()).toBe('err');
    expect(exit.exitCode).toBe(3);
  });

  it('turns a missing command into a clear error', async () => {
    await expect(runCommand('definitely-not-a-command-xyz', [])).rejects.toThrow(/command not found: "definitely-not-a-command-xyz"/);
  });

  it('kills the tree when the parent process (our server) exits', async () => {
    // A separate node process uses spawnTree, then exits: its exit hook must take the tree along.
    const spawnModule = new URL('../../dist/common/spawn.js', import.meta.url).pathname;
    const script = `
      const { spawnTree } = await import(${JSON.stringify(spawnModule)});
      const t = spawnTree(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"]);
      setTimeout(() => { console.log(t.pid); process.exit(0); }, 300);
    `;
    const exit = await runCommand(process.execPath, ['--input-type=module', '-e', script]);
    const childPid = Number(exit.stdout.trim());
    expect(childPid).toBeGreaterThan(0);
    expect(await waitFor(() => !isAlive(childPid))).toBe(true);
  });
});
