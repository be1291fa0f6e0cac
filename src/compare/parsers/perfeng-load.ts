import * as hdr from 'hdr-histogram-js';
import type { Benchmark } from '../model.js';
import { isRecord, optionalNumber, requireArray, requireNumber, requireRecord, requireString, ShapeProblem } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

/** The percentiles compared as their own rows, as load-test users read them. */
// p50 is the "latency" row itself (its median).
const PERCENTILES: Array<[string, number]> = [
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p99.9', 0.999],
];

/** Decodes an HDR histogram (hdr-histogram-js compressed base64, integer µs) into (ms, count) pairs. */
export function decodeLatencyHistogram(encoded: string, path: Array<string | number>): Array<[number, number]> {
  let histogram: hdr.Histogram;
  try {
    histogram = hdr.decodeFromCompressedBase64(encoded, 32, false);
  } catch {
    throw new ShapeProblem(path, 'an HDR histogram (compressed base64)');
  }
  const pairs: Array<[number, number]> = [];
  const iterator = (
    histogram as unknown as {
      recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } };
    }
  ).recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    // HdrHistogram reports a bucket by its highest equivalent value, as its percentiles do.
    pairs.push([step.valueIteratedTo / 1000, step.countAtValueIteratedTo]);
  }
  if (typeof (histogram as { destroy?: () => void }).destroy === 'function') (histogram as { destroy(): void }).destroy();
  return pairs;
}

function latencyRows(prefix: string, histogram: Array<[number, number]>): Benchmark[] {
  const rows: Benchmark[] = [{ name: `${prefix}latency`, unit: 'ms', direction: 'lower-is-better', histogram }];
  for (const [label, q] of PERCENTILES) rows.push({ name: `${prefix}latency ${label}`, unit: 'ms', direction: 'lower-is-better', histogram, percentileOf: q });
  return rows;
}

/**
 * `.perf/runs/<id>/result.json` written by run_load_test: the full latency distribution as HDR
 * histograms (overall and per endpoint) and a per-second timeline. Latency is compared as a
 * whole distribution (every request) plus p50…p99.9 rows; throughput uses the per-second
 * request rates as samples (the last, partial second is left out).
 */
export const perfengLoadFormat: JsonFormat = {
  id: 'perfeng-load',
  label: 'perfeng run_load_test result.json',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc)) return 0;
    if (doc.tool === 'run_load_test') return 1;
    return 0.6 * keyScore(doc, ['tool', 'version', 'result', 'histograms']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const result = requireRecord(root.result, ['result']);
    const histograms = requireRecord(root.histograms, ['histograms']);
    const benchmarks: Benchmark[] = [];
    const overall = decodeLatencyHistogram(requireString(histograms.overall, ['histograms', 'overall']), ['histograms', 'overall']);
    const notes: string[] = [];
    if (overall.length) benchmarks.push(...latencyRows('', overall));
    else notes.push('no request finished in this run: no latency to compare');
    const endpoints = isRecord(histograms.endpoints) ? histograms.endpoints : {};
    const names = Object.keys(endpoints);
    if (names.length > 1) {
      for (const name of names) {
        const pairs = decodeLatencyHistogram(requireString(endpoints[name], ['histograms', 'endpoints', name]), ['histograms', 'endpoints', name]);
        if (pairs.length) benchmarks.push({ name: `${name} latency`, unit: 'ms', direction: 'lower-is-better', histogram: pairs });
      }
    }
    const timeline = result.timeline === undefined ? [] : requireArray(result.timeline, ['result', 'timeline']);
    const rps = timeline.map((raw, i) => requireNumber(requireRecord(raw, ['result', 'timeline', i]).rps, ['result', 'timeline', i, 'rps']));
    const seconds = rps.length > 1 ? rps.slice(0, -1) : rps;
    if (seconds.length) benchmarks.push({ name: 'throughput', unit: 'req/s', direction: 'higher-is-better', values: seconds });
    const requests = isRecord(result.requests) ? result.requests : {};
    const total = optionalNumber(requests.total);
    const failed = optionalNumber(requests.failed);
    if (total !== undefined && failed !== undefined && total > 0) {
      benchmarks.push({ name: 'error rate', unit: 'ratio', direction: 'lower-is-better', summary: { mean: failed / total, n: total } });
    }
    notes.push(
      'requests within one load run are not independent samples (queueing links neighbours): treat tiny p-values on latency with care and repeat the runs',
    );
    const context: Record<string, string> = {};
    const input = isRecord(root.input) ? root.input : {};
    for (const key of ['connections', 'rate', 'duration'] as const) if (input[key] !== undefined) context[key] = String(input[key]);
    if (isRecord(result.generator) && typeof result.engine === 'string') context.engine = result.engine;
    return { benchmarks, context, notes };
  },
};
