import { UserError } from './errors.js';

/**
 * The one unit table. Time units in seconds (`us` and `µs` alike; Go's `ns/op` style is
 * compare's business), sizes in bytes (SI kB/MB/GB and binary KiB/MiB/GiB, case-insensitive).
 */
export const TIME_UNITS_S: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
export const SIZE_UNITS_B: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** The factor of `unit` within one kind, or undefined when the unit is not of that kind. */
export function unitFactor(kind: 'time-s' | 'time-ms' | 'size-b', unit: string): number | undefined {
  if (kind === 'size-b') return SIZE_UNITS_B[unit.toLowerCase()];
  const seconds = TIME_UNITS_S[unit];
  if (seconds === undefined) return undefined;
  return kind === 'time-ms' ? seconds * 1000 : seconds;
}

/**
 * Parses k6-style durations: "500ms", "10s", "2m", "1m30s", "1h". A bare number is seconds
 * (k6 rejects bare numbers; we accept them because agents often send `30`).
 */
export function parseDurationMs(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new UserError(`invalid ${what} ${text}: expected a non-negative number of seconds`);
    return text * 1000;
  }
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(trimmed)) !== null) {
    total += Number(match[1]) * (unitFactor('time-ms', match[2] as string) as number);
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== trimmed.length) {
    throw new UserError(`invalid ${what} "${text}"`, 'use forms like "500ms", "10s", "2m", "1m30s"');
  }
  return total;
}

/** Milliseconds with precision that suits the magnitude: 0.042 ms, 3.21 ms, 120 ms, 2.35 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (abs >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (abs >= 100) return `${ms.toFixed(0)} ms`;
  if (abs >= 10) return `${ms.toFixed(1)} ms`;
  if (abs >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatRate(perSecond: number, unit = 'req/s'): string {
  if (perSecond >= 10_000) return `${(perSecond / 1000).toFixed(1)}k ${unit}`;
  if (perSecond >= 100) return `${perSecond.toFixed(0)} ${unit}`;
  return `${perSecond.toFixed(1)} ${unit}`;
}

/** 0.0523 → "5.23%"; signed adds "+" for positive values (deltas). */
export function formatPct(fraction: number, options: { signed?: boolean; digits?: number } = {}): string {
  const digits = options.digits ?? (Math.abs(fraction) < 0.1 ? 2 : 1);
  const text = `${(fraction * 100).toFixed(digits)}%`;
  return options.signed && fraction > 0 ? `+${text}` : text;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Rounds for JSON output so results stay small and readable. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A filesystem- and id-safe slug: "GET /api/users?id=1" → "get-api-users-id-1". */
export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .toLowerCase()
    .replace(/^[a-z]+:\/\//, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug || 'run';
}
