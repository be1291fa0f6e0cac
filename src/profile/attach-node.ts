import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative } from 'node:path';
import { WebSocket } from 'undici';
import type { RunContext } from '../common/context.js';
import { CancelledError, UserError } from '../common/errors.js';
import { Locator } from './locate.js';
import { parseCpuProfile, parseHeapProfile, type V8CpuProfile, type V8HeapProfile } from './parse-v8.js';
import { sampleTreeRss } from './rss.js';
import type { Collected } from './runner-types.js';

/**
 * Attach to a running Node.js process by pid, the way `kill -USR1 <pid>` + DevTools does:
 * SIGUSR1 makes Node open its inspector (127.0.0.1:9229 unless --inspect-port says
 * otherwise); we find the port by the listening sockets that process owns (/proc/net/tcp*
 * inodes ↔ /proc/<pid>/fd), read `/json/list`, and drive the Chrome DevTools Protocol over
 * its WebSocket: Profiler.setSamplingInterval → start → wait → stop (and
 * HeapProfiler.startSampling/stopSampling for heap). The inspector is closed again after.
 */

export type ProcessKind = 'node' | 'python' | 'other';

function checkPidExists(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new UserError(`no process with pid ${pid}`, 'check the pid (`pgrep -af node`); the process may have exited');
    if (code === 'EPERM') {
      throw new UserError(`process ${pid} belongs to another user`, 'attach only to your own processes (or run perfeng as that user)');
    }
    throw error;
  }
}

/** The uid a process runs as: the owner of /proc/<pid> (its effective uid). Undefined when /proc cannot say. */
export function processOwnerUid(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** A user name for messages, from /etc/passwd (best effort: the uid alone is still exact). */
function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((row) => row.split(':')[2] === String(uid));
    const name = line?.split(':')[0];
    return name ? `${name} (uid ${uid})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

function insideDir(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const ALLOW_ANY =
  'to attach to any process you may signal, set profile.attachAnyProcess to true in .perf/config.json ({ "profile": { "attachAnyProcess": true } })';

/**
 * Issue 13: attaching (SIGUSR1 + inspector, py-spy, perf) reads and runs code inside another
 * process, so profile_process attaches only to processes that run as the same user as we do and
 * whose working directory (/proc/<pid>/cwd) is inside the project — an agent steered by text it
 * read must not reach a database, an editor or another project's server. `profile.attachAnyProcess`
 * lifts both rules; the operating system's own permission check still applies.
 */
export function checkAttachScope(pid: number, context: Pick<RunContext, 'projectDir' | 'config'>): void {
  checkPidExists(pid);
  if (context.config.profile.attachAnyProcess) return;
  const { command } = processKind(pid);
  const who = `process ${pid}${command ? ` (${command.slice(0, 80)})` : ''}`;
  const owner = processOwnerUid(pid);
  const me = process.getuid?.();
  if (owner === undefined || me === undefined) {
    throw new UserError(`refusing to attach to ${who}: cannot tell which user it runs as (no /proc/${pid})`, ALLOW_ANY);
  }
  if (owner !== me) {
    throw new UserError(
      `refusing to attach to ${who}: it runs as ${userName(owner)}, not as you (${userName(me)}); profile_process attaches only to your own processes`,
      ALLOW_ANY,
    );
  }
  let cwd: string;
  try {
    cwd = realpathSync(`/proc/${pid}/cwd`);
  } catch (error) {
    throw new UserError(
      `refusing to attach to ${who}: cannot read its working directory (/proc/${pid}/cwd: ${(error as NodeJS.ErrnoException).code})`,
      ALLOW_ANY,
    );
  }
  let project = context.projectDir;
  try {
    project = realpathSync(context.projectDir);
  } catch {
    // compare with the path as given
  }
  if (!insideDir(project, cwd)) {
    throw new UserError(
      `refusing to attach to ${who}: its working directory ${cwd} is outside the project ${project}; profile_process attaches only to processes started in the project`,
      `start it from the project folder, launch it through \`command\` instead, or ${ALLOW_ANY}`,
    );
  }
}

export function processKind(pid: number): { kind: ProcessKind; command: string } {
  let argv: string[] = [];
  let exe = '';
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // not Linux or gone
  }
  try {
    exe = basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    exe = basename(argv[0] ?? '');
  }
  const command = argv
    .map((a, i) => (i === 0 ? basename(a) : a))
    .join(' ')
    .slice(0, 200);
  if (/^node(js)?\d*$/.test(exe) || /^node(js)?$/.test(basename(argv[0] ?? ''))) return { kind: 'node', command };
  if (/^python/.test(exe)) return { kind: 'python', command };
  return { kind: 'other', command };
}

/** Listening TCP ports owned by a process: /proc/net/tcp{,6} rows in state 0A whose inode is one of its fds. */
export function listeningPorts(pid: number): number[] {
  return tcpPorts(pid, { listening: true });
}

/** Local ports of a process's TCP sockets (all of them, or only the listening ones), from /proc/<pid>/fd and /proc/net/tcp{,6}. */
export function tcpPorts(pid: number | 'self', options: { listening: boolean }): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (inode === undefined || (options.listening && state !== '0A') || !inodes.has(inode)) continue;
      // local_address is ADDRESS:PORT in hex; a row without a port is not one we can use.
      const port = local?.split(':')[1];
      if (port) ports.add(parseInt(port, 16));
    }
  }
  return [...ports];
}

/** Who listens on a port (any process we can see), for the "port taken" message. */
function ownerOfPort(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (listeningPorts(Number(entry)).includes(port)) return Number(entry);
  }
  return undefined;
}

async function inspectorTarget(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) });
    const targets = (await response.json()) as Array<{ webSocketDebuggerUrl?: string; type?: string }>;
    return targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
  } catch {
    return undefined;
  }
}

function expectedInspectorPort(pid: number): number {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    for (const arg of argv) {
      const m = /^--inspect(?:-brk|-port)?=(?:[^:]*:)?(\d+)$/.exec(arg);
      if (m) return Number(m[1]);
    }
  } catch {
    // default below
  }
  return 9229;
}

/** A minimal CDP client: numbered requests, matched responses, and event listeners by method. */
export class CdpSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly listeners = new Map<string, (params: Record<string, unknown>) => void>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        method?: string;
        params?: Record<string, unknown>;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id === undefined) {
        if (message.method) this.listeners.get(message.method)?.(message.params ?? {});
        return;
      }
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
    socket.addEventListener('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('the inspector connection closed'));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<CdpSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error('timed out connecting to the inspector')), 5000);
      socket.addEventListener('open', () => (clearTimeout(timer), resolve(new CdpSession(socket))));
      socket.addEventListener('error', () => (clearTimeout(timer), reject(new Error('could not connect to the inspector WebSocket'))));
    });
  }

  /** One listener per event method (a later one replaces it). */
  on(method: string, listener: (params: Record<string, unknown>) => void): void {
    this.listeners.set(method, listener);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The inspector WebSocket of a Node.js process: the one it already has open on its
 * --inspect port, or the one SIGUSR1 opens (then `openedByUs`, and the caller closes it).
 */
export async function findInspector(pid: number, context: RunContext): Promise<{ url: string; openedByUs: boolean }> {
  const before = new Set(listeningPorts(pid));
  const expected = expectedInspectorPort(pid);
  let url = before.has(expected) ? await inspectorTarget(expected) : undefined;
  let openedByUs = false;
  if (!url) {
    process.kill(pid, 'SIGUSR1');
    openedByUs = true;
    // Node opens the inspector within milliseconds of SIGUSR1 unless its event loop is blocked.
    const until = Date.now() + 3000;
    while (!url && Date.now() < until) {
      if (context.signal.aborted) throw new CancelledError();
      await sleep(100);
      for (const port of listeningPorts(pid)) {
        if (before.has(port) && port !== expected) continue;
        url = await inspectorTarget(port);
        if (url) break;
      }
    }
  }
  if (!url) {
    const owner = ownerOfPort(expected);
    if (owner !== undefined && owner !== pid) {
      throw new UserError(
        `process ${pid} could not open its inspector: port ${expected} is taken by process ${owner}`,
        `stop that process, or start the target with --inspect-port=<free port> (then SIGUSR1 uses it)`,
      );
    }
    throw new UserError(
      `process ${pid} did not open an inspector after SIGUSR1`,
      'it may run with --disable-sigusr1, a policy that forbids the inspector, or be busy in a long synchronous task; start it with --inspect=127.0.0.1:0 and try again',
    );
  }

  return { url, openedByUs };
}

/** Closes an inspector we opened with SIGUSR1: leaving a debugger port open is not ours to decide. */
export async function closeInspector(session: CdpSession): Promise<void> {
  await Promise.race([
    session.send('Runtime.evaluate', { expression: "require('node:inspector').close()", includeCommandLineAPI: true }).catch(() => undefined),
    sleep(1000),
  ]);
}

export async function attachNode(options: {
  pid: number;
  cwd: string;
  durationS: number;
  intervalUs: number;
  kind: 'cpu' | 'heap';
  heapBytes: number;
  context: RunContext;
}): Promise<Collected> {
  const { pid, context } = options;
  const { command } = processKind(pid);
  const warnings: string[] = [
    // V8 records inlining positions only for code compiled while a profiler runs.
    'attached to a running process: functions V8 optimised before we attached may show the time of callees inlined into them as their own (launch through `command` to avoid this)',
  ];
  const { url, openedByUs } = await findInspector(pid, context);
  const rss = sampleTreeRss(pid);
  const session = await CdpSession.open(url);
  const started = performance.now();
  let cpuRaw: V8CpuProfile | undefined;
  let heapRaw: V8HeapProfile | undefined;
  try {
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: options.intervalUs });
    await session.send('Profiler.start');
    if (options.kind === 'heap') {
      await session.send('HeapProfiler.enable');
      await session.send('HeapProfiler.startSampling', {
        samplingInterval: options.heapBytes,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    const end = started + options.durationS * 1000;
    while (performance.now() < end && !context.signal.aborted) {
      context.report((performance.now() - started) / 1000, options.durationS, `profiling pid ${pid}`);
      await sleep(Math.min(250, end - performance.now()));
    }
    if (context.signal.aborted) warnings.push('cancelled: the profile covers the time until then');
    cpuRaw = (await session.send<{ profile: V8CpuProfile }>('Profiler.stop')).profile;
    if (options.kind === 'heap') heapRaw = (await session.send<{ profile: V8HeapProfile }>('HeapProfiler.stopSampling')).profile;
    await session.send('Profiler.disable').catch(() => undefined);
    if (openedByUs) await closeInspector(session);
  } finally {
    session.close();
  }
  const wallMs = performance.now() - started;
  const peakRssBytes = rss.stop();
  const locator = new Locator(options.cwd);
  const process_ = { pid, command };
  return {
    runtime: 'node',
    profiler: 'inspector (attached)',
    cpu: cpuRaw ? [{ profile: parseCpuProfile(cpuRaw, locator, 'inspector (attached)'), process: process_ }] : [],
    heap: heapRaw ? [{ profile: parseHeapProfile(heapRaw, locator, 'inspector (attached)', wallMs * 1000), process: process_ }] : [],
    heapUnit: 'bytes allocated (sampled), including objects collected since',
    rawFiles: [],
    warnings,
    wallMs,
    peakRssBytes,
    cancelled: context.signal.aborted,
  };
}
