import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { freePort } from '../helpers/ports.js';
import { FIXTURES, tempProject } from './helpers.js';

let project: Awaited<ReturnType<typeof tempProject>>;
const children: ChildProcess[] = [];
beforeAll(async () => {
  project = await tempProject();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await project.cleanup();
});

/**
 * Attaching to (or launching) a process that does nothing during the window: the profile is
 * all (idle)/(program), and the result must say the process was idle instead of ranking
 * "(program) 100 %" as the hottest function.
 */

/** Started in the test project (attach is allowed to processes started there); resolves with the port it prints. */
function start(script: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--inspect-port=0', join(FIXTURES, script)], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stdout!.once('data', (chunk: Buffer) => resolve({ child, port: Number.parseInt(String(chunk), 10) }));
    child.once('error', reject);
  });
}

it('attach to an idle HTTP server: verdict IDLE, says it was idle, and how to drive it (its own port)', async () => {
  const { child, port } = await start('sleeper.js');
  const { structured: r, summary, next } = await runProfile({ pid: child.pid!, durationS: 1.5, cwd: FIXTURES }, project.context);
  expect(r.verdict).toBe('IDLE');
  expect(r.idle!.quietPct).toBeGreaterThanOrEqual(90);
  expect(r.idle!.userCodeMs).toBeLessThan(30);
  expect(summary).toMatch(/^IDLE: .* was idle during the 1\.5 s window/);
  expect(summary).not.toMatch(/hottest|\(program\)\s+100/);
  expect(r.idle!.advice).toContain(`run_load_test against it (http://127.0.0.1:${port}/)`);
  expect(next?.[0]).toMatch(new RegExp(`^run_load_test \\{"url":"http://127.0.0\\.1:${port}/".*profile_process \\{"pid":${child.pid}`));
});

it('attach to a process that works: not idle', async () => {
  const { child } = await start('idle.js'); // despite its name: busyTick every 10 ms
  const { structured: r, summary } = await runProfile({ pid: child.pid!, durationS: 1.5, cwd: FIXTURES }, project.context);
  expect(r.verdict).toBe('HOT');
  expect(r.idle).toBeUndefined();
  expect(summary).toMatch(/^CPU profile of .*: hottest/);
});

it('launch an idle server: verdict IDLE, and the next call gives it `load`', async () => {
  const {
    structured: r,
    summary,
    next,
  } = await runProfile({ command: ['node', join(FIXTURES, 'sleeper.js')], durationS: 1.5, cwd: FIXTURES }, project.context);
  expect(r.verdict).toBe('IDLE');
  expect(summary).toMatch(/^IDLE: /);
  expect(r.idle!.advice).toMatch(/give `load`/);
  expect(next?.[0]).toMatch(/^profile_process \{"command":\["node",".*sleeper\.js"\],"load":\{"url":"http:\/\/127\.0\.0\.1:/);
});

// cProfile (CPU timer) has no (idle) samples: an idle Python server is judged by the CPU it used.
it('launch an idle Python server (cProfile): IDLE judged off the CPU, the next call loads its port; under load it is HOT', async () => {
  const port = await freePort();
  const command = ['python3', 'pyserver.py', String(port), 'threading'];
  const idle = await runProfile({ command, waitForPort: port, durationS: 2, cwd: FIXTURES }, project.context);
  expect(idle.structured.verdict, idle.summary).toBe('IDLE');
  expect(idle.structured.idle).toMatchObject({ offCpu: true });
  expect(idle.structured.idle!.quietPct).toBeGreaterThanOrEqual(75);
  expect(idle.summary).toMatch(/^IDLE: .*% of it off the CPU/);
  expect(idle.next?.[0]).toBe(
    `profile_process {"command":${JSON.stringify(command)},"waitForPort":${port},"load":{"url":"http://127.0.0.1:${port}/","duration":"2s"}}`,
  );

  const busyPort = await freePort();
  const busy = await runProfile(
    {
      command: ['python3', 'pyserver.py', String(busyPort), 'threading'],
      waitForPort: busyPort,
      durationS: 4,
      cwd: FIXTURES,
      load: { url: `http://127.0.0.1:${busyPort}/`, duration: '3s', connections: 4 },
    },
    project.context,
  );
  expect(busy.structured.verdict, busy.summary).toBe('HOT');
  expect(busy.structured.idle).toBeUndefined();
  expect(busy.structured.hotFunctions[0]?.name).toBe('render_report');
});
