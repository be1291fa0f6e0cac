import { z } from 'zod';

/**
 * Input and output contract of `profile_process` (MCP) and `perfeng profile` (CLI).
 * Imported at server start: zod (and the load schema) only, nothing heavy.
 */

// Descriptions are terse on purpose: tools/list is paid for in every conversation (issue 14).
export const profileInputSchema = z.object({
  command: z
    .union([z.array(z.string()).min(1), z.string().min(1)])
    .optional()
    .describe('["node","server.js"] or "python3 app.py" (no shell); or give `pid`'),
  pid: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('attach to a running process instead (Node inspector, py-spy, perf): your own, started in the project, unless config profile.attachAnyProcess'),
  cwd: z.string().optional().describe('default: the project'),
  env: z.record(z.string(), z.string()).optional(),
  runtime: z.enum(['auto', 'node', 'python', 'native']).default('auto'),
  kind: z
    .enum(['cpu', 'heap', 'leak'])
    .default('cpu')
    .describe('cpu: where time goes; heap: who allocates; leak: does memory grow per request under `load`, and what keeps it'),
  durationS: z.number().positive().optional().describe('attach: how long (default 10); launch: stop after this (default 60, or when load ends)'),
  samplingIntervalUs: z.number().int().min(50).max(1_000_000).optional().describe('default 1000'),
  heapSamplingBytes: z
    .number()
    .int()
    .min(1024)
    .default(32 * 1024),
  waitForPort: z.number().int().min(1).max(65535).optional().describe('port the process opens when ready; `load` starts then'),
  waitForPortTimeoutS: z.number().positive().default(30),
  // A reference, not a nested copy of run_load_test's schema (which doubled this tool's entry in
  // tools/list); the profile tool validates it with run_load_test's own schema before launching.
  load: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('the same fields as run_load_test, e.g. {url, connections, duration}; run once waitForPort opens'),
  memoryFunction: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .optional()
    .describe('Python: line-by-line memory of this function'),
  baseline: z.string().optional().describe('earlier profile to diff against: run id, "latest:profile" or a .cpuprofile'),
  top: z.number().int().min(1).max(200).default(15).describe('hot functions returned'),
  title: z.string().optional().describe('run name'),
});

export type ProfileInput = z.output<typeof profileInputSchema>;

const hotFunctionSchema = z.object({
  name: z.string(),
  file: z.string().describe('relative to cwd when inside it; node:internal/… for Node internals; the binary for native frames'),
  line: z.number().describe('1-based; 0 when unknown'),
  category: z.enum(['app', 'dependency', 'node-internal', 'native', 'gc', 'idle', 'program', 'runtime']),
  selfMs: z.number(),
  selfPct: z.number().describe('share of on-CPU time (idle excluded), 0–100'),
  totalMs: z.number(),
  totalPct: z.number(),
  calls: z.number().optional().describe('call count (Python cProfile only: sampling profilers do not count calls)'),
});

const diffEntrySchema = z.object({
  name: z.string(),
  file: z.string(),
  line: z.number(),
  beforePct: z.number().describe('self share in the baseline, 0–100'),
  afterPct: z.number().describe('self share now, 0–100'),
  deltaPct: z.number().describe('after − before, percentage points'),
});

export const profileDiffSummarySchema = z.object({
  baseline: z.string().describe('what was compared against'),
  grew: z.array(diffEntrySchema).describe('functions whose self share grew most (red in the flame graph)'),
  shrank: z.array(diffEntrySchema).describe('functions whose self share shrank most (blue)'),
});

export const leakSiteSchema = z.object({
  function: z.string(),
  file: z.string(),
  line: z.number().describe("Node: the allocating function's line; Python: the allocating line"),
  retainedBytes: z.number().describe('bytes allocated here during the window and still alive at its end'),
  count: z.number().describe('objects (Node) or allocations (Python) of those'),
  constructor: z.string().optional().describe('the class holding most of those bytes (Node)'),
  retainerPath: z.array(z.string()).optional().describe('GC root → … → the largest such object, each step "Holder.edge" (Node)'),
});

export const leakSchema = z.object({
  verdict: z
    .enum(['leak', 'no-leak', 'inconclusive'])
    .describe('from the regression of memory on requests served, after the warm-up, with its 95 % CI against a minimum effect'),
  bytesPerRequest: z.number().nullable().describe('fitted memory growth per request (null when no load was counted: see bytesPerSecond)'),
  bytesPerRequestCI: z.tuple([z.number(), z.number()]).optional().describe('95 % confidence interval of the slope'),
  bytesPerSecond: z.number().optional().describe('growth per second over the fitted window'),
  growthMiB: z.number().describe('memory growth over the fitted window (after the warm-up), MiB'),
  memory: z.string().describe('what was measured: post-GC V8 heap used, or tracemalloc traced memory'),
  samples: z.number().describe('memory samples fitted'),
  reason: z.string(),
  sites: z.array(leakSiteSchema).describe('allocation sites that kept the most memory over the window, largest first'),
});

export const profileOutputSchema = z.object({
  verdict: z
    .enum(['HOT', 'IDLE', 'LEAK', 'NO-LEAK', 'INCONCLUSIVE'])
    .optional()
    .describe("what was found (the tool's one verdict rule, src/profile/tool.ts); IDLE: the process did (almost) nothing during the window, see `idle`"),
  idle: z
    .object({
      quietPct: z.number().describe('share of samples in (idle), (program) or (garbage collector); with offCpu, share of the window off the CPU'),
      offCpu: z.literal(true).optional().describe('judged from CPU time: cProfile and py-spy record no idle samples'),
      userCodeMs: z.number().describe("self time in the program's own code and its dependencies"),
      advice: z.string(),
    })
    .optional(),
  runtime: z.enum(['node', 'python', 'native']),
  profiler: z.string().describe('what recorded it: node --cpu-prof, inspector, cProfile, py-spy, tracemalloc, perf'),
  kind: z.enum(['cpu', 'heap', 'leak']),
  durationS: z.number(),
  samples: z.number().describe('CPU samples taken (for cProfile: call-tree nodes)'),
  hotFunctions: z.array(hotFunctionSchema).describe('by self time; merged by function+file+line across the call tree and processes'),
  hotPaths: z.array(z.object({ stack: z.array(z.string()).describe('root → leaf'), selfPct: z.number() })),
  hotLines: z
    .array(
      z.object({
        file: z.string(),
        line: z.number().describe('1-based, source-mapped like functions'),
        function: z.string().describe('the function whose code the line is'),
        selfMs: z.number(),
        selfPct: z.number().describe('share of on-CPU time, 0–100'),
        inlinedInto: z.array(z.string()).optional().describe('callers V8 inlined this code into (its samples sat on their call-tree nodes)'),
      }),
    )
    .optional()
    .describe('Node.js CPU profiles: the hottest source lines, from V8 line-level ticks'),
  gcPct: z.number().optional().describe('share of on-CPU time in the garbage collector'),
  idlePct: z.number().optional().describe('share of all samples where the process was idle (waiting for I/O or timers)'),
  breakdown: z
    .record(z.string(), z.number())
    .optional()
    .describe('on-CPU share by category: app, dependency (node_modules), node-internal, native, gc, program, runtime'),
  peakRssBytes: z.number().describe('peak resident memory of the whole process tree, sampled from /proc'),
  heap: z
    .object({
      unit: z.string().describe('"bytes sampled live at the end" (Node) or "bytes allocated and still live" (tracemalloc)'),
      totalBytes: z.number(),
      topAllocators: z.array(z.object({ name: z.string(), file: z.string(), line: z.number(), bytes: z.number(), pct: z.number() })),
      growth: z
        .array(z.object({ file: z.string(), line: z.number(), bytes: z.number(), count: z.number() }))
        .optional()
        .describe('Python: lines whose live memory grew most between the first and last snapshot'),
    })
    .optional(),
  processes: z
    .array(
      z.object({
        pid: z.number(),
        command: z.string(),
        samples: z.number(),
        cpuMs: z.number(),
        topFunction: z.string().optional(),
      }),
    )
    .describe('each profiled process of the tree (e.g. npm and the node it starts)'),
  exitCode: z.number().nullable().optional().describe('launched command: its exit code (null when we stopped it)'),
  load: z
    .object({
      passed: z.boolean(),
      durationS: z.number(),
      requests: z.number(),
      failed: z.number(),
      throughputRps: z.number(),
      latencyMs: z.object({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() }),
      runDir: z.string(),
    })
    .optional()
    .describe('summary of the run_load_test that drove the process'),
  diff: profileDiffSummarySchema.optional(),
  lineMemory: z
    .array(
      z.object({
        function: z.string(),
        file: z.string(),
        line: z.number(),
        lines: z.array(z.object({ line: z.number(), incrementMiB: z.number(), memMiB: z.number(), occurrences: z.number(), code: z.string() })),
      }),
    )
    .optional()
    .describe('memoryFunction: memory_profiler per line — RSS increment and high-water mark (MiB), times run'),
  leak: leakSchema.optional().describe('kind "leak": memory against requests served, and what the steady state keeps'),
  warnings: z.array(z.string()),
  artifacts: z.object({
    dir: z.string(),
    cpuprofile: z.string().optional().describe('Chrome DevTools / VS Code .cpuprofile'),
    heapprofile: z.string().optional().describe('Chrome DevTools .heapprofile (Node)'),
    pstats: z.string().optional().describe('Python pstats file (snakeviz, gprof2dot)'),
    speedscope: z.string().optional().describe('open at https://www.speedscope.app or `npx speedscope`'),
    folded: z.string().optional().describe('folded stacks "a;b;c 42" for flamegraph.pl / inferno'),
    pprof: z.string().optional().describe('gzipped pprof protobuf (`go tool pprof -http=: file`)'),
    flamegraph: z.string().describe('self-contained HTML report: the flame graph, or for kind "leak" memory over requests and the retained sites'),
    snapshots: z.array(z.string()).optional().describe('kind "leak", Node: the three .heapsnapshot files (open in Chrome DevTools → Memory)'),
    result: z.string(),
  }),
});

export type ProfileOutput = z.output<typeof profileOutputSchema>;

export const profileDiffInputSchema = z.object({
  baseline: z.string().describe('the "before" profile: run id, latest:profile, run folder, .cpuprofile or .speedscope.json'),
  target: z.string().describe('the "after" profile, same forms'),
  top: z.number().int().min(1).max(200).default(15),
});

export const profileDiffOutputSchema = z.object({
  kind: z.enum(['cpu', 'heap']),
  unit: z.string(),
  before: z.object({ ref: z.string(), total: z.number() }),
  after: z.object({ ref: z.string(), total: z.number() }),
  grew: z.array(diffEntrySchema),
  shrank: z.array(diffEntrySchema),
  artifacts: z.object({ dir: z.string(), flamegraph: z.string(), result: z.string() }),
});

export type ProfileDiffOutput = z.output<typeof profileDiffOutputSchema>;
