import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { readInputFile } from '../common/input-files.js';

/**
 * `.perf/config.json`. Every key has a default, so a missing file means "defaults";
 * unknown keys are an error naming the key (a typo must not silently fall back).
 */
const targetsSchema = z.strictObject({
  p50Ms: z.number().positive().default(100).describe('median latency target'),
  p95Ms: z.number().positive().default(500),
  p99Ms: z.number().positive().default(1000),
  errorRate: z.number().min(0).max(1).default(0.01).describe('share of failed requests, 0.01 = 1 %'),
  throughputRps: z.number().nonnegative().default(1000),
  queryMs: z.number().positive().default(100).describe('slow-query threshold'),
  concurrentUsers: z.number().int().positive().default(200),
  lcpMs: z.number().positive().default(2500),
  cls: z.number().nonnegative().default(0.1),
  inpMs: z.number().positive().default(200),
});

const loadSchema = z.strictObject({
  allowHosts: z.array(z.string()).default([]).describe('hosts (names, IPs or *.suffix) that may receive load besides loopback'),
  maxDurationS: z.number().positive().default(600),
  maxConnections: z.number().int().positive().default(10_000),
  maxRate: z.number().positive().default(100_000),
});

const querySchema = z.strictObject({
  database: z.string().optional().describe('default connection: SQLite path, postgres:// or mysql:// URL'),
  minImprovementPct: z.number().min(0).max(100).default(50).describe('keep index suggestions that cut cost by at least this much'),
  timeoutMs: z.number().int().positive().default(10_000),
  allowScratchCopy: z.boolean().default(false).describe('MySQL: allow verifying indexes on a scratch copy of a table'),
  trustedFunctions: z
    .array(z.string().min(1))
    .default([])
    .describe('user-defined functions analyze_query may run, exact "schema.name" (PostgreSQL) or "db.name" (MySQL)'),
  role: z.string().min(1).optional().describe('PostgreSQL: run plans as this least-privilege role (SET LOCAL ROLE); default perfeng_readonly when available'),
  searchPath: z.array(z.string().min(1)).default(['$user', 'public']).describe('PostgreSQL search_path pinned for every statement'),
  allowedInputPaths: z.array(z.string().min(1)).default([]).describe('folders outside the project that query logs and benchmark inputs may be read from'),
  maxInputMb: z.number().positive().default(100).describe('size cap for an input file (query log, benchmark result)'),
});

const profileSchema = z.strictObject({
  samplingIntervalUs: z.number().int().positive().default(1000),
  maxDurationS: z.number().positive().default(600),
  attachAnyProcess: z
    .boolean()
    .default(false)
    .describe(
      'profile_process by pid: attach to any process the OS lets us signal. Default false: only processes of the same user whose working directory is inside the project',
    ),
});

const compareSchema = z.strictObject({
  alpha: z.number().gt(0).lt(1).default(0.05),
  noiseFloorPct: z.number().min(0).default(1),
  failOn: z.string().optional(),
});

const hooksSchema = z.strictObject({
  mode: z
    .enum(['suggest', 'notify', 'require', 'off'])
    .default('suggest')
    .describe(
      'Stop note: suggest (to the model, which continues), notify (to the user; the model hears it at the next prompt), require (block the stop once), off',
    ),
  diffLines: z.number().int().positive().default(300),
  paths: z
    .array(z.string().min(1))
    .default(['benchmark', 'benchmarks', 'load-test', 'load-tests', 'loadtest', 'perf', 'performance'])
    .describe('directory names that mark performance-sensitive files, at any depth'),
  exclude: z
    .array(z.string().min(1))
    .default([
      '**/node_modules/**',
      '**/dist/**',
      '**/*.lock',
      '**/package-lock.json',
      '**/npm-shrinkwrap.json',
      '**/pnpm-lock.yaml',
      '**/yarn.lock',
      '**/go.sum',
      '**/.perf/**',
      '**/vendor/**',
      '**/*.min.js',
      '**/*.min.css',
      '**/*.map',
      '**/__snapshots__/**',
      '**/*.snap',
      '**/*.pb.go',
      '**/*_pb2.py',
    ])
    .describe(
      'globs (lock files, build output, generated files) left out of the diff-size rule; files marked linguist-generated in .gitattributes and binary files are always left out',
    ),
});

const vitalsSchema = z.strictObject({
  chromium: z.string().optional().describe('path to a Chromium binary (default /usr/bin/chromium)'),
  tbtMs: z.number().positive().default(200).describe('Total Blocking Time target used when no interactions give an INP (Lighthouse: good < 200 ms)'),
});

export const perfConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  targets: targetsSchema.prefault({}),
  load: loadSchema.prefault({}),
  query: querySchema.prefault({}),
  profile: profileSchema.prefault({}),
  compare: compareSchema.prefault({}),
  hooks: hooksSchema.prefault({}),
  vitals: vitalsSchema.prefault({}),
});

export type PerfConfig = z.infer<typeof perfConfigSchema>;
export type PerfTargets = PerfConfig['targets'];

const CONFIG_MAX_BYTES = 1024 * 1024;

export const CONFIG_RELATIVE_PATH = join('.perf', 'config.json');

export function defaultConfig(): PerfConfig {
  return perfConfigSchema.parse({});
}

/** Parses config text; errors name the file, the key and what was expected. */
export function parseConfig(text: string, source = CONFIG_RELATIVE_PATH): PerfConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${source} is not valid JSON: ${(error as Error).message}`, 'fix the syntax or delete the file to use defaults');
  }
  const parsed = perfConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (at ? `${at}.${key}` : key));
      return `unknown key ${keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `"${at || '(root)'}": ${issue.message}`;
  });
  throw new UserError(`${source}: ${problems.join('; ')}`, 'see README "Configuration" for the keys and their defaults');
}

export async function loadConfig(projectDir: string): Promise<PerfConfig> {
  const path = join(projectDir, CONFIG_RELATIVE_PATH);
  try {
    await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return defaultConfig();
    throw new UserError(`cannot read ${path} (${code})`, 'check the file permissions');
  }
  // A config that is a FIFO or a link to /dev/stdin would wedge every tool: refused, not read.
  // It may link to a shared file anywhere ("/" is allowed); only what is not a regular file is refused.
  const text = await readInputFile(path, { projectDir, allowedPaths: ['/'], maxBytes: CONFIG_MAX_BYTES, what: 'config file' });
  return parseConfig(text, path);
}
