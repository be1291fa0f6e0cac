import { UserError } from '../common/errors.js';
import { defineTool, runIdOfDir, suggestCall, unknownKeys } from '../common/tool.js';
import { formatBytes, formatMs, round } from '../common/units.js';
import { parseInput } from '../common/validate.js';
import { loadTestInputSchema } from '../load/schema.js';
import { type ProfileInput, type ProfileOutput, profileInputSchema, profileOutputSchema } from './schema.js';

/** Share of samples idle above which a CPU profile says the process was idle, not what was hot. */
const IDLE_PCT = 95;

const where = (f: { file: string; line: number }) => (f.file ? ` (${f.file}${f.line > 0 ? `:${f.line}` : ''})` : '');

/** The verdict word: what the profile found, not that it ran. */
function profileWord(r: ProfileOutput): string {
  if (r.kind === 'leak') return r.leak?.verdict === 'leak' ? 'LEAK' : r.leak?.verdict === 'no-leak' ? 'NO-LEAK' : 'INCONCLUSIVE';
  if (r.idle) return 'IDLE';
  if (r.kind === 'heap' && r.heap?.topAllocators.length) return 'HOT';
  const top = r.hotFunctions.find((f) => f.category !== 'idle' && f.category !== 'program');
  return !top || (r.idlePct ?? 0) >= IDLE_PCT ? 'IDLE' : 'HOT';
}

function profileBrief(r: ProfileOutput, word: string): string {
  const parts: string[] = [];
  const leak = r.leak;
  if (r.kind === 'leak' && leak) {
    const rate =
      leak.bytesPerRequest !== null
        ? `${formatBytes(leak.bytesPerRequest)}/request${leak.bytesPerRequestCI ? ` (95% CI ${formatBytes(leak.bytesPerRequestCI[0])}–${formatBytes(leak.bytesPerRequestCI[1])})` : ''}`
        : `${formatBytes(leak.bytesPerSecond ?? 0)}/s`;
    parts.push(
      `${word}: ${rate}, +${leak.growthMiB} MiB over ${r.load ? `${r.load.requests} requests` : `${round(r.durationS, 1)} s`} (${leak.samples} samples)`,
    );
    const site = leak.sites[0];
    if (site)
      parts.push(`top retained site ${site.function}${where(site)} ${formatBytes(site.retainedBytes)} in ${site.count} ${site.constructor ?? 'allocations'}`);
    parts.push(leak.reason.length > 200 ? `${leak.reason.slice(0, 199)}…` : leak.reason);
  } else if (word === 'IDLE') {
    parts.push(
      `${word}: the process was idle ${r.idle?.quietPct ?? r.idlePct ?? 100}% of ${round(r.durationS, 1)} s (waiting for I/O or timers${r.idle ? `; ${formatMs(r.idle.userCodeMs)} in its own code` : ''}) — no CPU hot spot to report; drive it with \`load\` while profiling`,
    );
  } else if (r.kind === 'heap' && r.heap?.topAllocators[0]) {
    const a = r.heap.topAllocators[0];
    parts.push(`${word}: top allocator ${a.name}${where(a)} ${formatBytes(a.bytes)}, ${a.pct}% of ${formatBytes(r.heap.totalBytes)} sampled`);
    const second = r.heap.topAllocators[1];
    if (second) parts.push(`then ${second.name} ${second.pct}%`);
  } else {
    const [top, second] = r.hotFunctions.filter((f) => f.category !== 'idle' && f.category !== 'program');
    if (top) parts.push(`${word}: ${top.name}${where(top)} ${top.selfPct}% self, ${top.totalPct}% total of ${r.samples} samples in ${round(r.durationS, 1)} s`);
    if (second) parts.push(`then ${second.name} ${second.selfPct}%`);
  }
  const facts = [
    r.gcPct !== undefined ? `GC ${r.gcPct}%` : '',
    r.idlePct !== undefined && word !== 'IDLE' ? `idle ${r.idlePct}%` : '',
    `peak RSS ${formatBytes(r.peakRssBytes)}`,
  ];
  parts.push(facts.filter(Boolean).join(', '));
  if (r.load)
    parts.push(
      `under load ${Math.round(r.load.throughputRps)} req/s, p99 ${formatMs(r.load.latencyMs.p99)}${r.load.passed ? '' : ' — the load FAILED its thresholds'}`,
    );
  const grew = r.diff?.grew[0];
  if (grew) parts.push(`vs baseline: ${grew.name} grew ${grew.beforePct}% → ${grew.afterPct}%`);
  return `${parts.join('; ')}.`;
}

function profileNext(r: ProfileOutput, input: ProfileInput, runId: string | undefined): string[] {
  const target = input.command !== undefined ? { command: input.command } : input.pid !== undefined ? { pid: input.pid } : {};
  const driven = input.load ? { waitForPort: input.waitForPort, load: input.load } : {};
  const next: string[] = [];
  const word = profileWord(r);
  if (word === 'IDLE' && !input.load)
    next.push(
      suggestCall('profile_process', {
        ...target,
        waitForPort: input.waitForPort ?? 3000,
        load: { url: `http://127.0.0.1:${input.waitForPort ?? 3000}/`, duration: '10s' },
      }),
    );
  else if (r.kind === 'leak') next.push(`${suggestCall('profile_process', { ...target, kind: 'leak', ...driven })} after a fix, to confirm NO-LEAK`);
  else if (runId)
    next.push(
      `${suggestCall('profile_process', { ...target, ...(r.kind === 'heap' ? { kind: 'heap' } : {}), ...driven, baseline: runId })} after a fix: what shrank`,
    );
  if (r.load)
    next.push(`${suggestCall('compare_benchmarks', { baseline: runIdOfDir(r.load.runDir), candidate: 'latest:load' })} after a fix and the same load again`);
  return next;
}

export const profileProcessTool = defineTool({
  name: 'profile_process',
  title: 'Profile a process (CPU or heap)',
  description:
    'Use to find where a program spends CPU or memory: launch `command` (Node, Python, native) or attach to a `pid`. Returns the hot functions with file:line, hot paths, GC/idle share. ' +
    'For a server give `waitForPort` and `load` (run_load_test fields) to profile under load; `kind: "leak"` says whether memory grows per request and which sites keep it; `baseline` diffs against an earlier profile. ' +
    'Next: analyze_query for hot SQL, or re-run after a fix and compare.',
  input: profileInputSchema,
  output: profileOutputSchema,
  annotations: {
    // It runs the command it is given (which may do anything) and may send load to it.
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  budget: 8000,
  async run(input, context) {
    // `load` is "the same fields as run_load_test": checked here, before anything is launched.
    if (input.load) {
      const unknown = unknownKeys(loadTestInputSchema, input.load, 'load');
      if (unknown.length)
        throw new UserError(
          `profile_process does not know the input key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`,
          'load takes the fields of run_load_test',
        );
      parseInput(loadTestInputSchema, input.load, 'load');
    }
    const { runProfile } = await import('./index.js');
    return runProfile(input, context);
  },
  // What the profile found is the verdict; a found leak or a driving load that failed its thresholds fails the run (CLI exit 1).
  verdict: (result) => {
    const word = profileWord(result);
    return { verdict: word, failed: word === 'LEAK' || (result.load !== undefined && !result.load.passed) };
  },
  brief: (result, _input, verdict) => profileBrief(result, verdict.verdict),
  next: profileNext,
});
