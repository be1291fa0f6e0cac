/**
 * Keeps a structured result small enough for an agent's context (DESIGN: well under 10k
 * tokens ≈ 40k characters). Arrays are shortened from the end, longest first, until the JSON
 * fits; the full detail is always in the run's artefacts. Returns what was cut so the caller
 * can say so. Shortening an array never breaks an output schema that allows arrays.
 */
export const MAX_RESULT_CHARS = 40_000;

export interface TrimReport {
  trimmed: boolean;
  notes: string[];
}

function collectArrays(value: unknown, path: string, out: Array<{ path: string; array: unknown[] }>): void {
  if (Array.isArray(value)) {
    out.push({ path, array: value });
    value.forEach((item, i) => collectArrays(item, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) collectArrays(child, path ? `${path}.${key}` : key, out);
  }
}

export function trimToSize<T>(result: T, maxChars = MAX_RESULT_CHARS): TrimReport {
  const notes: string[] = [];
  let size = JSON.stringify(result).length;
  let guard = 0;
  while (size > maxChars && guard++ < 200) {
    const arrays: Array<{ path: string; array: unknown[] }> = [];
    collectArrays(result, '', arrays);
    const longest = arrays.filter((a) => a.array.length > 1).sort((a, b) => JSON.stringify(b.array).length - JSON.stringify(a.array).length)[0];
    if (!longest) break;
    const before = longest.array.length;
    longest.array.length = Math.max(1, Math.floor(before / 2));
    notes.push(`${longest.path || 'result'} shortened from ${before} to ${longest.array.length} entries`);
    size = JSON.stringify(result).length;
  }
  return { trimmed: notes.length > 0, notes };
}
