import { readInputFileSync } from '../../common/input-files.js';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { defined, UserError } from '../../common/errors.js';
import type { HostLookup } from '../../common/hosts.js';
import { K6Collector } from './collector.js';
import { runExecutor, type ExecutorContext, type ExecutorVu } from './executors.js';
import { createHttpModule, DEFAULT_CALLBACK, FatalScriptError, InterruptedIteration, type HttpRunState } from './http.js';
import { preloadHtml } from './html.js';
import { loadK6Script, type LoadedScript } from './loader.js';
import { evaluateK6Threshold, parseK6Thresholds, type K6Threshold } from './metrics.js';
import { createK6Modules, resetSharedArrays, type ExecutionInfo } from './modules.js';
import { scenarioEndMs, scenariosFromOptions, type Overrides, type Scenario } from './options.js';

/**
 * Runs a k6 script: init (options, metrics) → setup() → scenarios → teardown(data) →
 * handleSummary(data). Every VU is a set of async functions on this one event loop; see
 * transform.ts for why.
 */
export interface K6RunOptions {
  scriptPath: string;
  /** Files the script reads (itself, its imports, open()) must pass the input-file gate: inside these folders, regular, under the cap. */
  files: { projectDir: string; allowedPaths: readonly string[]; maxBytes: number };
  env: Record<string, string>;
  overrides: Overrides;
  allowHosts: readonly string[];
  caps: { maxDurationS: number; maxConnections: number; maxRate: number };
  signal: AbortSignal;
  lookup?: HostLookup;
  onTick?(elapsedS: number, totalS: number, collector: K6Collector): void;
}

export interface K6RunOutcome {
  collector: K6Collector;
  scenarios: Scenario[];
  thresholds: K6Threshold[];
  options: Record<string, unknown>;
  measuredMs: number;
  aborted: boolean;
  abortReason?: string;
  /** What handleSummary returned (path → content), when the script has one. */
  handleSummary: ((data: unknown) => Promise<Record<string, unknown> | undefined>) | null;
  logs: string[];
  scriptErrors: number;
  setupData: unknown;
}

const MAX_LOG_LINES = 200;

class Vu implements ExecutorVu {
  groupPath = '';
  inInit = true;
  iteration = -1;
  iterationInScenario = -1;
  scenarioName = 'default';
  scenario: Scenario | null = null;
  vuTags: Record<string, string> = {};
  sinceYield = 0;
  controller = new AbortController();
  exports: Record<string, unknown> = {};
  env: Record<string, string> = {};
  closeHttp: () => Promise<void> = async () => undefined;
  interruptHttp: () => void = () => undefined;
  private tagCache: { key: Scenario | null; tags: Record<string, string> } | null = null;

  constructor(
    readonly id: number,
    private readonly baseTags: Record<string, string>,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get __VU(): number {
    return this.id;
  }

  get __ITER(): number {
    return Math.max(0, this.iteration);
  }

  tags(): Record<string, string> {
    if (!this.tagCache || this.tagCache.key !== this.scenario) {
      this.tagCache = { key: this.scenario, tags: { ...this.baseTags, ...(this.scenario?.tags ?? {}), scenario: this.scenarioName } };
    }
    const vuTags = this.vuTags;
    for (const _k in vuTags) return { ...this.tagCache.tags, ...vuTags };
    return this.tagCache.tags;
  }

  interrupt(): void {
    this.controller.abort();
    this.interruptHttp();
  }
}

async function eachAsync(array: unknown, method: string, callback: (...args: unknown[]) => unknown, ...rest: unknown[]): Promise<unknown> {
  const list = Array.from(array as ArrayLike<unknown>);
  switch (method) {
    case 'forEach':
      for (let i = 0; i < list.length; i++) await callback(list[i], i, array);
      return undefined;
    case 'map': {
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) out.push(await callback(list[i], i, array));
      return out;
    }
    case 'flatMap': {
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) out.push(await callback(list[i], i, array));
      return out.flat();
    }
    case 'filter': {
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) if (await callback(list[i], i, array)) out.push(list[i]);
      return out;
    }
    case 'some':
      for (let i = 0; i < list.length; i++) if (await callback(list[i], i, array)) return true;
      return false;
    case 'every':
      for (let i = 0; i < list.length; i++) if (!(await callback(list[i], i, array))) return false;
      return true;
    case 'find':
      for (let i = 0; i < list.length; i++) if (await callback(list[i], i, array)) return list[i];
      return undefined;
    case 'findIndex':
      for (let i = 0; i < list.length; i++) if (await callback(list[i], i, array)) return i;
      return -1;
    case 'reduce': {
      let i = 0;
      let acc = rest.length ? rest[0] : list[i++];
      for (; i < list.length; i++) acc = await callback(acc, list[i], i, array);
      return acc;
    }
  }
  throw new Error(`unsupported array method ${method}`);
}

function formatLog(args: unknown[]): string {
  return args
    .map((a) =>
      typeof a === 'string'
        ? a
        : (() => {
            try {
              return JSON.stringify(a);
            } catch {
              return String(a);
            }
          })(),
    )
    .join(' ');
}

/** The script line of an error: the first stack frame in one of the script's files. */
function scriptLocation(error: unknown, files: Iterable<string>): string {
  const stack = (error as Error)?.stack ?? '';
  files = [...files];
  for (const line of stack.split('\n')) {
    for (const file of files) {
      const at = line.indexOf(file);
      if (at >= 0) {
        const m = /:(\d+):(\d+)/.exec(line.slice(at + file.length));
        if (m) return `${file}:${m[1]}:${m[2]}`;
      }
    }
  }
  return '';
}

export async function runK6(options: K6RunOptions): Promise<K6RunOutcome> {
  const scriptPath = resolve(options.scriptPath);
  const readScriptFile = (path: string, what: string) => readInputFileSync(path, { ...options.files, what });
  const loaded: LoadedScript = loadK6Script(scriptPath, readScriptFile);
  if (loaded.usesHtml) await preloadHtml();
  const collector = new K6Collector();
  resetSharedArrays();
  const logs: string[] = [];
  let logCount = 0;
  loaded.console.sink = (level, args) => {
    logCount++;
    if (logs.length < MAX_LOG_LINES) logs.push(`${level}: ${formatLog(args)}`);
  };
  let scriptErrors = 0;
  const scriptError = (error: unknown, where: string) => {
    scriptErrors++;
    const loc = scriptLocation(error, loaded.modules.keys());
    const message = `${(error as Error)?.message ?? String(error)}${loc ? ` at ${loc}` : ''} (${where})`;
    collector.error('script_error', undefined, message);
    if (logs.length < MAX_LOG_LINES) logs.push(`error: ${message}`);
  };

  // ---- init context -------------------------------------------------------------------------
  let fatal: UserError | null = null;
  let stopped = false;
  let abortReason: string | undefined;
  let options_: Record<string, unknown> = {};
  const stopAll = (reason: string) => {
    if (stopped) return;
    stopped = true;
    abortReason = reason;
    for (const vu of allVus) vu.interrupt();
  };
  const httpState: HttpRunState = {
    settings: {
      hosts: {},
      allowHosts: options.allowHosts,
      lookup: options.lookup,
      userAgent: 'k6/0.57.0 (https://k6.io/) performance-engineer',
      insecureSkipTLSVerify: false,
      noConnectionReuse: false,
      maxRedirects: 10,
      discardResponseBodies: false,
      batch: 20,
      batchPerHost: 6,
      timeoutMs: 60_000,
    },
    collector,
    resolved: new Map(),
    responseCallback: DEFAULT_CALLBACK,
    sweepers: new Set(),
  };
  const sweepTimer = setInterval(() => {
    for (const sweep of httpState.sweepers) sweep();
  }, 100).unref();
  const allVus: Vu[] = [];
  const testStart = () => collector.testStart;
  const scenarioState = new Map<string, { started: number; iterations: number }>();
  let scenarios: Scenario[] = [];
  const execution: ExecutionInfo = {
    scenario: (vu) => {
      const v = vu as unknown as Vu;
      const s = v.scenario;
      const st = s ? scenarioState.get(s.name) : undefined;
      const elapsed = st ? performance.now() - st.started : 0;
      return {
        name: s?.name ?? '',
        executor: s?.executor ?? '',
        startTime: st ? Math.round(performance.timeOrigin + st.started) : 0,
        progress: s && s.durationMs > 0 ? Math.min(1, elapsed / s.durationMs) : 0,
        iterationInInstance: v.iterationInScenario,
        iterationInTest: v.iterationInScenario,
      };
    },
    instance: () => ({
      iterationsCompleted: collector.iterationsDone,
      iterationsInterrupted: collector.interrupted,
      vusActive: collector.vusActive,
      vusInitialized: allVus.length,
      currentTestRunDuration: performance.now() - testStart(),
    }),
    abort: (reason?: string) => {
      stopAll(`test.abort()${reason ? `: ${reason}` : ''}`);
      throw new InterruptedIteration();
    },
    get options() {
      return options_;
    },
  };

  const openFile = (moduleDir: string) => (path: string, mode?: string) => {
    const data = readScriptFile(resolve(moduleDir, String(path)), 'file opened by the k6 script');
    return mode === 'b' ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data.toString('utf8');
  };

  const baseTags: Record<string, string> = {};
  const newVu = (id: number): Vu => {
    const vu = new Vu(id, baseTags);
    vu.env = { ...options.env };
    const http = createHttpModule(httpState, vu);
    vu.closeHttp = http.close;
    vu.interruptHttp = http.interrupt;
    const k6mods: Record<string, unknown> = { ...createK6Modules(vu, collector, execution), 'k6/http': Object.assign(http, { default: http }) };
    const instances = new Map<string, Record<string, unknown>>();
    const instantiate = (path: string): Record<string, unknown> => {
      const existing = instances.get(path);
      if (existing) return existing;
      const exports: Record<string, unknown> = {};
      instances.set(path, exports);
      const mod = defined(loaded.modules.get(path), `the loaded module ${path}`);
      const k6Import = (spec: string) => {
        if (Object.hasOwn(k6mods, spec)) return k6mods[spec];
        const target = mod.imports.get(spec);
        // The transform turns only the module's own imports into __k6_import calls; a script
        // calling __k6_import itself gets this error (wrapped as an init failure below).
        if (target === undefined) throw new Error(`module "${spec}" is not among the imports of ${path}`);
        return instantiate(target);
      };
      mod.factory(k6Import, exports, eachAsync as never, vu, vu.env, openFile(dirname(path)));
      return exports;
    };
    try {
      vu.exports = instantiate(scriptPath);
    } catch (error) {
      if (error instanceof UserError) throw error;
      const loc = scriptLocation(error, loaded.modules.keys());
      throw new UserError(
        `the script's init code failed${loc ? ` at ${loc}` : ''}: ${(error as Error)?.message ?? String(error)}`,
        'fix the script; it must run in k6 too',
      );
    }
    vu.inInit = false;
    return vu;
  };

  // VU 0 reads the options and runs setup/teardown/handleSummary, as k6's own init instance.
  const vu0 = newVu(0);
  options_ = (vu0.exports.options as Record<string, unknown>) ?? {};
  if (typeof options_ !== 'object') throw new UserError('`export const options` must be an object');
  for (const [k, v] of Object.entries((options_.tags as Record<string, unknown>) ?? {})) baseTags[k] = String(v);
  const s = httpState.settings;
  s.hosts = Object.fromEntries(Object.entries((options_.hosts as Record<string, unknown>) ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  s.insecureSkipTLSVerify = options_.insecureSkipTLSVerify === true;
  s.noConnectionReuse = options_.noConnectionReuse === true;
  s.discardResponseBodies = options_.discardResponseBodies === true;
  if (typeof options_.userAgent === 'string') s.userAgent = options_.userAgent;
  if (typeof options_.maxRedirects === 'number') s.maxRedirects = options_.maxRedirects;
  if (typeof options_.batch === 'number') s.batch = Math.max(1, options_.batch);
  if (typeof options_.batchPerHost === 'number') s.batchPerHost = Math.max(0, Math.floor(options_.batchPerHost));
  if (options_.httpDebug) throw new UserError('options.httpDebug is not supported', 'remove it; response details are in the result artefacts');
  for (const unsupported of ['ext', 'cloud', 'browser'] as const) {
    if (options_[unsupported] !== undefined)
      throw new UserError(`options.${unsupported} is not supported (k6 Cloud / browser)`, `remove options.${unsupported} to run the script here`);
  }

  scenarios = scenariosFromOptions(options_, options.overrides);
  for (const sc of scenarios) {
    if (typeof vu0.exports[sc.exec] !== 'function') {
      throw new UserError(
        `scenario "${sc.name}" runs "${sc.exec}", which the script does not export as a function`,
        sc.exec === 'default' ? 'add `export default function () { … }`' : `export function ${sc.exec}() { … }`,
      );
    }
  }
  // Caps from .perf/config.json, checked before any traffic.
  const totalVus = scenarios.reduce((n, sc) => n + sc.maxVUs, 0);
  if (totalVus > options.caps.maxConnections)
    throw new UserError(
      `the scenarios need up to ${totalVus} VUs, over the cap of ${options.caps.maxConnections}`,
      'lower vus/maxVUs or raise "load.maxConnections" in .perf/config.json',
    );
  for (const sc of scenarios) {
    const peak = Math.max(sc.rate, sc.startRate, ...sc.stages.map((st) => st.target)) * (1000 / sc.timeUnitMs);
    if (sc.executor.endsWith('arrival-rate') && peak > options.caps.maxRate)
      throw new UserError(
        `scenario "${sc.name}" peaks at ${peak} iterations/s, over the cap of ${options.caps.maxRate}/s`,
        'lower the rate or raise "load.maxRate"',
      );
    // maxDuration of the iteration executors is a bound, not a length: the cap bounds it too.
    if (sc.executor.endsWith('iterations')) sc.durationMs = Math.max(0, Math.min(sc.durationMs, options.caps.maxDurationS * 1000 - sc.startTimeMs));
    if (sc.startTimeMs + sc.durationMs > options.caps.maxDurationS * 1000) {
      throw new UserError(
        `scenario "${sc.name}" lasts until ${(sc.startTimeMs + sc.durationMs) / 1000} s, over the cap of ${options.caps.maxDurationS} s`,
        sc.executor.endsWith('iterations')
          ? 'set maxDuration (default 10m) or raise "load.maxDurationS"'
          : 'shorten it or raise "load.maxDurationS" in .perf/config.json',
      );
    }
  }
  const thresholds = parseK6Thresholds(options_.thresholds, collector.registry);
  const totalMs = Math.max(...scenarios.map((sc) => sc.startTimeMs + sc.durationMs));

  const onAbort = () => stopAll('cancelled');
  if (options.signal.aborted) onAbort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  allVus.push(vu0);
  const closeAll = () => Promise.all(allVus.map((vu) => vu.closeHttp()));

  const callHook = async (name: 'setup' | 'teardown', arg?: unknown): Promise<unknown> => {
    const fn = vu0.exports[name];
    if (typeof fn !== 'function') return undefined;
    vu0.scenarioName = name;
    try {
      return await (fn as (d?: unknown) => unknown)(arg);
    } catch (error) {
      if (error instanceof FatalScriptError) throw error.userError;
      if (error instanceof InterruptedIteration) return undefined;
      const loc = scriptLocation(error, loaded.modules.keys());
      throw new UserError(`${name}() failed${loc ? ` at ${loc}` : ''}: ${(error as Error)?.message ?? String(error)}`, 'fix the script');
    }
  };

  let setupData: unknown;
  let measuredMs = 0;
  const ticker = setInterval(() => {
    collector.sampleVus();
    const elapsed = performance.now() - collector.testStart;
    for (const t of thresholds) {
      if (!t.abortOnFail || elapsed < t.delayAbortEvalMs) continue;
      const verdict = evaluateK6Threshold(t, elapsed / 1000);
      if (!verdict.ok) {
        stopAll(`threshold ${t.metric} "${t.expression}" failed (actual ${verdict.actual}) at ${(elapsed / 1000).toFixed(1)} s (abortOnFail)`);
        break;
      }
    }
    options.onTick?.(Math.min(elapsed, totalMs) / 1000, totalMs / 1000, collector);
  }, 1000);
  try {
    setupData = await callHook('setup');
    const dataJson = setupData === undefined ? undefined : JSON.stringify(setupData);
    collector.testStart = performance.now();
    let nextVuId = 1;
    let active = 0;
    const runScenario = async (sc: Scenario) => {
      if (sc.startTimeMs > 0) await waitUntil(collector.testStart + sc.startTimeMs);
      if (stopped) return;
      const started = performance.now();
      const st = { started, iterations: 0 };
      scenarioState.set(sc.name, st);
      const fnName = sc.exec;
      const pool: Vu[] = [];
      const beginIteration = (vu: Vu): number => {
        if (vu.signal.aborted) vu.controller = new AbortController();
        vu.iteration++;
        vu.iterationInScenario = st.iterations++;
        vu.groupPath = '';
        active++;
        const t0 = performance.now();
        collector.vus(active, allVus.length - 1, t0);
        return t0;
      };
      /** Records the iteration's end; true when the VU should yield to the event loop. */
      const endIteration = (vu: Vu, t0: number, threw: boolean, error: unknown): boolean => {
        if (!threw) {
          const t1 = performance.now();
          collector.iteration(t1 - t0, vu.tags(), t1);
        } else if (error instanceof InterruptedIteration) collector.interrupted++;
        else if (error instanceof FatalScriptError) {
          fatal ??= error.userError;
          stopAll(error.message);
        } else {
          scriptError(error, `scenario ${sc.name}, VU ${vu.id}`);
          collector.iteration(performance.now() - t0, vu.tags());
        }
        active--;
        vu.groupPath = '';
        if (vu.signal.aborted) vu.controller = new AbortController();
        if (++vu.sinceYield >= 32) {
          vu.sinceYield = 0;
          return true;
        }
        return false;
      };
      const ctx: ExecutorContext<Vu> = {
        now: () => performance.now() - started,
        stopped: () => stopped,
        acquire: () => {
          const vu = pool.pop() ?? newVu(nextVuId++);
          if (!allVus.includes(vu)) allVus.push(vu);
          vu.scenario = sc;
          vu.scenarioName = sc.name;
          vu.iterationInScenario = -1;
          Object.assign(vu.env, sc.env);
          collector.vus(collector.vusActive, allVus.length - 1);
          return vu;
        },
        release: (vu) => {
          pool.push(vu);
        },
        // Small on purpose: an async function's suspended frame (all its locals) is a heap
        // object per iteration; the bookkeeping is in plain functions around the await.
        iterate: async (vu) => {
          if (stopped) return;
          const t0 = beginIteration(vu);
          let threw = false;
          let failure: unknown;
          try {
            await (vu.exports[fnName] as (d: unknown) => unknown)(dataJson === undefined ? undefined : JSON.parse(dataJson));
          } catch (error) {
            threw = true;
            failure = error;
          }
          // An iteration with nothing blocking must still let timers (and cancellation) run.
          if (endIteration(vu, t0, threw, failure)) await yieldToLoop();
        },
        dropped: () => collector.droppedIteration({ ...baseTags, ...sc.tags, scenario: sc.name }),
        wait: (ms) => waitFor(ms, () => stopped),
      };
      await runExecutor(sc, ctx);
    };
    await Promise.all(scenarios.map(runScenario));
    measuredMs = Math.min(performance.now() - collector.testStart, Math.max(...scenarios.map(scenarioEndMs)));
    collector.vus(0, allVus.length - 1);
    if (fatal) throw fatal;
    if (!options.signal.aborted) {
      stopped = false;
      vu0.controller = new AbortController();
      await callHook('teardown', setupData === undefined ? undefined : JSON.parse(JSON.stringify(setupData)));
    }
    if (fatal) throw fatal;
  } finally {
    clearInterval(ticker);
    clearInterval(sweepTimer);
    options.signal.removeEventListener('abort', onAbort);
    await closeAll();
  }
  const aborted = abortReason !== undefined;
  const handle = vu0.exports.handleSummary;
  if (logCount > logs.length) logs.push(`… ${logCount - logs.length} more log lines`);
  return {
    collector,
    scenarios,
    thresholds,
    options: options_,
    measuredMs,
    aborted,
    ...(abortReason ? { abortReason } : {}),
    handleSummary:
      typeof handle === 'function'
        ? async (data) => {
            try {
              return (await (handle as (d: unknown) => unknown)(data)) as Record<string, unknown> | undefined;
            } catch (error) {
              const loc = scriptLocation(error, loaded.modules.keys());
              throw new UserError(`handleSummary() failed${loc ? ` at ${loc}` : ''}: ${(error as Error)?.message ?? String(error)}`, 'fix the script');
            }
          }
        : null,
    logs,
    scriptErrors,
    setupData,
  };
}

/** Sleeps in steps of at most 200 ms so a stop (cancellation, abortOnFail) is seen within one. */
async function waitFor(ms: number, stopped: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    const left = until - performance.now();
    if (stopped() || left <= 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, Math.min(left, 200)));
  }
}

function waitUntil(atMs: number): Promise<void> {
  return new Promise((resolveWait) => setTimeout(resolveWait, Math.max(0, atMs - performance.now())));
}
