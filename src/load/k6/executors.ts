import type { Scenario, Stage } from './options.js';

/**
 * The six k6 executors (https://grafana.com/docs/k6/latest/using-k6/scenarios/executors/).
 * Closed ones run VU loops; open ones (arrival rate) start each iteration at its scheduled
 * time whatever the previous ones are doing — a late timer starts the overdue iterations at
 * once rather than skipping them, and an iteration that finds no free VU (and no VU left to
 * add under maxVUs) is counted in dropped_iterations, never delayed: no coordinated omission.
 * Iterations still running at the end get `gracefulStop` (ramping-vus: `gracefulRampDown` for
 * VUs ramped away), then are interrupted.
 */
export interface ExecutorVu {
  /** Interrupts the running iteration (its sleep/http calls throw). */
  interrupt(): void;
}

export interface ExecutorContext<V extends ExecutorVu> {
  /** ms since the scenario started. */
  now(): number;
  /** Global stop (abortOnFail, test.abort, cancellation, a fatal refusal). */
  stopped(): boolean;
  /** A VU for this scenario: initialised now (init context) unless the pool has one. */
  acquire(): V;
  release(vu: V): void;
  iterate(vu: V): Promise<void>;
  dropped(): void;
  /** Sleeps, waking early on a global stop. */
  wait(ms: number): Promise<void>;
}

/** Waits for `running` to settle, interrupting the VUs once `hardStopAt` (scenario ms) passes. */
async function settle<V extends ExecutorVu>(ctx: ExecutorContext<V>, running: Promise<unknown>, vus: Iterable<V>, hardStopAt: number): Promise<void> {
  let done = false;
  const finished = running.then(() => {
    done = true;
  });
  while (!done) {
    const left = hardStopAt - ctx.now();
    if (left <= 0 || ctx.stopped()) {
      for (const vu of vus) vu.interrupt();
      break;
    }
    await Promise.race([finished, ctx.wait(Math.min(left, 250))]);
  }
  await finished;
}

async function constantVus<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  const vus = Array.from({ length: s.vus }, () => ctx.acquire());
  const loops = vus.map(async (vu) => {
    while (ctx.now() < s.durationMs && !ctx.stopped()) await ctx.iterate(vu);
  });
  await settle(ctx, Promise.all(loops), vus, s.durationMs + s.gracefulStopMs);
  vus.forEach((vu) => ctx.release(vu));
}

async function perVuIterations<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  const vus = Array.from({ length: s.vus }, () => ctx.acquire());
  const loops = vus.map(async (vu) => {
    for (let i = 0; i < s.iterations && ctx.now() < s.durationMs && !ctx.stopped(); i++) await ctx.iterate(vu);
  });
  await settle(ctx, Promise.all(loops), vus, s.durationMs + s.gracefulStopMs);
  vus.forEach((vu) => ctx.release(vu));
}

async function sharedIterations<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  const vus = Array.from({ length: s.vus }, () => ctx.acquire());
  let taken = 0;
  const loops = vus.map(async (vu) => {
    while (taken < s.iterations && ctx.now() < s.durationMs && !ctx.stopped()) {
      taken++;
      await ctx.iterate(vu);
    }
  });
  await settle(ctx, Promise.all(loops), vus, s.durationMs + s.gracefulStopMs);
  vus.forEach((vu) => ctx.release(vu));
}

/** Linear interpolation of stage targets at `t` ms (from `start` at 0). */
export function stageValueAt(start: number, stages: Stage[], t: number): number {
  let from = start;
  let elapsed = 0;
  for (const stage of stages) {
    if (t < elapsed + stage.durationMs) return from + ((stage.target - from) * (t - elapsed)) / stage.durationMs;
    elapsed += stage.durationMs;
    from = stage.target;
  }
  return from;
}

async function rampingVus<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  const vus = Array.from({ length: s.maxVUs }, () => ctx.acquire());
  /** VUs inside an iteration, by index. */
  const busy = new Map<number, V>();
  const overSince = new Map<number, number>();
  const desired = () => Math.round(stageValueAt(s.startVUs, s.stages, ctx.now()));
  const loops = vus.map(async (vu, index) => {
    while (ctx.now() < s.durationMs && !ctx.stopped()) {
      if (index >= desired()) {
        await ctx.wait(Math.min(50, s.durationMs - ctx.now()));
        continue;
      }
      busy.set(index, vu);
      await ctx.iterate(vu);
      busy.delete(index);
    }
  });
  // Ramp-down: a VU ramped away finishes its iteration within gracefulRampDown, else it is interrupted.
  let watching = true;
  const watch = (async () => {
    while (watching && ctx.now() < s.durationMs && !ctx.stopped()) {
      const want = desired();
      for (const [index, vu] of busy) {
        if (index < want) {
          overSince.delete(index);
          continue;
        }
        const since = overSince.get(index) ?? ctx.now();
        overSince.set(index, since);
        if (ctx.now() - since >= s.gracefulRampDownMs) vu.interrupt();
      }
      await ctx.wait(100);
    }
  })();
  await settle(ctx, Promise.all(loops), vus, s.durationMs + s.gracefulStopMs);
  watching = false;
  await watch;
  vus.forEach((vu) => ctx.release(vu));
}

/**
 * Start times of an arrival-rate scenario, in ms from its start: the i-th iteration starts
 * when the integral of the rate reaches i (a linear ramp makes that a quadratic).
 */
export function* arrivalTimes(s: Scenario): Generator<number> {
  const perMs = (rate: number) => rate / s.timeUnitMs;
  if (s.executor === 'constant-arrival-rate') {
    const gap = 1 / perMs(s.rate);
    for (let i = 0; i * gap < s.durationMs; i++) yield i * gap;
    return;
  }
  let i = 0;
  let segStart = 0;
  let cumulative = 0;
  let from = s.startRate;
  for (const stage of s.stages) {
    const r0 = perMs(from);
    const r1 = perMs(stage.target);
    const d = stage.durationMs;
    const area = ((r0 + r1) / 2) * d;
    while (i < cumulative + area - 1e-9) {
      const need = i - cumulative;
      const a = (r1 - r0) / (2 * d);
      const tau = Math.abs(a) < 1e-15 ? need / r0 : (-r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * need))) / (2 * a);
      yield segStart + Math.min(d, Math.max(0, tau));
      i++;
    }
    cumulative += area;
    segStart += d;
    from = stage.target;
  }
}

async function arrivalRate<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  const idle: V[] = Array.from({ length: s.vus }, () => ctx.acquire());
  const all = new Set<V>(idle);
  const running = new Set<Promise<void>>();
  const start = (vu: V) => {
    const p = ctx.iterate(vu).finally(() => {
      running.delete(p);
      idle.push(vu);
    });
    running.add(p);
  };
  for (const due of arrivalTimes(s)) {
    if (ctx.stopped()) break;
    const wait = due - ctx.now();
    // Timers fire on a 1 ms grid: start what is due within the next half millisecond.
    if (wait > 0.5) await ctx.wait(wait);
    if (ctx.stopped() || ctx.now() >= s.durationMs) break;
    let vu = idle.pop();
    if (!vu && all.size < s.maxVUs) {
      vu = ctx.acquire();
      all.add(vu);
    }
    if (vu) start(vu);
    else ctx.dropped();
  }
  const drain = async () => {
    while (running.size) await Promise.all([...running]);
  };
  await settle(ctx, drain(), all, s.durationMs + s.gracefulStopMs);
  all.forEach((vu) => ctx.release(vu));
}

export async function runExecutor<V extends ExecutorVu>(s: Scenario, ctx: ExecutorContext<V>): Promise<void> {
  switch (s.executor) {
    case 'constant-vus':
      return constantVus(s, ctx);
    case 'per-vu-iterations':
      return perVuIterations(s, ctx);
    case 'shared-iterations':
      return sharedIterations(s, ctx);
    case 'ramping-vus':
      return rampingVus(s, ctx);
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return arrivalRate(s, ctx);
  }
}
