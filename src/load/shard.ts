import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { defined } from '../common/errors.js';
import { PACKAGE_VERSION } from '../common/version.js';
import type { Connection, Outcome, RequestContext, RuntimeRequest } from './connection.js';
import { serialiseRequest } from './fast-connection.js';
import type { Histogram } from './histogram.js';
import { ArrivalSchedule, targetAt, type LoadPlan, type NonEmpty, type PlannedRequest } from './plan.js';
import { ShardMetrics, type MetricsDelta } from './shard-metrics.js';
import type { UndiciConnectionOptions } from './undici-connection.js';

/**
 * One generator thread's share of the load: the scheduler (closed model: virtual users
 * in a loop; open model: arrivals on a schedule), its connections, and its metrics.
 * Runs in-process or inside a worker thread (worker.ts) — the same code either way.
 */
export type ConnectionFactory = (
  request: RuntimeRequest,
  capacity: number,
  complete: (context: RequestContext, outcome: Outcome) => void,
  options: Omit<UndiciConnectionOptions, 'origin' | 'capacity' | 'address'> & { address?: string },
) => Connection;

/**
 * Loads the client the plan needs before the clock starts (undici alone takes a noticeable
 * time to import on a busy machine; the fast path never loads it).
 */
export async function loadConnectionFactory(plan: Pick<LoadPlan, 'engine'>): Promise<ConnectionFactory> {
  if (plan.engine === 'fast') {
    const { FastConnection } = await import('./fast-connection.js');
    return (request, capacity, complete, options) => new FastConnection(options.address ?? request.hostname, request.port, capacity, complete);
  }
  const { UndiciConnection } = await import('./undici-connection.js');
  return (request, capacity, complete, options) => new UndiciConnection({ ...options, origin: request.origin, capacity }, complete);
}

export interface ShardOptions {
  plan: LoadPlan;
  connect: ConnectionFactory;
  shard: number;
  shards: number;
  /** performance.now() of this thread at which the measured part starts (after warm-up). */
  measureStartMs: number;
  flush(delta: MetricsDelta<Histogram>): void;
}

export interface ShardEnd {
  /** Requests still in flight when the run ended (not counted). */
  unfinished: number;
  lagP99Ms: number;
  lagMeanMs: number;
  eventLoopUtilization: number;
}

const FLUSH_MS = 250;
const LAG_RESOLUTION_MS = 10;
const SWEEP_MS = 100;
const CONTROL_MS = 50;
/**
 * Open model: arrivals due within this window are sent when the pump wakes. Node's timers
 * fire on a 1 ms grid, so the alternatives are to spin the event loop until each exact
 * time (it cost a whole core at 1000 req/s and starved the server on a 2-core machine) or
 * to send late and charge the lateness to the server. Sending up to 1 ms ahead and timing
 * such a request from its real send time keeps latency exact and the generator idle;
 * arrivals stay right per millisecond (wrk2 paces on the same 1 ms grid).
 */
const SEND_AHEAD_MS = 1;
/** How long in-flight requests may finish after the schedule ends (k6 gracefulStop, shorter). */
const MAX_GRACE_MS = 5000;

interface PoolEntry {
  connection: Connection;
  listed: boolean;
  /** The origin's pool this entry goes back to when it has a free slot. */
  pool: PoolEntry[];
}

interface VirtualUser {
  index: number;
  running: boolean;
  inFlight: number;
  step: number;
  connections: Map<string, Connection>;
}

interface Journey {
  step: number;
  entry: PoolEntry | null;
}

export class Shard {
  private readonly plan: LoadPlan;
  private readonly requests: NonEmpty<RuntimeRequest>;
  private readonly metrics: ShardMetrics;
  /** Weighted pick: each request with the running sum of the weights up to it. */
  private readonly choices: Array<{ upTo: number; request: RuntimeRequest }>;
  private readonly lastRequest: RuntimeRequest;
  private readonly totalWeight: number;
  private readonly endMs: number;
  private readonly startMs: number;
  private stopping = false;
  private cancelled = false;
  private inFlight = 0;
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private pumpTimer: ReturnType<typeof setTimeout> | null = null;
  private pumpImmediate: ReturnType<typeof setImmediate> | null = null;
  private readonly allConnections = new Set<Connection>();
  // closed model
  private readonly users: VirtualUser[] = [];
  private runningUsers = 0;
  /** Closed model: users wanted now; refreshed every CONTROL_MS (not per request: hot path). */
  private wantedUsers = 0;
  // open model
  private readonly pools = new Map<string, PoolEntry[]>();
  private nextArrival: number | undefined;
  private readonly slotCap: number;
  private finished!: () => void;
  private readonly done: Promise<void>;
  private readonly lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private eluStart = performance.eventLoopUtilization();

  constructor(private readonly options: ShardOptions) {
    this.plan = options.plan;
    const userAgent = `perfeng/${PACKAGE_VERSION}`;
    const captureBody = new Set(this.plan.requests.filter((r) => r.expect.bodyIncludes !== undefined).map((r) => r.index));
    const runtime = (r: PlannedRequest): RuntimeRequest => ({
      ...r,
      captureBody: captureBody.has(r.index),
      isHead: r.method === 'HEAD',
      ...(this.plan.engine === 'fast' ? { wire: serialiseRequest(r, userAgent) } : {}),
    });
    const [first, ...more] = this.plan.requests;
    const head = runtime(first);
    const tail = more.map(runtime);
    this.requests = [head, ...tail];
    this.metrics = new ShardMetrics(this.requests.length, this.plan.checks.length);
    let sum = 0;
    this.choices = this.requests.map((request) => ({ upTo: (sum += request.weight), request }));
    this.totalWeight = sum;
    this.lastRequest = tail.at(-1) ?? head;
    this.startMs = options.measureStartMs - this.plan.warmupMs;
    this.endMs = options.measureStartMs + this.plan.durationMs;
    // The in-flight cap is split across threads (at least one slot each).
    this.slotCap = Math.max(1, Math.floor(this.plan.connections / options.shards) + (options.shard < this.plan.connections % options.shards ? 1 : 0));
    this.done = new Promise((resolve) => (this.finished = resolve));
  }

  private readonly userAgent = `perfeng/${PACKAGE_VERSION}`;

  async run(): Promise<ShardEnd> {
    this.lag.enable();
    this.eluStart = performance.eventLoopUtilization();
    const wait = this.startMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.timers.push(setInterval(() => this.flush(), FLUSH_MS));
    this.timers.push(setInterval(() => this.sweep(), SWEEP_MS));
    if (this.plan.model === 'closed') {
      this.timers.push(setInterval(() => this.controlUsers(), CONTROL_MS));
      this.controlUsers();
    } else {
      const schedule = new ArrivalSchedule(this.plan, 1 / this.options.shards, this.options.shard / this.options.shards);
      this.nextArrival = schedule.next();
      this.pump(schedule);
    }
    const endTimer = setTimeout(() => this.beginStop(), Math.max(0, this.endMs - performance.now()));
    await this.done;
    clearTimeout(endTimer);
    return this.end();
  }

  /** Cancellation: stop sending now, close every socket, keep what was measured. */
  cancel(): void {
    this.cancelled = true;
    this.beginStop();
    this.finish();
  }

  private now(): number {
    return performance.now();
  }

  private secondOf(timeMs: number): number {
    return Math.max(0, Math.floor((timeMs - this.options.measureStartMs) / 1000));
  }

  private pick(): RuntimeRequest {
    if (this.requests.length === 1) return this.requests[0];
    const x = Math.random() * this.totalWeight;
    for (const choice of this.choices) if (x < choice.upTo) return choice.request;
    return this.lastRequest;
  }

  /** Closed model with `sequence`: the user's next step of the journey. */
  private nextStep(user: VirtualUser): RuntimeRequest {
    return defined(this.requests[user.step++ % this.requests.length], 'the request of a sequence step');
  }

  private newConnection(request: RuntimeRequest, capacity: number): Connection {
    const complete = (context: RequestContext, outcome: Outcome) => this.complete(context, outcome);
    const connection = this.options.connect(request, capacity, complete, {
      address: this.plan.addresses[request.hostname],
      timeoutMs: this.plan.timeoutMs,
      http2: this.plan.http2,
      insecureTls: this.plan.insecureTls,
      userAgent: this.userAgent,
    });
    this.allConnections.add(connection);
    return connection;
  }

  private closeConnection(connection: Connection): void {
    connection.destroy();
    this.allConnections.delete(connection);
  }

  // ---- closed model -------------------------------------------------------------------

  private controlUsers(): void {
    if (this.stopping) return;
    const now = this.now();
    const total = Math.round(targetAt(this.plan, now - this.options.measureStartMs));
    this.wantedUsers = total;
    // Virtual users are dealt round-robin across threads: user i runs on thread i mod N.
    for (let i = this.options.shard; i < total; i += this.options.shards) {
      const slot = Math.floor(i / this.options.shards);
      let user = this.users[slot];
      if (!user) {
        user = { index: i, running: false, inFlight: 0, step: 0, connections: new Map() };
        this.users[slot] = user;
      }
      if (!user.running) {
        user.running = true;
        this.runningUsers++;
        this.fillUser(user);
      }
    }
  }

  private userActive(user: VirtualUser): boolean {
    return !this.stopping && user.index < this.wantedUsers;
  }

  private fillUser(user: VirtualUser): void {
    while (user.inFlight < this.plan.pipelining) {
      if (!this.userActive(user)) {
        if (user.inFlight === 0) this.retireUser(user);
        return;
      }
      const request = this.plan.sequence ? this.nextStep(user) : this.pick();
      let connection = user.connections.get(request.origin);
      if (!connection) {
        connection = this.newConnection(request, this.plan.pipelining);
        user.connections.set(request.origin, connection);
      }
      const now = this.now();
      user.inFlight++;
      this.inFlight++;
      connection.send({ request, startMs: now, measured: now >= this.options.measureStartMs, retries: 0, owner: user });
    }
  }

  /** A user that ramps down finishes its request, then closes its connections (k6 ramping-vus). */
  private retireUser(user: VirtualUser): void {
    if (!user.running) return;
    user.running = false;
    this.runningUsers--;
    for (const connection of user.connections.values()) this.closeConnection(connection);
    user.connections.clear();
    this.maybeFinished();
  }

  // ---- open model ---------------------------------------------------------------------

  private pump(schedule: ArrivalSchedule): void {
    this.pumpTimer = null;
    this.pumpImmediate = null;
    if (this.stopping) return;
    const base = this.options.measureStartMs;
    const horizon = this.now() + SEND_AHEAD_MS;
    let guard = 0;
    while (this.nextArrival !== undefined && base + this.nextArrival <= horizon && guard++ < 10_000) {
      this.arrive(base + this.nextArrival);
      this.nextArrival = schedule.next();
    }
    if (this.nextArrival === undefined) {
      this.beginStop();
      return;
    }
    // A generator that fell behind catches up at once; otherwise sleep until the next
    // arrival enters the send-ahead window (timers fire on libuv's 1 ms grid).
    if (guard > 10_000) this.pumpImmediate = setImmediate(() => this.pump(schedule));
    else this.pumpTimer = setTimeout(() => this.pump(schedule), Math.max(0, base + this.nextArrival - SEND_AHEAD_MS - this.now()));
  }

  /** One scheduled arrival at `intendedMs`: start it if a slot is free, else count it dropped. */
  private arrive(intendedMs: number): void {
    const measured = intendedMs >= this.options.measureStartMs;
    if (this.inFlight >= this.slotCap) {
      if (measured) this.metrics.recordDropped(this.secondOf(intendedMs));
      return;
    }
    this.inFlight++;
    const journey: Journey = { step: 0, entry: null };
    const request = this.plan.sequence ? this.requests[0] : this.pick();
    // Latency counts from the intended time when the request goes out late: a late generator
    // or a full connection does not hide the wait (wrk2's answer to coordinated omission).
    // One sent ahead of its time (see SEND_AHEAD_MS) counts from when it really went out.
    const startMs = Math.min(intendedMs, this.now());
    this.sendOnPool(request, { request, startMs, measured, retries: 0, owner: journey }, journey);
  }

  private sendOnPool(request: RuntimeRequest, context: RequestContext, journey: Journey): void {
    let pool = this.pools.get(request.origin);
    if (!pool) {
      pool = [];
      this.pools.set(request.origin, pool);
    }
    // The newest listed connection with a free slot; full ones leave the list on the way.
    let entry = pool[pool.length - 1];
    while (entry !== undefined && entry.connection.inFlight >= entry.connection.capacity) {
      pool.pop();
      entry.listed = false;
      entry = pool[pool.length - 1];
    }
    if (entry !== undefined && entry.connection.inFlight + 1 >= entry.connection.capacity) {
      // This request takes its last slot.
      pool.pop();
      entry.listed = false;
    }
    if (!entry) {
      entry = { connection: this.newConnection(request, this.plan.pipelining), listed: false, pool };
      if (this.plan.pipelining > 1) {
        entry.listed = true;
        pool.push(entry);
      }
    }
    journey.entry = entry;
    entry.connection.send(context);
  }

  private release(entry: PoolEntry): void {
    if (this.stopping) return;
    if (!entry.listed && entry.connection.inFlight < entry.connection.capacity) {
      entry.listed = true;
      entry.pool.push(entry);
    }
  }

  // ---- both models --------------------------------------------------------------------

  private complete(context: RequestContext, outcome: Outcome): void {
    if (this.cancelled) return;
    const now = this.now();
    const request = context.request;
    if (context.measured) this.record(context, outcome, now);
    if (this.plan.model === 'closed') {
      const user = context.owner as VirtualUser;
      user.inFlight--;
      this.inFlight--;
      if (context.measured && (!this.plan.sequence || request.index === this.requests.length - 1)) this.metrics.recordIteration();
      this.fillUser(user);
    } else {
      const journey = context.owner as Journey;
      if (journey.entry) this.release(journey.entry);
      journey.step++;
      const next = this.plan.sequence && !this.stopping ? this.requests[journey.step] : undefined;
      if (next) {
        // The journey's next step (there is none after the last).
        const nowMs = this.now();
        this.sendOnPool(next, { request: next, startMs: nowMs, measured: nowMs >= this.options.measureStartMs, retries: 0, owner: journey }, journey);
        return;
      }
      this.inFlight--;
      if (context.measured) this.metrics.recordIteration();
    }
    this.maybeFinished();
  }

  private record(context: RequestContext, outcome: Outcome, now: number): void {
    const request = context.request;
    const latencyMs = now - context.startMs;
    const responded = outcome.status > 0;
    let failed: boolean;
    if (outcome.errorKind) {
      failed = true;
      this.metrics.recordError(outcome.errorKind, undefined, outcome.errorMessage);
    } else {
      const statuses = request.expect.statuses;
      failed = statuses ? !statuses.includes(outcome.status) : outcome.status < 200 || outcome.status >= 400;
      if (failed) this.metrics.recordError('http_status', outcome.status, undefined);
    }
    // A timeout is a latency the user waited through; a refused connection has none.
    const latencyUs = responded || outcome.errorKind === 'timeout' ? latencyMs * 1000 : -1;
    this.metrics.recordRequest(request.index, this.secondOf(now), latencyUs, failed, outcome.cache, responded);
    if (this.plan.checks.length) this.recordChecks(request, outcome, latencyMs);
  }

  private recordChecks(request: RuntimeRequest, outcome: Outcome, latencyMs: number): void {
    const checks = this.plan.checks;
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i];
      if (check === undefined || check.request !== request.index) continue;
      let pass: boolean;
      if (check.kind === 'status') pass = outcome.status > 0 && check.statuses.includes(outcome.status);
      else if (check.kind === 'body') pass = outcome.body !== undefined && outcome.body.includes(check.includes);
      else pass = outcome.status > 0 && latencyMs <= check.maxLatencyMs;
      this.metrics.recordCheck(i, pass);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const connection of this.allConnections) connection.sweep(now, this.plan.timeoutMs);
  }

  private flush(): void {
    const active = this.plan.model === 'closed' ? this.runningUsers : this.inFlight;
    this.metrics.flush(this.now() - this.options.measureStartMs, active, this.options.flush);
  }

  private graceTimer: ReturnType<typeof setTimeout> | null = null;

  private beginStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.pumpImmediate) clearImmediate(this.pumpImmediate);
    // Closed-model users with nothing in flight retire now; the rest when their request ends.
    for (const user of this.users) if (user?.running && user.inFlight === 0) this.retireUser(user);
    this.graceTimer = setTimeout(() => this.finish(), Math.min(this.plan.timeoutMs, MAX_GRACE_MS));
    this.maybeFinished();
  }

  private maybeFinished(): void {
    if (this.stopping && this.inFlight === 0) this.finish();
  }

  private finish(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.finished();
  }

  private end(): ShardEnd {
    for (const timer of this.timers) clearInterval(timer);
    const unfinished = this.cancelled ? 0 : this.inFlight;
    for (const connection of this.allConnections) connection.destroy();
    this.allConnections.clear();
    this.pools.clear();
    this.flush();
    this.lag.disable();
    const elu = performance.eventLoopUtilization(this.eluStart);
    // The histogram holds the whole timer interval: subtract the resolution to get the lag.
    const lagP99Ms = this.lag.count ? Math.max(0, this.lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS) : 0;
    const lagMeanMs = this.lag.count ? Math.max(0, this.lag.mean / 1e6 - LAG_RESOLUTION_MS) : 0;
    return { unfinished, lagP99Ms, lagMeanMs, eventLoopUtilization: elu.utilization };
  }
}
