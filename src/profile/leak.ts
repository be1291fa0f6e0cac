import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext, ToolOutcome } from '../common/context.js';
import { CancelledError, defined, UserError } from '../common/errors.js';
import { listDescendants } from '../common/spawn.js';
import { round } from '../common/units.js';
import { createRun } from '../store/runs.js';
import { checkAttachScope, listeningPorts, processKind } from './attach-node.js';
import { detectRuntime, findExecutable } from './command-line.js';
import type { LoadSummary } from './drive-load.js';
import { analyseThreeSnapshots, maxObjectId, type RetainedSite } from './heap-snapshot.js';
import { commandArgv, launchAndWait, outputTail, type LaunchPlan } from './launch.js';
import { renderLeakPage } from './leak-report.js';
import { judgeLeak, MIN_LEAK_BYTES_PER_REQUEST, requestsAt, WARMUP_SHARE, type LeakFit, type MemoryPoint } from './leak-model.js';
import { recordNodeLeak, type MemorySample } from './leak-node.js';
import { Locator } from './locate.js';
import { PYTHON_HELPER } from './python-helper.js';
import { splitPythonArgs } from './runner-python.js';
import type { ProfileInput, ProfileOutput } from './schema.js';
import { profileProcessTool } from './tool.js';

/**
 * profile_process kind "leak": measure (memory samples against requests served, plus heap
 * snapshots or tracemalloc snapshots) → model (leak-model.ts: the regression and its
 * verdict; heap-snapshot.ts: the retained allocation sites) → render (leak-report.ts).
 *
 * Launched (Node or Python, with `waitForPort` and `load`) the load is ours and every sample
 * has a request count. Attached to a Node pid, `load` is optional: without it the caller
 * drives the process during `durationS` and the growth is per second instead.
 */
interface Tick {
  t: number;
  requests: number;
  share: number;
}

/** The `leak` part of the result. */
export type LeakOutput = NonNullable<ProfileOutput['leak']>;

export interface LeakRecording {
  runtime: 'node' | 'python';
  memory: string;
  samples: MemorySample[];
  ticks: Tick[];
  sites: RetainedSite[];
  /** Node's three heap snapshots (after the warm-up, later, at the end); none for Python. */
  snapshots: [] | [string, string, string];
  snapshotSteps?: Array<{ t: number; bytes: number }>;
  warnings: string[];
  load?: LoadSummary;
  wallMs: number;
  peakRssBytes: number;
  target: string;
  pid: number;
  analysed?: { objects: number; bytes: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The node process of the tree that listens on the port (npm start → node server.js). */
async function listenerOf(rootPid: number, port: number, signal: AbortSignal): Promise<number> {
  const until = Date.now() + 5000;
  while (Date.now() < until && !signal.aborted) {
    for (const pid of [rootPid, ...listDescendants(rootPid)]) {
      if (processKind(pid).kind === 'node' && listeningPorts(pid).includes(port)) return pid;
    }
    await sleep(100);
  }
  if (signal.aborted) throw new CancelledError();
  throw new UserError(`no Node.js process of the launched tree listens on port ${port}`, 'check waitForPort (the port the Node.js server itself opens)');
}

function loadShare(ticks: Tick[]): number {
  return ticks.at(-1)?.share ?? 0;
}

async function launchLeak(input: ProfileInput, context: RunContext, cwd: string, tmpDir: string, maxS: number): Promise<LeakRecording> {
  const argv = commandArgv(defined(input.command, '`command` (runLeak launches only when no pid is given)'));
  const [program, ...args] = argv;
  const env: Record<string, string> = { ...(input.env ?? {}) };
  const executable = findExecutable(program, cwd, env.PATH ?? process.env.PATH);
  if (!executable) throw new UserError(`command not found: "${program}"`, 'check the spelling, or give the full path');
  const runtime = input.runtime === 'auto' ? detectRuntime(argv, executable) : input.runtime;
  if (runtime !== 'node' && runtime !== 'python') {
    throw new UserError('kind "leak" works for Node.js and Python programs', 'for native programs use heaptrack or valgrind massif outside this tool');
  }
  const { waitForPort } = input;
  if (!input.load || waitForPort === undefined) {
    throw new UserError(
      'kind "leak" needs `load` and `waitForPort` when launching: memory is measured against the requests the load serves',
      'add waitForPort (the port the server opens) and load, e.g. { "url": "http://127.0.0.1:3000/", "duration": "20s" }',
    );
  }
  const target = argv.join(' ').slice(0, 120);
  const ticks: Tick[] = [];
  const warnings: string[] = [];
  let samples: MemorySample[] = [];
  let snapshots: LeakRecording['snapshots'] = [];
  let snapshotSteps: LeakRecording['snapshotSteps'] = [];
  let pid = 0;
  let plan: LaunchPlan;
  let run: (rootPid: number, loadEnded: Promise<LoadSummary | undefined>) => Promise<void>;
  const finalTick = (load: LoadSummary | undefined) => {
    if (load) ticks.push({ t: Date.now(), requests: load.requests, share: 1 });
  };
  const pyDir = join(tmpDir, 'python');
  if (runtime === 'node') {
    const existing = env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
    // SIGUSR1 then opens the inspector on a free port, so parallel runs do not fight over 9229.
    plan = { command: program, args, cwd, env: { ...env, NODE_OPTIONS: `${existing} --inspect-port=127.0.0.1:0`.trim() }, killGraceMs: 5000 };
    run = async (rootPid, loadEnded) => {
      pid = await listenerOf(rootPid, waitForPort, context.signal);
      let ended = false;
      void loadEnded.then((load) => {
        finalTick(load);
        ended = true;
      });
      const recording = await recordNodeLeak({ pid, dir: tmpDir, context, progress: () => loadShare(ticks), ended: () => ended });
      samples = recording.samples;
      snapshots = recording.snapshots;
      snapshotSteps = recording.snapshotSteps;
      warnings.push(...recording.warnings);
    };
  } else {
    await mkdir(pyDir, { recursive: true });
    const helper = join(tmpDir, 'perfeng_helper.py');
    await writeFile(helper, PYTHON_HELPER);
    const [interpreterOptions, script] = splitPythonArgs(args);
    plan = {
      command: program,
      args: [...interpreterOptions, helper, 'leak', pyDir, '--', ...script],
      cwd,
      env: { ...env, PYTHONUNBUFFERED: env.PYTHONUNBUFFERED ?? '1' },
    };
    const requestSnapshot = async (n: number) => {
      await writeFile(join(pyDir, `snapshot-${n}.request`), '');
      const until = Date.now() + 60_000;
      while (!(await stat(join(pyDir, `snapshot-${n}.done`)).catch(() => undefined))) {
        if (context.signal.aborted) throw new CancelledError();
        if (Date.now() > until)
          throw new UserError(`the Python process did not take tracemalloc snapshot ${n} within 60 s`, 'is it stuck? Its output is in the error above');
        await sleep(50);
      }
    };
    run = async (rootPid, loadEnded) => {
      pid = rootPid;
      let ended = false;
      void loadEnded.then((load) => {
        finalTick(load);
        ended = true;
      });
      while (!ended && loadShare(ticks) < WARMUP_SHARE && !context.signal.aborted) await sleep(100);
      if (context.signal.aborted) throw new CancelledError();
      await requestSnapshot(1);
      await loadEnded;
      await requestSnapshot(3);
    };
  }
  const result = await launchAndWait(plan, {
    durationS: maxS,
    waitForPort,
    waitForPortTimeoutS: input.waitForPortTimeoutS,
    load: input.load as Record<string, unknown>,
    context,
    duringLoad: {
      observe: (tick) => ticks.push({ t: Date.now(), requests: tick.requests, share: tick.totalS > 0 ? tick.elapsedS / tick.totalS : 0 }),
      run: (rootPid, loadEnded) => run(rootPid, loadEnded),
    },
  });
  if (result.cancelled) throw new CancelledError();
  warnings.push(...result.warnings);
  if (!result.stoppedByUs) {
    throw new UserError(
      `"${target}" exited (code ${result.exit.exitCode ?? result.exit.signal}) before the leak window ended`,
      `keep the server running for the whole load. Its last output:\n${outputTail(result.exit.stderr || result.exit.stdout) || '(none)'}`,
    );
  }
  const locator = new Locator(cwd);
  let sites: RetainedSite[] = [];
  if (runtime === 'python') {
    const text = await readFile(join(pyDir, 'samples.jsonl'), 'utf8').catch(() => '');
    samples = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { t: number; traced: number; rss: number })
      .map((s) => ({ t: s.t, heapUsed: s.traced, rss: s.rss }));
    const leak = JSON.parse(await readFile(join(pyDir, 'leak.json'), 'utf8')) as {
      sites: Array<{ file: string; line: number; function: string; bytes: number; count: number }>;
    };
    sites = leak.sites
      .slice(0, input.top)
      .map(
        (s): RetainedSite =>
          ({ function: s.function, file: locator.displayPath(s.file), line: s.line, retainedBytes: s.bytes, count: s.count }) as RetainedSite,
      );
  }
  return {
    runtime,
    memory: runtime === 'node' ? 'V8 heap used outside code space, after a full GC' : 'memory traced by tracemalloc (Python allocations still alive)',
    samples,
    ticks,
    sites,
    snapshots,
    snapshotSteps,
    warnings,
    ...(result.load ? { load: result.load } : {}),
    wallMs: result.wallMs,
    peakRssBytes: result.peakRssBytes,
    target,
    pid,
  };
}

async function attachLeak(pid: number, input: ProfileInput, context: RunContext, tmpDir: string, durationS: number): Promise<LeakRecording> {
  checkAttachScope(pid, context);
  const { kind, command } = processKind(pid);
  if (kind !== 'node') {
    throw new UserError(
      `process ${pid} (${command || 'unknown'}) is not Node.js: kind "leak" by pid needs Node.js`,
      'relaunch a Python server through `command` with `waitForPort` and `load` (tracemalloc)',
    );
  }
  const ticks: Tick[] = [];
  const started = Date.now();
  let load: LoadSummary | undefined;
  let ended = false;
  let loading: Promise<void> | undefined;
  if (input.load) {
    const { driveLoad } = await import('./drive-load.js');
    loading = driveLoad(input.load as Record<string, unknown>, context, (tick) =>
      ticks.push({ t: Date.now(), requests: tick.requests, share: tick.totalS > 0 ? tick.elapsedS / tick.totalS : 0 }),
    ).then(
      (summary) => {
        load = summary;
        ticks.push({ t: Date.now(), requests: summary.requests, share: 1 });
        ended = true;
      },
      (error: unknown) => {
        ended = true;
        throw error;
      },
    );
  }
  const progress = () => (input.load ? loadShare(ticks) : (Date.now() - started) / (durationS * 1000));
  const isEnded = () => (input.load ? ended : progress() >= 1);
  const [recording] = await Promise.all([recordNodeLeak({ pid, dir: tmpDir, context, progress, ended: isEnded }), loading]);
  return {
    runtime: 'node',
    memory: 'V8 heap used outside code space, after a full GC',
    samples: recording.samples,
    ticks,
    sites: [],
    snapshots: recording.snapshots,
    snapshotSteps: recording.snapshotSteps,
    warnings: [
      ...recording.warnings,
      ...(input.load ? [] : ['no load was driven by this run: growth is per second of your traffic, not per request (give `load` to count requests)']),
    ],
    ...(load ? { load } : {}),
    wallMs: Date.now() - started,
    peakRssBytes: Math.max(0, ...recording.samples.map((s) => s.rss)),
    target: `pid ${pid} (${command})`,
    pid,
  };
}

export async function runLeak(input: ProfileInput, context: RunContext, cwd: string, durationS: number, maxS: number): Promise<ToolOutcome<ProfileOutput>> {
  const tmpDir = await mkdtemp(join(tmpdir(), 'perfeng-leak-'));
  try {
    const recording = input.pid ? await attachLeak(input.pid, input, context, tmpDir, durationS) : await launchLeak(input, context, cwd, tmpDir, maxS);
    context.report(1, 1, 'analysing');
    const perRequest = recording.ticks.length > 0;
    const points: MemoryPoint[] = [];
    const t0 = recording.samples[0]?.t ?? 0;
    for (const s of recording.samples) {
      const x = perRequest ? requestsAt(recording.ticks, s.t) : (s.t - t0) / 1000;
      if (x !== undefined) points.push({ x, y: s.heapUsed, ...(s.segment !== undefined ? { segment: s.segment } : {}) });
    }
    // Without request counts the minimum effect is per second: 32 B/request at ~1000 req/s.
    const fit = judgeLeak(points, perRequest ? {} : { minSlope: MIN_LEAK_BYTES_PER_REQUEST * 1000 });
    const { snapshots } = recording;
    if (recording.runtime === 'node' && snapshots.length === 3) {
      const [first, second, third] = snapshots;
      const [afterId, upToId] = [await maxObjectId(first), await maxObjectId(second)];
      const analysed = await analyseThreeSnapshots({ third, afterId, upToId, locator: new Locator(cwd), limit: input.top });
      recording.sites = analysed.sites;
      if (analysed.unattributedBytes > 0) {
        recording.warnings.push(
          `${Math.round(analysed.unattributedBytes / 1024)} KiB of the surviving objects have no allocation stack (made by the runtime, not by a JS function) and are left out of the sites`,
        );
      }
      recording.analysed = { objects: analysed.objects, bytes: analysed.bytes };
      if (!analysed.tracked) recording.warnings.push('the snapshots carry no allocation stacks: sites are grouped by constructor only');
    }
    return await writeLeakRun(input, context, recording, fit, perRequest);
  } finally {
    await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function leakSummary(out: ProfileOutput, leak: LeakOutput, fit: LeakFit, recording: LeakRecording, runId: string): string {
  const word = leak.verdict === 'leak' ? 'LEAK' : leak.verdict === 'no-leak' ? 'NO LEAK' : 'INCONCLUSIVE';
  const rate =
    leak.bytesPerRequest !== null
      ? `${Math.round(leak.bytesPerRequest)} B/request (95% CI ${Math.round(fit.ci[0])}–${Math.round(fit.ci[1])})`
      : `${Math.round(leak.bytesPerSecond ?? 0)} B/s`;
  const top = leak.sites[0];
  const lines = [
    `${word}: ${rate}, +${leak.growthMiB} MiB over ${recording.load ? `${recording.load.requests} requests` : `${out.durationS} s`} (${leak.samples} samples) — ${recording.target}; run ${runId}`,
    fit.reason,
  ];
  if (top)
    lines.push(
      `Top retained site: ${top.function} ${top.file}:${top.line} — ${Math.round(top.retainedBytes / 1024)} KiB in ${top.count} ${top.constructor ?? 'allocations'}${top.retainerPath?.length ? `; held by ${top.retainerPath.join(' → ')}` : ''}`,
    );
  for (const site of leak.sites.slice(1, 5))
    lines.push(
      `  ${site.function} ${site.file}:${site.line} — ${Math.round(site.retainedBytes / 1024)} KiB, ${site.count}${site.constructor ? ` ${site.constructor}` : ''}`,
    );
  if (out.load) lines.push(`Load: ${Math.round(out.load.throughputRps)} req/s, p99 ${out.load.latencyMs.p99} ms`);
  lines.push('', `Report: ${out.artifacts.flamegraph}`);
  return lines.join('\n');
}

async function writeLeakRun(
  input: ProfileInput,
  context: RunContext,
  recording: LeakRecording,
  fit: LeakFit,
  perRequest: boolean,
): Promise<ToolOutcome<ProfileOutput>> {
  const run = await createRun(context.projectDir, 'profile', input.title ?? `leak ${recording.target}`);
  const snapshots: string[] = [];
  for (const [i, file] of recording.snapshots.entries()) {
    const target = run.path(`snapshot-${i + 1}.heapsnapshot`);
    await copyFile(file, target).then(
      () => snapshots.push(target),
      () => undefined,
    );
  }
  const firstSample = recording.samples[0];
  const lastSample = recording.samples.at(-1);
  const seconds = firstSample && lastSample ? (lastSample.t - firstSample.t) / 1000 : 0;
  const bytesPerRequestCI: [number, number] = [round(fit.ci[0], 1), round(fit.ci[1], 1)];
  const leak: LeakOutput = {
    verdict: fit.verdict,
    bytesPerRequest: perRequest ? round(fit.slope, 1) : null,
    // Without request counts the CI is per second: no bytesPerRequestCI then.
    ...(perRequest ? { bytesPerRequestCI } : {}),
    ...(perRequest && seconds > 0 && recording.load
      ? { bytesPerSecond: round(fit.slope * recording.load.throughputRps, 0) }
      : !perRequest
        ? { bytesPerSecond: round(fit.slope, 0) }
        : {}),
    growthMiB: round(fit.growthBytes / 1024 / 1024, 3),
    memory: recording.memory,
    samples: fit.n,
    reason: fit.reason,
    sites: recording.sites.slice(0, input.top),
  };
  const out: ProfileOutput = {
    runtime: recording.runtime,
    profiler: recording.runtime === 'node' ? 'inspector heap snapshots (allocation tracking)' : 'tracemalloc',
    kind: 'leak',
    durationS: round(recording.wallMs / 1000, 3),
    samples: 0,
    hotFunctions: [],
    hotPaths: [],
    peakRssBytes: recording.peakRssBytes,
    processes: recording.pid ? [{ pid: recording.pid, command: recording.target, samples: 0, cpuMs: 0 }] : [],
    leak,
    warnings: recording.warnings,
    artifacts: {
      dir: run.dir,
      flamegraph: run.path('report.html'),
      result: run.path('result.json'),
      ...(snapshots.length ? { snapshots } : {}),
    },
  };
  if (recording.load) out.load = recording.load;
  out.exitCode = null;
  await run.writeJson('memory.json', { samples: recording.samples, ticks: recording.ticks, snapshotSteps: recording.snapshotSteps ?? [], fit });
  await run.writeFile('report.html', renderLeakPage({ out, leak, recording, fit, perRequest }));
  out.verdict = profileProcessTool.verdict(out).verdict as ProfileOutput['verdict'];
  await run.writeResult({ tool: profileProcessTool.name, input, result: out, verdict: profileProcessTool.verdict(out), aborted: context.signal.aborted });
  return { structured: out, summary: leakSummary(out, leak, fit, recording, run.id) };
}
