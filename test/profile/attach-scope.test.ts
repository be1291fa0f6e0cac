import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { checkAttachScope, listeningPorts, processOwnerUid } from '../../src/profile/attach-node.js';
import { runProfile } from '../../src/profile/index.js';
import { parseConfig } from '../../src/store/config.js';
import { connectBuiltServer } from '../helpers/mcp-client.js';
import { FIXTURES, tempProject } from './helpers.js';

/**
 * Issue 13: profile_process attaches only to processes of the same user whose working directory
 * is inside the project, unless .perf/config.json sets profile.attachAnyProcess. Real processes:
 * a Node.js child started outside the project, one started inside, and (when the machine has
 * one) a process of another user, e.g. PostgreSQL's, which is only checked, never attached to.
 */
function startIdle(cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--inspect-port=0', join(FIXTURES, 'idle.js')], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout?.once('data', () => resolve(child));
    child.once('error', reject);
  });
}

/** The effective uid from /proc/<pid>/status ("Uid: real effective saved fs"): a second source for the owner. */
async function effectiveUid(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const fields = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  return Number(fields?.[2]);
}

/** A process running as another user than us (PostgreSQL's, on this machine), if there is one. */
async function otherUsersProcess(): Promise<number | undefined> {
  const me = process.getuid?.();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await effectiveUid(Number(entry))) !== me) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

// Found before the tests are collected, so skipIf sees it (none on a machine with one user's processes).
const other = await otherUsersProcess();

describe('profile_process attach scope (issue 13)', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let outsideDir: string;
  let inside: ChildProcess;
  let outside: ChildProcess;
  beforeAll(async () => {
    project = await tempProject();
    outsideDir = await mkdtemp(join(tmpdir(), 'perfeng-attach-outside-'));
    [inside, outside] = await Promise.all([startIdle(project.dir), startIdle(outsideDir)]);
  });
  afterAll(async () => {
    inside?.kill('SIGKILL');
    outside?.kill('SIGKILL');
    await project.cleanup();
    await rm(outsideDir, { recursive: true, force: true });
  });

  it('a process whose working directory is outside the project is refused, with the rule and how to allow it, before any signal', async () => {
    const pid = outside.pid ?? 0;
    await expect(runProfile({ pid, durationS: 1 }, project.context)).rejects.toThrow(
      new RegExp(
        `refusing to attach to process ${pid} .*: its working directory ${outsideDir} is outside the project .*profile\\.attachAnyProcess.*\\.perf/config\\.json`,
      ),
    );
    await expect(runProfile({ pid, durationS: 1, kind: 'leak' }, project.context)).rejects.toThrow(/its working directory .* is outside the project/);
    // Refused before SIGUSR1: the child never opened its inspector.
    expect(listeningPorts(pid)).toEqual([]);
  });

  it('a process started in the project is profiled', async () => {
    const { structured } = await runProfile({ pid: inside.pid ?? 0, durationS: 1, cwd: FIXTURES }, project.context);
    expect(structured.profiler).toContain('inspector');
    expect(structured.processes[0]?.pid).toBe(inside.pid);
  });

  it('profile.attachAnyProcess: true lets the outside process be profiled', async () => {
    const config = parseConfig(JSON.stringify({ profile: { attachAnyProcess: true } }));
    const context = await createRunContext({ projectDir: project.dir, config });
    const { structured } = await runProfile({ pid: outside.pid ?? 0, durationS: 1, cwd: FIXTURES }, context);
    expect(structured.processes[0]?.pid).toBe(outside.pid);
  });

  it('ownership is read from /proc/<pid> and agrees with the kernel status', async () => {
    expect(processOwnerUid(process.pid)).toBe(process.getuid?.());
    expect(processOwnerUid(inside.pid ?? 0)).toBe(await effectiveUid(inside.pid ?? 0));
    expect(processOwnerUid(4_000_000)).toBeUndefined();
    expect(() => checkAttachScope(4_000_000, project.context)).toThrow(/no process with pid 4000000/);
  });

  // As root the operating system would let us signal anyone, so the same-user rule is ours alone.
  it.skipIf(other === undefined)("another user's process is refused by the same-user rule (checked, never attached to)", async () => {
    const pid = other ?? 0;
    expect(processOwnerUid(pid)).toBe(await effectiveUid(pid));
    expect(processOwnerUid(pid)).not.toBe(process.getuid?.());
    expect(() => checkAttachScope(pid, project.context)).toThrow(
      new RegExp(`refusing to attach to process ${pid}.*: it runs as .*uid ${processOwnerUid(pid)}\\), not as you .*profile\\.attachAnyProcess`),
    );
  });

  it('over MCP (the built server on stdio) the refusal is an isError naming the rule', async () => {
    const session = await connectBuiltServer({ cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir } });
    try {
      const result = await session.client.callTool({ name: 'profile_process', arguments: { pid: outside.pid, durationS: 1 } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/working directory .* is outside the project.*attachAnyProcess/);
    } finally {
      await session.close();
    }
  });
});
