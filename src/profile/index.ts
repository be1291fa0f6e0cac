import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunContext, ToolOutcome } from '../common/context.js';
import { defined, UserError } from '../common/errors.js';
import { portOfUrl } from '../common/hosts.js';
import { formatBytes, round } from '../common/units.js';
import { parseInput } from '../common/validate.js';
import { createRun } from '../store/runs.js';
import { analyseProfile, frameLabel, pct, type Analysis } from './analyse.js';
import { attachNode, checkAttachScope, listeningPorts, processKind } from './attach-node.js';
import { detectRuntime, findExecutable } from './command-line.js';
import { diffProfiles, loadProfileRef } from './diff.js';
import { toCpuProfile } from './export-cpuprofile.js';
import { toFolded } from './export-folded.js';
import { toPprof } from './export-pprof.js';
import { toSpeedscope } from './export-speedscope.js';
import { buildFlameTree } from './flame-tree.js';
import { commandArgv, launchAndWait, outputTail, type LaunchPlan, type LaunchResult } from './launch.js';
import { Locator } from './locate.js';
import { parseSpeedscope } from './parse-speedscope.js';
import { sampleTreeRss } from './rss.js';
import { runCommand } from '../common/spawn.js';
import { mergeProfiles, type Profile } from './model.js';
import { findIdle } from './idle.js';
import { headline, reportSections, summaryText } from './present.js';
import { renderFlamegraphPage } from './render-flamegraph.js';
import { collectNodeProfiles, prepareNodeLaunch } from './runner-node.js';
import { checkPerfAccess, collectPerf, perfFailure, preparePerfLaunch } from './runner-perf.js';
import { collectLineMemory, collectPython, preparePythonLaunch } from './runner-python.js';
import type { Collected, ProcessProfile } from './runner-types.js';
import { profileDiffInputSchema, profileInputSchema, type ProfileDiffOutput, type ProfileInput, type ProfileOutput } from './schema.js';
import { profileProcessTool } from './tool.js';

/**
 * profile_process: measure (runner: launch or attach) → model (one Profile per process,
 * merged) → analyse (self/total, paths, buckets) → render (exports, flame graph, summary).
 */

function portOfLoad(load: Record<string, unknown> | undefined): number | undefined {
  const url = (load?.url as string | undefined) ?? (load?.requests as Array<{ url?: string }> | undefined)?.[0]?.url;
  if (!url) return undefined;
  try {
    return portOfUrl(new URL(url));
  } catch {
    return undefined;
  }
}

async function launch(
  input: ProfileInput,
  context: RunContext,
  cwd: string,
  tmpDir: string,
  intervalUs: number,
  durationS: number,
): Promise<Collected & { target: string }> {
  const argv = commandArgv(defined(input.command, '`command` (runProfile launches only when it is given)'));
  const [program] = argv;
  const env: Record<string, string> = { ...(input.env ?? {}) };
  const executable = findExecutable(program, cwd, env.PATH ?? process.env.PATH);
  if (!executable) {
    throw new UserError(
      `command not found: "${program}"`,
      `check the spelling, or give the full path (looked in PATH${program.includes('/') ? ` and relative to ${cwd}` : ''})`,
    );
  }
  const runtime = input.runtime === 'auto' ? detectRuntime(argv, executable) : input.runtime;
  const waitForPort = input.waitForPort ?? (input.load ? portOfLoad(input.load as Record<string, unknown>) : undefined);
  if (input.load && waitForPort === undefined) throw new UserError('`load` needs `waitForPort` (the port the program opens)', 'add waitForPort, e.g. 3000');
  const launchOptions = {
    durationS,
    waitForPort,
    waitForPortTimeoutS: input.waitForPortTimeoutS,
    ...(input.load ? { load: input.load as Record<string, unknown> } : {}),
    context,
  };
  const target = argv.join(' ').slice(0, 120);
  const noProfile = (result: LaunchResult, what: string): UserError => {
    const output = outputTail(result.exit.stderr || result.exit.stdout);
    if (!result.stoppedByUs && result.exit.exitCode !== 0) {
      return new UserError(
        `"${target}" exited with code ${result.exit.exitCode ?? result.exit.signal} after ${round(result.wallMs / 1000, 2)} s and left no ${what}`,
        `fix the command first; its last output:\n${output || '(none)'}`,
      );
    }
    return new UserError(
      `no ${what} was written for "${target}"`,
      `the process may have been killed before it could write (SIGKILL) or does not run ${runtime} code. Its last output:\n${output || '(none)'}`,
    );
  };
  const failedAtOnce = (result: LaunchResult): void => {
    // A non-zero exit within a few seconds (start-up on a loaded machine) is a broken command, not a profile worth reading.
    if (!result.stoppedByUs && !result.cancelled && result.exit.exitCode !== 0 && result.wallMs < 3000) {
      throw new UserError(
        `"${target}" exited at once with code ${result.exit.exitCode ?? result.exit.signal}`,
        `fix the command (path, arguments, cwd ${cwd}); its last output:\n${outputTail(result.exit.stderr || result.exit.stdout) || '(none)'}`,
      );
    }
  };
  // What every runtime reports about the launched process, whichever profiler ran.
  const launchFacts = (result: LaunchResult) => ({
    exitCode: result.stoppedByUs ? null : result.exit.exitCode,
    wallMs: result.wallMs,
    peakRssBytes: result.peakRssBytes,
    ...(result.load ? { load: result.load } : {}),
    cancelled: result.cancelled,
    target,
  });
  const exitWarnings = (result: LaunchResult): string[] =>
    !result.stoppedByUs && result.exit.exitCode !== 0 && result.exit.exitCode !== null
      ? [
          `the command exited with code ${result.exit.exitCode}: ${(result.exit.stderr.split('\n').find((l) => /error|exception|traceback/i.test(l)) ?? outputTail(result.exit.stderr, 1)).trim() || '(no output)'}`,
        ]
      : [];

  if (runtime === 'node') {
    const heapBytes = input.kind === 'heap' ? input.heapSamplingBytes : 0;
    const { plan, outDir } = await prepareNodeLaunch({ argv, cwd, env, tmpDir, intervalUs, heapBytes });
    const result = await launchAndWait(plan, launchOptions);
    failedAtOnce(result);
    const collected = await collectNodeProfiles(outDir, cwd);
    if (!collected.cpu.length && !collected.heap.length) {
      if (result.exit.exitCode === 9 || /bad option|not allowed in NODE_OPTIONS/.test(result.exit.stderr)) {
        throw new UserError(`node refused the profiler preload: ${outputTail(result.exit.stderr, 2)}`, 'check NODE_OPTIONS in the environment');
      }
      throw noProfile(result, 'profile (no Node.js process ran? use runtime "native" or "python" for other programs)');
    }
    const warnings = [...result.warnings, ...collected.warnings, ...exitWarnings(result)];
    if (collected.sourceMapped) warnings.push(`${collected.sourceMapped} frame locations were mapped through source maps to original sources`);
    return {
      runtime: 'node',
      profiler: 'V8 sampling profiler (inspector preload)',
      cpu: collected.cpu,
      heap: collected.heap,
      heapUnit: 'bytes allocated (sampled), including objects collected since',
      rawFiles: collected.rawFiles,
      warnings,
      ...launchFacts(result),
    };
  }
  if (runtime === 'python') {
    const pySpy = findExecutable('py-spy', cwd, env.PATH ?? process.env.PATH);
    const { plan, outDir, profiler } = await preparePythonLaunch({
      argv,
      cwd,
      env,
      tmpDir,
      kind: input.kind,
      intervalUs,
      pySpy,
      ...(input.memoryFunction ? { memoryFunction: input.memoryFunction } : {}),
    });
    const result = await launchAndWait(plan, launchOptions);
    if (result.exit.exitCode === 66)
      throw new UserError(outputTail(result.exit.stderr, 1).replace(/^perfeng helper: /, ''), 'check the script path (relative to cwd)');
    failedAtOnce(result);
    const collected = await collectPython(outDir, cwd, profiler, result.wallMs);
    if (collected.missing) throw noProfile(result, `${profiler} profile`);
    const lines = input.memoryFunction ? await collectLineMemory(tmpDir, cwd, input.memoryFunction) : {};
    return {
      runtime: 'python',
      profiler,
      cpu: collected.cpu,
      heap: collected.heap,
      heapUnit: 'bytes allocated and still live at the end (tracemalloc)',
      ...(collected.heapGrowth ? { heapGrowth: collected.heapGrowth } : {}),
      ...(lines.lineMemory ? { lineMemory: lines.lineMemory } : {}),
      rawFiles: collected.rawFiles,
      warnings: [
        ...result.warnings,
        ...collected.warnings,
        ...exitWarnings(result),
        ...(profiler === 'py-spy' ? ['sampled by py-spy'] : []),
        ...(lines.warning ? [lines.warning] : []),
        ...(lines.lineMemory ? ['memoryFunction: memory_profiler traces every line of that function (RSS read per line): its timings are inflated'] : []),
      ],
      ...launchFacts(result),
    };
  }
  if (input.kind === 'heap') {
    throw new UserError(
      'heap profiles are available for Node.js and Python programs only',
      'use kind "cpu" for native programs (or heaptrack / valgrind massif outside this tool)',
    );
  }
  const access = checkPerfAccess();
  const { plan, dataFile } = preparePerfLaunch({ argv, cwd, env, tmpDir, intervalUs, access });
  const result = await launchAndWait(plan as LaunchPlan, launchOptions);
  const failure = perfFailure(result.exit.stderr, access.paranoid);
  if (failure && !result.stoppedByUs) throw failure;
  failedAtOnce(result);
  const dataExists = await stat(dataFile)
    .then((s) => s.size > 0)
    .catch(() => false);
  if (!dataExists) throw failure ?? noProfile(result, 'perf.data');
  const collected = await collectPerf({ perf: access.perf, dataFile, intervalUs, signal: new AbortController().signal });
  if (!collected.cpu[0]?.profile.samples.length && failure) throw failure;
  return {
    runtime: 'native',
    profiler: 'perf',
    cpu: collected.cpu,
    heap: [],
    rawFiles: [],
    warnings: [...access.warnings, ...result.warnings, ...collected.warnings, ...exitWarnings(result)],
    ...launchFacts(result),
  };
}

async function attach(
  pid: number,
  input: ProfileInput,
  context: RunContext,
  cwd: string,
  tmpDir: string,
  intervalUs: number,
  durationS: number,
): Promise<Collected & { target: string }> {
  checkAttachScope(pid, context);
  const { kind, command } = processKind(pid);
  const target = `pid ${pid} (${command})`;
  if (kind === 'node') {
    const collected = await attachNode({
      pid,
      cwd,
      durationS,
      intervalUs,
      kind: input.kind === 'heap' ? 'heap' : 'cpu',
      heapBytes: input.heapSamplingBytes,
      context,
    });
    return { ...collected, target };
  }
  if (input.kind === 'heap') {
    throw new UserError(
      `process ${pid} (${command || 'unknown'}) is not Node.js: heap profiles by pid need Node.js`,
      'relaunch it through `command` (Python: tracemalloc)',
    );
  }
  // Python with py-spy on PATH, anything else with perf: both sample a running pid.
  const pySpy = kind === 'python' ? findExecutable('py-spy', cwd) : undefined;
  if (kind === 'python' && !pySpy) {
    throw new UserError(
      `process ${pid} is Python and py-spy is not installed, which is what attaches to a running Python process`,
      'install py-spy (`pip install py-spy`), or relaunch it through `command` (cProfile)',
    );
  }
  const rss = sampleTreeRss(pid);
  const started = performance.now();
  const seconds = String(Math.max(1, Math.round(durationS)));
  try {
    if (pySpy) {
      const file = join(tmpDir, 'py-spy.speedscope.json');
      const exit = await runCommand(
        pySpy,
        ['record', '--pid', String(pid), '--duration', seconds, '--rate', String(Math.round(1e6 / intervalUs)), '--format', 'speedscope', '--output', file],
        {
          signal: context.signal,
          stopSignal: 'SIGINT',
        },
      );
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (!text)
        throw new UserError(
          `py-spy could not record pid ${pid}: ${outputTail(exit.stderr, 2)}`,
          'py-spy needs ptrace permission (same user, or CAP_SYS_PTRACE / kernel.yama.ptrace_scope=0)',
        );
      const profile = parseSpeedscope(JSON.parse(text), new Locator(cwd), 'python', 'py-spy');
      return {
        runtime: 'python',
        profiler: 'py-spy',
        cpu: [{ profile, process: { pid, command } }],
        heap: [],
        rawFiles: [],
        warnings: ['sampled by py-spy (attached)'],
        wallMs: performance.now() - started,
        peakRssBytes: rss.stop(),
        target,
      };
    }
    const access = checkPerfAccess();
    const dataFile = join(tmpDir, 'perf.data');
    const exit = await runCommand(
      access.perf,
      [
        'record',
        '-e',
        access.userOnly ? 'cpu-clock:u' : 'cpu-clock',
        '-F',
        String(Math.max(1, Math.round(1e6 / intervalUs))),
        '-g',
        '-p',
        String(pid),
        '-o',
        dataFile,
        '--',
        'sleep',
        seconds,
      ],
      { signal: context.signal, stopSignal: 'SIGINT', killGraceMs: 10_000 },
    );
    const failure = perfFailure(exit.stderr, access.paranoid);
    if (failure) throw failure;
    const collected = await collectPerf({ perf: access.perf, dataFile, intervalUs, signal: new AbortController().signal });
    return {
      runtime: 'native',
      profiler: 'perf (attached)',
      cpu: collected.cpu.map((c) => ({ ...c, process: { pid, command } })),
      heap: [],
      rawFiles: [],
      warnings: [...access.warnings, ...collected.warnings, ...(context.signal.aborted ? ['cancelled: the profile covers the time until then'] : [])],
      wallMs: performance.now() - started,
      peakRssBytes: rss.stop(),
      cancelled: context.signal.aborted,
      target,
    };
  } finally {
    rss.stop();
  }
}

function rowsToHot(analysis: Analysis, unitToMs: number, top: number): ProfileOutput['hotFunctions'] {
  return analysis.functions.slice(0, top).map((f) => ({
    name: f.name,
    file: f.file,
    line: f.line,
    category: f.category === 'process' ? 'runtime' : f.category,
    selfMs: round(f.self * unitToMs, 3),
    selfPct: pct(f.self, analysis.onCpu),
    totalMs: round(f.total * unitToMs, 3),
    totalPct: pct(f.total, analysis.onCpu),
    ...(f.calls !== undefined ? { calls: f.calls } : {}),
  }));
}

function merged(list: ProcessProfile[], warnings: string[]): Profile | undefined {
  if (!list.length) return undefined;
  const real = list.filter((p) => !p.launcher);
  const chosen = real.length ? real : list;
  const left = list.filter((p) => !chosen.includes(p));
  if (left.length) {
    warnings.push(
      `left the launcher process(es) ${left.map((p) => `${p.process.pid} (${p.process.command.slice(0, 40)})`).join(', ')} out of the tables; their profiles are in the artefacts`,
    );
  }
  return mergeProfiles(chosen);
}

/**
 * An idle profile says how to get a busy one: with `load` when the process was launched, or
 * traffic during the window when attached (load needs a launched command). The port comes
 * from the process itself when it is still listening.
 */
function idleAdvice(input: ProfileInput, out: ProfileOutput, durationS: number): { text: string; next: string[] } {
  if (out.load) {
    return {
      text: `It stayed idle although \`load\` sent ${out.load.requests} requests: they did not reach this process — check that the load URL's port is the one it listens on.`,
      next: [],
    };
  }
  const port = input.waitForPort ?? out.processes.map((p) => listeningPorts(p.pid)[0]).find((p) => p !== undefined);
  const url = `http://127.0.0.1:${port ?? 'PORT'}/`;
  const loadArg = JSON.stringify({ url, duration: `${Math.round(durationS)}s` });
  if (input.pid) {
    return {
      text: `Drive it while profiling: run run_load_test against it (${url}) during the window, or launch it through \`command\` with \`load\` (the same fields as run_load_test).`,
      next: [`run_load_test ${loadArg} while profile_process {"pid":${input.pid},"durationS":${Math.round(durationS)}} runs`],
    };
  }
  const command = JSON.stringify(input.command);
  return {
    text: `Drive it while profiling: give \`load\` (the same fields as run_load_test), e.g. "load": ${loadArg}, with \`waitForPort\` when the URL's port is not the one it opens.`,
    next: [`profile_process {"command":${command},${input.waitForPort ? `"waitForPort":${input.waitForPort},` : ''}"load":${loadArg}}`],
  };
}

export async function runProfile(rawInput: unknown, context: RunContext): Promise<ToolOutcome<ProfileOutput>> {
  const input = parseInput(profileInputSchema, rawInput);
  if (!input.command === !input.pid) {
    throw new UserError(
      input.command ? 'give `command` or `pid`, not both' : 'nothing to profile',
      'pass `command` (e.g. "node server.js") to launch, or `pid` to attach to a running Node.js process',
    );
  }
  if (input.pid && input.load && input.kind !== 'leak')
    throw new UserError(
      '`load` works with a launched `command` only',
      'run run_load_test separately while attaching by pid, or launch the server through `command`',
    );
  const cwd = resolve(context.projectDir, input.cwd ?? '.');
  if (
    !(await stat(cwd)
      .then((s) => s.isDirectory())
      .catch(() => false))
  )
    throw new UserError(`cwd ${cwd} is not a directory`, 'give an existing folder');
  const intervalUs = input.samplingIntervalUs ?? context.config.profile.samplingIntervalUs;
  const maxS = context.config.profile.maxDurationS;
  const durationS = Math.min(input.durationS ?? (input.pid ? 10 : input.load ? maxS : 60), maxS);

  if (input.kind === 'leak') {
    const { runLeak } = await import('./leak.js');
    return runLeak(input, context, cwd, durationS, maxS);
  }
  const baseline = input.baseline ? await loadProfileRef(input.baseline, context) : undefined;
  const tmpDir = await mkdtemp(join(tmpdir(), 'perfeng-profile-'));
  try {
    const collected = input.pid
      ? await attach(input.pid, input, context, cwd, tmpDir, intervalUs, durationS)
      : await launch(input, context, cwd, tmpDir, intervalUs, durationS);
    context.report(durationS, durationS, 'analysing');
    const warnings = [...collected.warnings];
    const cpu = merged(collected.cpu, warnings);
    const heap = merged(collected.heap, warnings);
    const main = input.kind === 'heap' ? (heap ?? cpu) : (cpu ?? heap);
    if (!main) throw new UserError('the profiler recorded nothing', 'run the program longer (or lower samplingIntervalUs)');

    const cpuAnalysis = cpu ? analyseProfile(cpu, { pathLimit: input.top }) : undefined;
    const heapAnalysis = heap ? analyseProfile(heap, { pathLimit: input.top }) : undefined;
    if (cpu && cpuAnalysis && cpu.samples.length < 50 && cpu.profiler !== 'cProfile') {
      warnings.push(`only ${cpu.samples.length} samples: percentages are rough (run longer, or lower samplingIntervalUs)`);
    }

    const run = await createRun(context.projectDir, 'profile', input.title ?? collected.target);
    const artifacts: ProfileOutput['artifacts'] = {
      dir: run.dir,
      speedscope: run.path('speedscope.json'),
      folded: run.path('profile.folded'),
      pprof: run.path('profile.pb.gz'),
      flamegraph: run.path('flamegraph.html'),
      result: run.path('result.json'),
    };
    // Raw files as the profiler wrote them (one per process), then the merged exports.
    for (const raw of collected.rawFiles) {
      const data = await readFile(raw.path).catch(() => undefined);
      if (!data) continue;
      const written = await run.writeFile(`raw-${raw.name}`, data);
      if (raw.role === 'pstats') artifacts.pstats = written;
      if (raw.role === 'heapprofile' && !artifacts.heapprofile) artifacts.heapprofile = written;
    }
    if (cpu) artifacts.cpuprofile = await run.writeFile('profile.cpuprofile', JSON.stringify(toCpuProfile(cpu, cwd)));
    const speedscope = toSpeedscope(main, collected.target, 'performance-engineer profile_process');
    if (!speedscope.timeOrder) {
      warnings.push(
        `speedscope.json aggregates the ${main.samples.length.toLocaleString('en-US')} samples by stack (too many for a time-ordered file a browser can load)${cpu ? '; profile.cpuprofile keeps the timeline' : ''}`,
      );
    }
    await run.writeFile('speedscope.json', JSON.stringify(speedscope.file));
    await run.writeFile('profile.folded', toFolded(main));
    await run.writeFile('profile.pb.gz', toPprof(main, { periodUs: main.kind === 'cpu' ? intervalUs : input.heapSamplingBytes }));

    const usToMs = 1 / 1000;
    const out: ProfileOutput = {
      runtime: collected.runtime,
      profiler: collected.profiler,
      kind: input.kind,
      durationS: round(collected.wallMs / 1000, 3),
      samples: cpu?.samples.length ?? 0,
      hotFunctions: cpuAnalysis ? rowsToHot(cpuAnalysis, usToMs, input.top) : [],
      hotPaths: cpuAnalysis ? cpuAnalysis.paths.map((p) => ({ stack: p.stack, selfPct: pct(p.self, cpuAnalysis.onCpu) })) : [],
      peakRssBytes: collected.peakRssBytes,
      processes: collected.cpu.length
        ? collected.cpu.map((p) => {
            const a = analyseProfile(p.profile, { pathLimit: 0 });
            return {
              pid: p.process.pid,
              command: p.process.command,
              samples: p.profile.samples.length,
              cpuMs: round(a.onCpu * usToMs, 1),
              ...(a.functions[0] ? { topFunction: a.functions[0].name } : {}),
            };
          })
        : collected.heap.map((p) => ({ pid: p.process.pid, command: p.process.command, samples: 0, cpuMs: 0 })),
      warnings,
      artifacts,
    };
    if (cpuAnalysis?.lines.length) {
      out.hotLines = cpuAnalysis.lines.slice(0, input.top).map((l) => ({
        file: l.file,
        line: l.line,
        function: l.function,
        selfMs: round(l.self * usToMs, 3),
        selfPct: pct(l.self, cpuAnalysis.onCpu),
        ...(l.inlinedInto.length ? { inlinedInto: l.inlinedInto } : {}),
      }));
      for (const moved of cpuAnalysis.inlined) {
        const share = pct(moved.self, cpuAnalysis.onCpu);
        if (share < 1) break;
        const f = moved.function;
        warnings.push(
          `V8 inlined ${frameLabel(f)} into ${moved.into.slice(0, 3).join(', ')}${moved.into.length > 3 ? '…' : ''}: ` +
            `${share}% of on-CPU time ran its code on their call-tree nodes. hotFunctions and hotLines count it as ${f.name}'s (from V8's line ticks); ` +
            `the flame graph and exported profiles keep V8's tree, where it shows as the caller's self time (as in DevTools).`,
        );
      }
    }
    if (cpuAnalysis && collected.runtime === 'node') {
      out.gcPct = pct(cpuAnalysis.byCategory.gc ?? 0, cpuAnalysis.onCpu);
      out.idlePct = pct(cpuAnalysis.idle, cpuAnalysis.total);
    }
    if (cpuAnalysis) {
      const breakdown: Record<string, number> = {};
      for (const [category, weight] of Object.entries(cpuAnalysis.byCategory)) {
        if (category !== 'idle' && category !== 'process' && weight) breakdown[category] = pct(weight, cpuAnalysis.onCpu);
      }
      out.breakdown = breakdown;
    }
    if (heapAnalysis) {
      out.heap = {
        unit: collected.heapUnit ?? 'bytes',
        totalBytes: Math.round(heapAnalysis.total),
        topAllocators: heapAnalysis.functions
          .filter((f) => f.self > 0)
          .slice(0, input.top)
          .map((f) => ({ name: f.name, file: f.file, line: f.line, bytes: Math.round(f.self), pct: pct(f.self, heapAnalysis.total) })),
        ...(collected.heapGrowth ? { growth: collected.heapGrowth.slice(0, input.top) } : {}),
      };
    }
    if (collected.lineMemory) out.lineMemory = collected.lineMemory;
    if (input.memoryFunction && collected.runtime !== 'python') warnings.push('memoryFunction applies to launched Python programs only: ignored');
    if (collected.exitCode !== undefined) out.exitCode = collected.exitCode;
    if (collected.load) out.load = collected.load;
    const cpuTimed = collected.runtime === 'python' && (collected.profiler === 'cProfile' || collected.profiler === 'py-spy');
    const idle = input.kind === 'cpu' && cpuAnalysis ? findIdle(cpuAnalysis, collected.wallMs, usToMs, { cpuTimed }) : undefined;
    let next: string[] | undefined;
    if (idle) {
      const advice = idleAdvice(input, out, durationS);
      out.idle = { ...idle, advice: advice.text };
      next = advice.next;
    }
    // The one verdict rule (src/profile/tool.ts), here too so result.json and the core's caller agree.
    out.verdict = profileProcessTool.verdict(out).verdict as ProfileOutput['verdict'];
    if (baseline) {
      if (baseline.profile.kind !== main.kind)
        warnings.push(`the baseline is a ${baseline.profile.kind} profile and this one is ${main.kind}: the diff compares unlike things`);
      out.diff = { baseline: baseline.label, ...diffProfiles(baseline.profile, main, input.top) };
    }

    const tree = buildFlameTree(main, baseline ? { baseline: baseline.profile } : {});
    const stats: Array<[string, string]> = [
      ['runtime', `${out.runtime} · ${out.profiler}`],
      ['duration', `${out.durationS} s`],
      ...(out.kind === 'cpu' ? ([['samples', out.samples.toLocaleString('en-US')]] as Array<[string, string]>) : []),
      ...(out.gcPct !== undefined ? ([['GC', `${out.gcPct}%`]] as Array<[string, string]>) : []),
      ...(out.idlePct !== undefined ? ([['idle', `${out.idlePct}%`]] as Array<[string, string]>) : []),
      ['peak RSS', formatBytes(out.peakRssBytes)],
      ...(out.load ? ([['load', `${Math.round(out.load.throughputRps)} req/s`]] as Array<[string, string]>) : []),
    ];
    await run.writeFile(
      'flamegraph.html',
      renderFlamegraphPage({
        title: `Profile: ${collected.target}`,
        verdict: { status: warnings.some((w) => w.startsWith('cancelled')) ? 'warn' : 'info', text: headline(out, collected.target) },
        stats,
        tree,
        sections: reportSections(out),
      }),
    );
    await run.writeResult({ tool: profileProcessTool.name, input, result: out, verdict: profileProcessTool.verdict(out), aborted: context.signal.aborted });
    return { structured: out, summary: summaryText(out, collected.target), ...(next ? { next } : {}) };
  } finally {
    await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** `perfeng profile diff A B`: two stored profiles → which functions grew or shrank, and a red/blue flame graph. */
export async function runProfileDiff(rawInput: unknown, context: RunContext): Promise<ToolOutcome<ProfileDiffOutput>> {
  const input = parseInput(profileDiffInputSchema, rawInput);
  const before = await loadProfileRef(input.baseline, context);
  const after = await loadProfileRef(input.target, context);
  if (before.profile.kind !== after.profile.kind) {
    throw new UserError(`cannot diff a ${before.profile.kind} profile against a ${after.profile.kind} profile`, 'compare two CPU or two heap profiles');
  }
  const { grew, shrank } = diffProfiles(before.profile, after.profile, input.top);
  const run = await createRun(context.projectDir, 'profile-diff', `${input.baseline} vs ${input.target}`);
  const totalOf = (p: Profile) => p.weights.reduce((a, b) => a + b, 0);
  const out: ProfileDiffOutput = {
    kind: after.profile.kind,
    unit: after.profile.unit,
    before: { ref: before.label, total: round(totalOf(before.profile), 1) },
    after: { ref: after.label, total: round(totalOf(after.profile), 1) },
    grew,
    shrank,
    artifacts: { dir: run.dir, flamegraph: run.path('flamegraph.html'), result: run.path('result.json') },
  };
  const g = grew[0];
  const s = shrank[0];
  const verdict = `${g ? `Grew most: ${g.name} ${g.beforePct}% → ${g.afterPct}% (+${g.deltaPct} pp)` : 'Nothing grew'}; ${s ? `shrank most: ${s.name} ${s.beforePct}% → ${s.afterPct}% (${s.deltaPct} pp)` : 'nothing shrank'}.`;
  const diffOut = { baseline: before.label, grew, shrank };
  const sections = reportSections({
    runtime: 'node',
    profiler: '',
    kind: out.kind,
    durationS: 0,
    samples: 0,
    hotFunctions: [],
    hotPaths: [],
    peakRssBytes: 0,
    processes: [],
    diff: diffOut,
    warnings: [],
    artifacts: { dir: run.dir, speedscope: '', folded: '', pprof: '', flamegraph: out.artifacts.flamegraph, result: out.artifacts.result },
  }).filter((section) => section.id === 'diff');
  await run.writeFile(
    'flamegraph.html',
    renderFlamegraphPage({
      title: `Profile diff: ${input.baseline} → ${input.target}`,
      verdict: { status: 'info', text: verdict },
      stats: [
        ['before', before.label],
        ['after', after.label],
      ],
      tree: buildFlameTree(after.profile, { baseline: before.profile }),
      sections,
    }),
  );
  // `perfeng profile diff` is a command, not an agent tool: its envelope names the command.
  await run.writeResult({ tool: 'profile diff', input, result: out, aborted: context.signal.aborted });
  const lines = [
    verdict,
    '',
    'Grew (self share, percentage points):',
    ...grew.slice(0, 8).map((d) => `  +${d.deltaPct}  ${d.name}  ${d.file}${d.line ? `:${d.line}` : ''}  (${d.beforePct}% → ${d.afterPct}%)`),
  ];
  lines.push(
    'Shrank:',
    ...shrank.slice(0, 8).map((d) => `  ${d.deltaPct}  ${d.name}  ${d.file}${d.line ? `:${d.line}` : ''}  (${d.beforePct}% → ${d.afterPct}%)`),
  );
  lines.push('', `Differential flame graph: ${out.artifacts.flamegraph}`);
  return { structured: out, summary: lines.join('\n') };
}
