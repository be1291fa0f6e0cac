import { UserError } from '../../common/errors.js';
import { parseDurationMs } from '../../common/units.js';

/**
 * k6 `options` → scenarios (https://grafana.com/docs/k6/latest/using-k6/scenarios/), with
 * k6's shortcuts (vus/duration/iterations/stages) and its CLI overrides (--vus, --duration,
 * --iterations replace the script's execution settings, as `k6 run` does).
 */
export type ExecutorName = 'shared-iterations' | 'per-vu-iterations' | 'constant-vus' | 'ramping-vus' | 'constant-arrival-rate' | 'ramping-arrival-rate';

export interface Stage {
  durationMs: number;
  target: number;
}

export interface Scenario {
  name: string;
  executor: ExecutorName;
  startTimeMs: number;
  gracefulStopMs: number;
  exec: string;
  env: Record<string, string>;
  tags: Record<string, string>;
  /** closed executors: VUs; arrival-rate: preAllocatedVUs. */
  vus: number;
  /** Most VUs the scenario may use. */
  maxVUs: number;
  iterations: number;
  /** constant-vus / constant-arrival-rate: duration; *-iterations: maxDuration; ramping: sum of stages. */
  durationMs: number;
  startVUs: number;
  stages: Stage[];
  gracefulRampDownMs: number;
  rate: number;
  timeUnitMs: number;
  startRate: number;
}

export interface Overrides {
  vus?: number;
  duration?: string | number;
  iterations?: number;
}

const EXECUTORS = new Set<ExecutorName>([
  'shared-iterations',
  'per-vu-iterations',
  'constant-vus',
  'ramping-vus',
  'constant-arrival-rate',
  'ramping-arrival-rate',
]);

type Raw = Record<string, unknown>;

function ms(value: unknown, what: string, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw new UserError(`${what} is required`);
    return fallback;
  }
  return parseDurationMs(value as string | number, what);
}

function int(value: unknown, what: string, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw new UserError(`${what} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) throw new UserError(`${what} must be a non-negative whole number (got ${JSON.stringify(value)})`);
  return n;
}

function stages(raw: unknown, what: string): Stage[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new UserError(`${what} needs at least one stage`, 'e.g. [{ duration: "30s", target: 10 }]');
  return raw.map((s: Raw, i) => ({ durationMs: ms(s?.duration, `${what}[${i}].duration`), target: Number(s?.target ?? 0) }));
}

function strings(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw as Raw) ?? {})) out[k] = String(v);
  return out;
}

export function parseScenario(name: string, raw: Raw): Scenario {
  const where = `scenarios.${name}`;
  const executor = raw.executor as ExecutorName;
  if (!EXECUTORS.has(executor)) {
    throw new UserError(`${where}: executor "${String(raw.executor)}" is not supported`, `use one of ${[...EXECUTORS].join(', ')}`);
  }
  const base: Scenario = {
    name,
    executor,
    startTimeMs: ms(raw.startTime, `${where}.startTime`, 0),
    gracefulStopMs: ms(raw.gracefulStop, `${where}.gracefulStop`, 30_000),
    exec: typeof raw.exec === 'string' ? raw.exec : 'default',
    env: strings(raw.env),
    tags: strings(raw.tags),
    vus: 1,
    maxVUs: 1,
    iterations: 0,
    durationMs: 0,
    startVUs: 0,
    stages: [],
    gracefulRampDownMs: 0,
    rate: 0,
    timeUnitMs: 1000,
    startRate: 0,
  };
  switch (executor) {
    case 'shared-iterations':
    case 'per-vu-iterations':
      base.vus = int(raw.vus, `${where}.vus`, 1);
      base.iterations = int(raw.iterations, `${where}.iterations`, 1);
      base.durationMs = ms(raw.maxDuration, `${where}.maxDuration`, 600_000);
      base.maxVUs = base.vus;
      if (executor === 'shared-iterations' && base.vus > base.iterations) base.maxVUs = base.vus = Math.max(1, base.iterations);
      break;
    case 'constant-vus':
      base.vus = base.maxVUs = int(raw.vus, `${where}.vus`, 1);
      base.durationMs = ms(raw.duration, `${where}.duration`);
      break;
    case 'ramping-vus':
      base.startVUs = int(raw.startVUs, `${where}.startVUs`, 1);
      base.stages = stages(raw.stages, `${where}.stages`);
      base.gracefulRampDownMs = ms(raw.gracefulRampDown, `${where}.gracefulRampDown`, 30_000);
      base.durationMs = base.stages.reduce((s, x) => s + x.durationMs, 0);
      base.vus = base.maxVUs = Math.max(base.startVUs, ...base.stages.map((s) => Math.ceil(s.target)));
      break;
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      base.timeUnitMs = ms(raw.timeUnit, `${where}.timeUnit`, 1000);
      if (base.timeUnitMs <= 0) throw new UserError(`${where}.timeUnit must be longer than zero`);
      base.vus = int(raw.preAllocatedVUs, `${where}.preAllocatedVUs`);
      base.maxVUs = Math.max(base.vus, int(raw.maxVUs, `${where}.maxVUs`, base.vus));
      if (base.maxVUs === 0) throw new UserError(`${where}: preAllocatedVUs or maxVUs must be at least 1`);
      if (executor === 'constant-arrival-rate') {
        base.rate = Number(raw.rate);
        if (!(base.rate > 0)) throw new UserError(`${where}.rate must be a positive number`);
        base.durationMs = ms(raw.duration, `${where}.duration`);
      } else {
        base.startRate = Number(raw.startRate ?? 0);
        base.stages = stages(raw.stages, `${where}.stages`);
        base.durationMs = base.stages.reduce((s, x) => s + x.durationMs, 0);
      }
      break;
  }
  return base;
}

/** The script's options (after CLI overrides) → scenarios. */
export function scenariosFromOptions(options: Raw, overrides: Overrides): Scenario[] {
  const hasShortcutOverride = overrides.duration !== undefined || overrides.iterations !== undefined;
  const scenarios = options.scenarios as Record<string, Raw> | undefined;
  if (scenarios && !hasShortcutOverride) {
    if (overrides.vus !== undefined) {
      throw new UserError(
        '`vus` cannot override a script that defines scenarios',
        'give `duration` or `iterations` too (that replaces the scenarios, as k6 run --vus --duration does), or edit the scenarios',
      );
    }
    const list = Object.entries(scenarios).map(([name, raw]) => parseScenario(name, raw ?? {}));
    if (!list.length) throw new UserError('options.scenarios is empty');
    return list;
  }
  const vus = overrides.vus ?? (options.vus as number | undefined);
  let duration = overrides.duration ?? (options.duration as string | undefined);
  let iterations = overrides.iterations ?? (options.iterations as number | undefined);
  if (hasShortcutOverride) {
    // An override of one replaces the script's other execution setting (k6 config precedence).
    if (overrides.duration !== undefined && overrides.iterations === undefined) iterations = undefined;
    if (overrides.iterations !== undefined && overrides.duration === undefined) duration = undefined;
  }
  const stagesRaw = hasShortcutOverride ? undefined : options.stages;
  if (stagesRaw !== undefined) {
    return [parseScenario('default', { executor: 'ramping-vus', startVUs: vus ?? 1, stages: stagesRaw, gracefulRampDown: '30s' })];
  }
  if (iterations !== undefined) {
    return [
      parseScenario('default', { executor: 'shared-iterations', vus: vus ?? 1, iterations, ...(duration !== undefined ? { maxDuration: duration } : {}) }),
    ];
  }
  if (duration !== undefined && parseDurationMs(duration, 'duration') > 0) {
    return [parseScenario('default', { executor: 'constant-vus', vus: vus ?? 1, duration })];
  }
  return [parseScenario('default', { executor: 'per-vu-iterations', vus: 1, iterations: 1 })];
}

/** When the scenario's last iteration may still run (start + duration + graceful stop). */
export function scenarioEndMs(s: Scenario): number {
  return s.startTimeMs + s.durationMs + s.gracefulStopMs;
}
