import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Locator } from './locate.js';
import type { Argv, LaunchPlan } from './launch.js';
import { parsePstatsJson, parseTracemallocJson, type PstatsJson, type TracemallocJson } from './parse-python.js';
import { parseSpeedscope } from './parse-speedscope.js';
import { PYTHON_HELPER } from './python-helper.js';
import type { ProcessProfile } from './runner-types.js';
import type { SpeedscopeFile } from './export-speedscope.js';

/**
 * Python, launched. CPU: py-spy (a sampling profiler, low overhead, sees native extensions
 * with --native) when it is on PATH, otherwise cProfile through our helper. Heap:
 * tracemalloc through the helper. The interpreter the user named runs the helper, with
 * the user's interpreter options kept in front of it (`python3 -X dev app.py`).
 */
const OPTIONS_WITH_VALUE = new Set(['-W', '-X', '-Q']);

/** [interpreter options, target…]: "-u -X dev app.py a" → [["-u","-X","dev"], ["app.py","a"]]. */
export function splitPythonArgs(args: readonly string[]): [string[], string[]] {
  const options: string[] = [];
  let isValue = false;
  for (const arg of args) {
    if (isValue) {
      // The value of the option before (`-X dev`), whatever it looks like.
      options.push(arg);
      isValue = false;
      continue;
    }
    if (arg === '-m' || arg === '-c' || !arg.startsWith('-') || arg === '-') break;
    options.push(arg);
    isValue = OPTIONS_WITH_VALUE.has(arg);
  }
  // Every argument taken so far went into `options`: the rest starts there.
  return [options, args.slice(options.length)];
}

export async function preparePythonLaunch(options: {
  argv: Argv;
  cwd: string;
  env: Record<string, string>;
  tmpDir: string;
  kind: 'cpu' | 'heap' | 'leak';
  intervalUs: number;
  pySpy?: string;
  memoryFunction?: string;
}): Promise<{ plan: LaunchPlan; outDir: string; profiler: 'py-spy' | 'cProfile' | 'tracemalloc' }> {
  const outDir = join(options.tmpDir, 'python');
  await mkdir(outDir, { recursive: true });
  const [python, ...rest] = options.argv;
  const [interpreterOptions, target] = splitPythonArgs(rest);
  if (options.kind === 'cpu' && options.pySpy && !options.memoryFunction) {
    const rate = Math.max(1, Math.round(1e6 / options.intervalUs));
    return {
      outDir,
      profiler: 'py-spy',
      plan: {
        command: options.pySpy,
        args: [
          'record',
          '--format',
          'speedscope',
          '--output',
          join(outDir, 'py-spy.speedscope.json'),
          '--rate',
          String(rate),
          '--subprocesses',
          '--',
          python,
          ...rest,
        ],
        cwd: options.cwd,
        env: options.env,
        rssExcludeLeader: true,
      },
    };
  }
  const helper = join(options.tmpDir, 'perfeng_helper.py');
  await writeFile(helper, PYTHON_HELPER);
  return {
    outDir,
    profiler: options.kind === 'cpu' ? 'cProfile' : 'tracemalloc',
    plan: {
      command: python,
      args: [...interpreterOptions, helper, options.kind, outDir, '--', ...target],
      cwd: options.cwd,
      env: {
        ...options.env,
        PYTHONUNBUFFERED: options.env.PYTHONUNBUFFERED ?? '1',
        ...(options.memoryFunction ? { PERFENG_MEMORY_FUNCTION: options.memoryFunction } : {}),
      },
    },
  };
}

export interface LineMemory {
  function: string;
  file: string;
  line: number;
  lines: Array<{ line: number; incrementMiB: number; memMiB: number; occurrences: number; code: string }>;
}

/** memory_profiler's per-line figures (python-helper.ts `start_line_memory`), or why there are none. */
export async function collectLineMemory(outDir: string, cwd: string, name: string): Promise<{ lineMemory?: LineMemory[]; warning?: string }> {
  const text = await readFile(join(outDir, 'python', 'line_memory.json'), 'utf8').catch(() => undefined);
  if (!text) return { warning: `memoryFunction: no line memory was written (the process did not end through the helper)` };
  const data = JSON.parse(text) as { error?: string; functions?: LineMemory[] };
  if (data.error) return { warning: `memoryFunction: ${data.error} — install Debian's python3-memory-profiler (apt-get install python3-memory-profiler)` };
  const locator = new Locator(cwd);
  const functions = (data.functions ?? []).map((f) => ({ ...f, file: locator.displayPath(f.file) }));
  if (!functions.length) return { warning: `memoryFunction: no function named "${name}" ran` };
  return { lineMemory: functions };
}

export async function collectPython(
  outDir: string,
  cwd: string,
  profiler: string,
  wallMs: number,
): Promise<{
  cpu: ProcessProfile[];
  heap: ProcessProfile[];
  heapGrowth?: TracemallocJson['growth'];
  rawFiles: Array<{ name: string; path: string; role?: 'pstats' }>;
  warnings: string[];
  missing: boolean;
}> {
  const locator = new Locator(cwd);
  const warnings: string[] = [];
  if (profiler === 'py-spy') {
    const path = join(outDir, 'py-spy.speedscope.json');
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (!text) return { cpu: [], heap: [], rawFiles: [], warnings, missing: true };
    const profile = parseSpeedscope(JSON.parse(text) as SpeedscopeFile, locator, 'python', 'py-spy');
    return {
      cpu: [{ profile, process: { pid: 0, command: 'python (py-spy)' } }],
      heap: [],
      rawFiles: [{ name: 'py-spy.speedscope.json', path }],
      warnings,
      missing: false,
    };
  }
  if (profiler === 'cProfile') {
    const text = await readFile(join(outDir, 'pstats.json'), 'utf8').catch(() => undefined);
    if (!text) return { cpu: [], heap: [], rawFiles: [], warnings, missing: true };
    const data = JSON.parse(text) as PstatsJson;
    const profile = parsePstatsJson(data, locator);
    profile.durationUs = Math.max(profile.durationUs, wallMs * 1000);
    warnings.push(
      'Python CPU profile by cProfile (deterministic, per call): it slows call-heavy code, so shares are skewed toward small, frequently called functions; install py-spy for a sampling profile',
    );
    return {
      cpu: [{ profile, process: { pid: data.info.pid, command: ['python', ...data.info.argv].join(' ').slice(0, 200) } }],
      heap: [],
      rawFiles: [{ name: 'profile.pstats', path: join(outDir, 'profile.pstats'), role: 'pstats' }],
      warnings,
      missing: false,
    };
  }
  const text = await readFile(join(outDir, 'tracemalloc.json'), 'utf8').catch(() => undefined);
  if (!text) return { cpu: [], heap: [], rawFiles: [], warnings, missing: true };
  const data = JSON.parse(text) as TracemallocJson;
  const profile = parseTracemallocJson(data, locator, wallMs * 1000);
  return {
    cpu: [],
    heap: [{ profile, process: { pid: data.info.pid, command: ['python', ...data.info.argv].join(' ').slice(0, 200) } }],
    heapGrowth: data.growth.map((g) => ({ ...g, file: locator.displayPath(g.file) })),
    rawFiles: [],
    warnings,
    missing: false,
  };
}
