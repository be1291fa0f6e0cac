// Deep imports on purpose: the package index also loads HistogramLogWriter, whose module
// initialisation builds Intl.NumberFormat objects — up to ~0.5 s of CPU per thread in a profile
// on a busy 2-core machine, paid again by every generator thread.
import type { Histogram as HdrHistogram } from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js/dist/encoding.js';
import { round } from '../common/units.js';
import type { LatencySummary } from './schema.js';

/**
 * Latencies are recorded as integer microseconds in HDR histograms (Gil Tene's
 * HdrHistogram: fixed relative error — 3 significant digits = 0.1 % — at every magnitude,
 * constant memory whatever the request count). Reported in milliseconds with decimals.
 */
export type Histogram = HdrHistogram;

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

/** Adds `from` into `into` (same units). */
export function mergeInto(into: Histogram, from: Histogram): void {
  if (from.totalCount > 0) into.add(from);
}

const US_PER_MS = 1000;

export function percentileMs(histogram: Histogram, percentile: number): number {
  if (histogram.totalCount === 0) return 0;
  return round(histogram.getValueAtPercentile(percentile) / US_PER_MS, 3);
}

export function summarise(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    min: round(histogram.minNonZeroValue / US_PER_MS, 3),
    mean: round(histogram.mean / US_PER_MS, 3),
    p50: percentileMs(histogram, 50),
    p90: percentileMs(histogram, 90),
    p95: percentileMs(histogram, 95),
    p99: percentileMs(histogram, 99),
    p999: percentileMs(histogram, 99.9),
    max: round(histogram.maxValue / US_PER_MS, 3),
  };
}
