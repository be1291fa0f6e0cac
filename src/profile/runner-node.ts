import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { defined } from '../common/errors.js';
import { isAlive } from '../common/spawn.js';
import { Locator } from './locate.js';
import type { Argv, LaunchPlan } from './launch.js';
import { NODE_PRELOAD_CJS } from './node-preload.js';
import { parseCpuProfile, parseHeapProfile, positionsByScript, type V8CallFrame, type V8CpuProfile, type V8HeapProfile } from './parse-v8.js';
import type { ProcessProfile } from './runner-types.js';

/**
 * Node.js, launched: every node process of the tree loads our preload through NODE_OPTIONS
 * and writes `node-<pid>-<thread>.cpuprofile` (+ `.heapprofile`, + `.json` with its argv)
 * into the output folder. See node-preload.ts for why not `--cpu-prof`.
 */
export async function prepareNodeLaunch(options: {
  argv: Argv;
  cwd: string;
  env: Record<string, string>;
  tmpDir: string;
  intervalUs: number;
  heapBytes?: number;
}): Promise<{ plan: LaunchPlan; outDir: string }> {
  const preload = join(options.tmpDir, 'perfeng-preload.cjs');
  const outDir = join(options.tmpDir, 'node');
  await writeFile(preload, NODE_PRELOAD_CJS);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(outDir, { recursive: true });
  const existing = options.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
  // NODE_OPTIONS splits on spaces unless quoted; our temp path has none, but quote anyway.
  const nodeOptions = `${existing} --require="${preload.replace(/(["\\])/g, '\\$1')}"`.trim();
  const [command, ...args] = options.argv;
  return {
    outDir,
    plan: {
      command,
      args,
      cwd: options.cwd,
      beforeStop: () => requestNodeProfiles(outDir),
      // Profiles are on disk before we signal, so the grace before SIGKILL can be short.
      killGraceMs: 3000,
      env: {
        ...options.env,
        NODE_OPTIONS: nodeOptions,
        PERFENG_PROFILE_DIR: outDir,
        PERFENG_PROFILE_INTERVAL_US: String(options.intervalUs),
        PERFENG_PROFILE_HEAP_BYTES: String(options.heapBytes ?? 0),
      },
    },
  };
}

/**
 * Writes the `stop` file the preload's watcher threads look for, then waits (≤ 5 s) until
 * every process that started profiling and is still alive has written its .cpuprofile.
 */
export async function requestNodeProfiles(outDir: string, timeoutMs = 5000): Promise<void> {
  await writeFile(join(outDir, 'stop'), '');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const files = await readdir(outDir).catch(() => [] as string[]);
    const pending = files
      .filter((f) => f.endsWith('.started'))
      .map((f) => f.slice(0, -'.started'.length))
      .filter((base) => !files.includes(`${base}.cpuprofile`) && !files.includes(`error-${base.split('-')[1]}.txt`))
      .filter((base) => isAlive(Number(base.split('-')[1])));
    if (!pending.length) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface ProcMeta {
  pid: number;
  ppid: number;
  threadId: number;
  argv: string[];
  startedAt: number;
  endedAt: number;
}

const LAUNCHER_SCRIPTS = /(?:^|[\\/])(npm-cli|npx-cli|yarn|yarn\.js|pnpm\.cjs|pnpm\.js|corepack)(?:\.c?js)?$/;

/** "node server.js --port 3000" from a process's argv, with node's own path shortened. */
export function describeArgv(argv: string[]): string {
  const [exe, ...rest] = argv;
  if (exe === undefined) return 'node';
  return [basename(exe), ...rest].join(' ').slice(0, 200);
}

export async function collectNodeProfiles(
  outDir: string,
  cwd: string,
): Promise<{
  cpu: ProcessProfile[];
  heap: ProcessProfile[];
  rawFiles: Array<{ name: string; path: string; role?: 'cpuprofile' | 'heapprofile' }>;
  warnings: string[];
  sourceMapped: number;
}> {
  const files = await readdir(outDir).catch(() => [] as string[]);
  const locator = new Locator(cwd);
  const cpu: ProcessProfile[] = [];
  const heap: ProcessProfile[] = [];
  const rawFiles: Array<{ name: string; path: string; role?: 'cpuprofile' | 'heapprofile' }> = [];
  const warnings: string[] = [];
  const bases = new Set(
    files.filter((f) => /^node-\d+-\d+\.(cpuprofile|heapprofile|json|started)$/.test(f)).map((f) => f.replace(/\.(cpuprofile|heapprofile|json|started)$/, '')),
  );
  const ordered: Array<{ base: string; meta: ProcMeta | undefined }> = [];
  for (const base of bases) {
    const meta = await readFile(join(outDir, `${base}.json`), 'utf8')
      .then((t) => JSON.parse(t) as ProcMeta)
      .catch(() => undefined);
    ordered.push({ base, meta });
  }
  ordered.sort((a, b) => (a.meta?.startedAt ?? 0) - (b.meta?.startedAt ?? 0));
  for (const { base, meta } of ordered) {
    // `bases` holds only names of this form (filtered above).
    const [, pidText, threadText] = defined(/^node-(\d+)-(\d+)$/.exec(base), `pid and thread in ${base}`);
    const pid = Number(pidText);
    const thread = Number(threadText);
    const command = `${meta ? describeArgv(meta.argv) : 'node'}${thread ? ` (worker ${thread})` : ''}`;
    const launcher = !!meta && LAUNCHER_SCRIPTS.test(meta.argv[1] ?? '');
    const durationUs = meta ? (meta.endedAt - meta.startedAt) * 1000 : 0;
    let positions: Map<string, V8CallFrame> | undefined;
    if (files.includes(`${base}.cpuprofile`)) {
      const path = join(outDir, `${base}.cpuprofile`);
      const raw = JSON.parse(await readFile(path, 'utf8')) as V8CpuProfile;
      positions = positionsByScript(raw);
      cpu.push({ profile: parseCpuProfile(raw, locator, 'inspector (preload)'), process: { pid, command }, launcher });
      rawFiles.push({ name: `${base}.cpuprofile`, path, role: 'cpuprofile' });
    } else {
      warnings.push(`process ${pid} (${command}) exited without writing a CPU profile (killed with SIGKILL, or it crashed)`);
    }
    if (files.includes(`${base}.heapprofile`)) {
      const path = join(outDir, `${base}.heapprofile`);
      const raw = JSON.parse(await readFile(path, 'utf8')) as V8HeapProfile;
      heap.push({ profile: parseHeapProfile(raw, locator, 'inspector (preload)', durationUs, positions), process: { pid, command }, launcher });
      rawFiles.push({ name: `${base}.heapprofile`, path, role: 'heapprofile' });
    }
  }
  for (const file of files.filter((f) => f.startsWith('error-'))) {
    warnings.push(`profiler error in process ${file.slice(6, -4)}: ${(await readFile(join(outDir, file), 'utf8')).slice(0, 300)}`);
  }
  return { cpu, heap, rawFiles, warnings, sourceMapped: locator.sourceMapped };
}
