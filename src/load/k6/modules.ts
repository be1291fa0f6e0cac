import { createHash, createHmac, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { K6Collector } from './collector.js';
import { parseHTML } from './html.js';
import { InterruptedIteration } from './http.js';
import type { Metric, MetricType, Tags } from './metrics.js';

/**
 * The k6 modules other than k6/http: `k6` (check, group, sleep, fail), `k6/metrics`,
 * `k6/data`, `k6/execution`, `k6/encoding`, `k6/crypto`, `k6/html`. One instance per VU: what they
 * record carries that VU's tags and current group.
 */
export interface ModuleVu {
  readonly id: number;
  signal: AbortSignal;
  groupPath: string;
  inInit: boolean;
  iteration: number;
  iterationInScenario: number;
  scenarioName: string;
  vuTags: Record<string, string>;
  tags(): Tags;
}

export interface ExecutionInfo {
  scenario(vu: ModuleVu): { name: string; executor: string; startTime: number; progress: number; iterationInInstance: number; iterationInTest: number };
  instance(): { iterationsCompleted: number; iterationsInterrupted: number; vusActive: number; vusInitialized: number; currentTestRunDuration: number };
  abort(reason?: string): never;
  options: unknown;
}

const sharedArrays = new Map<string, unknown[]>();

/** Must be called between runs: SharedArray data is per test run. */
export function resetSharedArrays(): void {
  sharedArrays.clear();
}

export function sleepFor(vu: ModuleVu, seconds: number): Promise<void> {
  if (vu.inInit) throw new Error('sleep() is not allowed in the init context');
  if (vu.signal.aborted) return Promise.reject(new InterruptedIteration());
  const ms = Math.max(0, Number(seconds) * 1000);
  return delay(ms, undefined, { signal: vu.signal }).catch(() => {
    throw new InterruptedIteration();
  });
}

function encodeOut(buf: Buffer, encoding: string | undefined): string | ArrayBuffer {
  if (encoding === 'hex') return buf.toString('hex');
  if (encoding === 'base64') return buf.toString('base64');
  if (encoding === 'base64url') return buf.toString('base64url');
  if (encoding === 'base64rawurl') return buf.toString('base64url');
  if (encoding === 'binary' || encoding === undefined) return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  throw new Error(`unsupported output encoding "${encoding}"`);
}

function toBuffer(data: unknown): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(String(data));
}

const HASHES: Record<string, string> = {
  md4: 'md4',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha512_224: 'sha512-224',
  sha512_256: 'sha512-256',
  ripemd160: 'ripemd160',
};

function hasher(algorithm: string): string {
  const a = HASHES[algorithm];
  if (!a) throw new Error(`unsupported hash algorithm "${algorithm}"`);
  return a;
}

export function createK6Modules(vu: ModuleVu, collector: K6Collector, execution: ExecutionInfo): Record<string, Record<string, unknown>> {
  const sampleTags = (extra?: Record<string, unknown>, check?: string): Tags => {
    const vt = vu.tags();
    // A literal first (one object shape on the hot path), then any extra tags.
    const tags: Tags =
      check === undefined ? { scenario: vt.scenario ?? 'default', group: vu.groupPath } : { scenario: vt.scenario ?? 'default', group: vu.groupPath, check };
    for (const k in vt) {
      const v = vt[k];
      if (k !== 'scenario' && v !== undefined) tags[k] = v;
    }
    if (extra) for (const k in extra) tags[k] = String(extra[k]);
    return tags;
  };

  const recordCheck = (name: string, groupPath: string, ok: boolean, tags: Record<string, unknown> | undefined) =>
    collector.check(name, groupPath, ok, collector.checksTagged ? sampleTags(tags, name) : null);

  /** The rest of a check once predicate `i` returned a promise: awaited one by one, in order. */
  const checkAsync = async (
    value: unknown,
    sets: Record<string, unknown>,
    tags: Record<string, unknown> | undefined,
    names: string[],
    i: number,
    pending: unknown,
    groupPath: string,
    allOk: boolean,
  ): Promise<boolean> => {
    for (let j = i; j < names.length; j++) {
      const name = names[j] as string;
      const p = sets[name];
      const ok = !!(await (j === i ? pending : typeof p === 'function' ? p(value) : p));
      recordCheck(name, groupPath, ok, tags);
      if (!ok) allOk = false;
    }
    return allOk;
  };

  /** Synchronous unless a predicate returns a promise (it reached a blocking call); then awaited in order. */
  const check = (value: unknown, sets: Record<string, unknown>, tags?: Record<string, unknown>): boolean | Promise<boolean> => {
    if (vu.inInit) throw new Error('check() is not allowed in the init context');
    const groupPath = vu.groupPath;
    const checks = sets ?? {};
    // Keys and locals, not Object.entries and a closure: nothing allocated per check but the key list.
    const names = Object.keys(checks);
    let allOk = true;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const predicate = checks[name];
      const result = typeof predicate === 'function' ? predicate(value) : predicate;
      if (result && typeof (result as Promise<unknown>).then === 'function') return checkAsync(value, checks, tags, names, i, result, groupPath, allOk);
      const ok = !!result;
      recordCheck(name, groupPath, ok, tags);
      if (!ok) allOk = false;
    }
    return allOk;
  };

  const group = async (name: string, fn: () => unknown): Promise<unknown> => {
    if (vu.inInit) throw new Error('group() is not allowed in the init context');
    if (String(name).includes('::')) throw new Error('group and check names may not contain "::"');
    const previous = vu.groupPath;
    vu.groupPath = `${previous}::${name}`;
    const started = performance.now();
    try {
      return await fn();
    } finally {
      collector.groupDuration(vu.groupPath, performance.now() - started, collector.groupsTagged ? sampleTags() : null);
      vu.groupPath = previous;
    }
  };

  const k6 = {
    check,
    group,
    sleep: (seconds: number) => sleepFor(vu, seconds),
    fail: (message = '') => {
      throw new Error(message);
    },
    randomSeed: (_seed: number) => undefined,
  };

  const metricClass = (type: MetricType) =>
    class {
      readonly name: string;
      /** The registry's metric (private: invisible to the script, unlike `name`). */
      readonly #metric: Metric;
      constructor(name: string, isTime = false) {
        if (!vu.inInit) throw new Error(`metrics must be declared in the init context (new ${type} "${name}")`);
        this.name = name;
        this.#metric = collector.registry.define(name, type, type === 'trend' && isTime === true);
      }
      add(value: unknown, tags?: Record<string, unknown>): boolean {
        if (vu.inInit) throw new Error('adding to a metric is not allowed in the init context');
        const n = type === 'rate' ? (value ? 1 : 0) : Number(value);
        if (!Number.isFinite(n)) return false;
        collector.registry.add(this.#metric, n, sampleTags(tags));
        return true;
      }
    };

  class SharedArray {
    constructor(name: string, fn: () => unknown[]) {
      let data = sharedArrays.get(name);
      if (!data) {
        const made = fn();
        if (!Array.isArray(made)) throw new Error('SharedArray: the function must return an array');
        data = Object.freeze(JSON.parse(JSON.stringify(made)) as unknown[]) as unknown[];
        sharedArrays.set(name, data);
      }
      // biome-ignore lint/correctness/noConstructorReturn: k6's `new SharedArray()` yields the (frozen) array itself
      return data as unknown as SharedArray;
    }
  }

  const vuInfo = {
    get idInInstance() {
      return vu.id;
    },
    get idInTest() {
      return vu.id;
    },
    get iterationInInstance() {
      return vu.iteration;
    },
    get iterationInScenario() {
      return vu.iterationInScenario;
    },
    get tags() {
      return vu.vuTags;
    },
    metrics: {
      get tags() {
        return vu.vuTags;
      },
    },
  };
  const execModule = {
    vu: vuInfo,
    get scenario() {
      return execution.scenario(vu);
    },
    get instance() {
      return execution.instance();
    },
    test: {
      abort: (reason?: string) => execution.abort(reason),
      get options() {
        return execution.options;
      },
    },
  };

  const b64 = (encoding = 'std') => {
    if (encoding === 'std' || encoding === 'rawstd') return 'base64' as const;
    if (encoding === 'url' || encoding === 'rawurl') return 'base64url' as const;
    throw new Error(`unknown base64 encoding "${encoding}"`);
  };
  const encoding = {
    b64encode: (input: unknown, enc = 'std') => {
      const out = toBuffer(input).toString(b64(enc));
      if (enc === 'rawstd') return out.replace(/=+$/, '');
      if (enc === 'url') return out + '='.repeat((4 - (out.length % 4)) % 4);
      return out;
    },
    b64decode: (input: string, enc = 'std', format?: string) => {
      const buf = Buffer.from(String(input), b64(enc));
      return format === 's' ? buf.toString('utf8') : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    },
  };

  const crypto: Record<string, unknown> = {
    randomBytes: (n: number) => encodeOut(randomBytes(n), 'binary'),
    hmac: (algorithm: string, secret: unknown, data: unknown, outputEncoding: string) =>
      encodeOut(createHmac(hasher(algorithm), toBuffer(secret)).update(toBuffer(data)).digest(), outputEncoding),
    createHash: (algorithm: string) => {
      const h = createHash(hasher(algorithm));
      return { update: (d: unknown) => void h.update(toBuffer(d)), digest: (e: string) => encodeOut(h.digest(), e) };
    },
    createHMAC: (algorithm: string, secret: unknown) => {
      const h = createHmac(hasher(algorithm), toBuffer(secret));
      return { update: (d: unknown) => void h.update(toBuffer(d)), digest: (e: string) => encodeOut(h.digest(), e) };
    },
  };
  for (const name of Object.keys(HASHES)) {
    crypto[name] = (input: unknown, outputEncoding: string) => encodeOut(createHash(hasher(name)).update(toBuffer(input)).digest(), outputEncoding);
  }

  // `import x from 'k6/…'` reads `.default`: the module itself (no spread: getters stay live).
  const withDefault = <T extends Record<string, unknown>>(m: T) => Object.assign(m, { default: m });
  return {
    k6: withDefault(k6),
    'k6/metrics': withDefault({ Counter: metricClass('counter'), Gauge: metricClass('gauge'), Rate: metricClass('rate'), Trend: metricClass('trend') }),
    'k6/data': withDefault({ SharedArray }),
    'k6/execution': withDefault(execModule as unknown as Record<string, unknown>),
    'k6/encoding': withDefault(encoding),
    'k6/crypto': withDefault(crypto),
    'k6/html': withDefault({ parseHTML }),
  };
}
