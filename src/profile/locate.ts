import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import type { FrameCategory } from './model.js';

/**
 * Where a frame lives, as a person wants to read it: source-mapped to the .ts line when the
 * profiled file carries a source map (`//# sourceMappingURL=`, inline or a file next to
 * it — what tsc, esbuild and swc emit), then shown relative to the profiled cwd.
 */
export interface RawLocation {
  name: string;
  /** A file:// URL, an absolute path, node:… or empty. */
  url: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
}

export interface Located {
  name: string;
  file: string;
  line: number;
  column: number;
  category: FrameCategory;
}

const SPECIAL: Record<string, FrameCategory> = {
  '(garbage collector)': 'gc',
  '(idle)': 'idle',
  '(program)': 'program',
};

/** A file:// URL or an absolute path as a path; undefined for anything else (node:…, a bad URL). */
export function toPath(url: string): string | undefined {
  if (url.startsWith('file://')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? url : undefined;
}

/** `node:internal/…`, a path with /node_modules/, or the user's code. */
export function categoryOfUrl(url: string, name: string): FrameCategory {
  const special = SPECIAL[name];
  if (special) return special;
  if (url.startsWith('node:') || url.startsWith('internal/')) return 'node-internal';
  if (!url) return 'native';
  if (url.includes(`${sep}node_modules${sep}`) || url.includes('/node_modules/')) return 'dependency';
  return 'app';
}

export class Locator {
  private readonly maps = new Map<string, TraceMap | null>();
  private readonly cache = new Map<string, Located>();
  sourceMapped = 0;

  constructor(
    private readonly cwd: string,
    private readonly useSourceMaps = true,
  ) {}

  /** The file as shown: relative to cwd when inside it, else absolute (or the URL as given). */
  displayPath(pathOrUrl: string): string {
    const path = toPath(pathOrUrl);
    if (!path) return pathOrUrl;
    const rel = relative(this.cwd, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  }

  locate(raw: RawLocation): Located {
    const key = `${raw.name}\u0000${raw.url}\u0000${raw.line}\u0000${raw.column}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let located: Located = {
      name: raw.name,
      file: this.displayPath(raw.url),
      line: raw.line,
      column: raw.column,
      category: categoryOfUrl(raw.url, raw.name),
    };
    if (this.useSourceMaps && located.category === 'app' && raw.line > 0) {
      const mapped = this.mapPosition(raw);
      if (mapped) located = { ...located, ...mapped };
    }
    this.cache.set(key, located);
    return located;
  }

  /**
   * A 1-based line of a script (V8's line-level ticks carry no column) as shown: the first
   * mapping on that line when the script has a source map, else the line itself.
   */
  locateLine(url: string, line: number): { file: string; line: number } {
    const path = this.useSourceMaps && categoryOfUrl(url, '') === 'app' ? toPath(url) : undefined;
    const map = path ? this.loadMap(path) : null;
    if (map) {
      for (const bias of [LEAST_UPPER_BOUND, GREATEST_LOWER_BOUND] as const) {
        const original = originalPositionFor(map, { line, column: 0, bias });
        if (original.source !== null && original.line !== null) return { file: this.displayPath(original.source), line: original.line };
      }
    }
    return { file: this.displayPath(url), line };
  }

  private mapPosition(raw: RawLocation): Pick<Located, 'file' | 'line' | 'column' | 'name'> | undefined {
    const path = toPath(raw.url);
    if (!path) return undefined;
    const map = this.loadMap(path);
    if (!map) return undefined;
    const original = originalPositionFor(map, { line: raw.line, column: Math.max(0, raw.column - 1) });
    if (original.source === null || original.line === null) return undefined;
    this.sourceMapped++;
    return {
      file: this.displayPath(original.source),
      line: original.line,
      column: (original.column ?? 0) + 1,
      // The generated name is what V8 saw; keep it unless the map knows the original one.
      name: original.name && raw.name === '(anonymous)' ? original.name : raw.name,
    };
  }

  private loadMap(path: string): TraceMap | null {
    const cached = this.maps.get(path);
    if (cached !== undefined) return cached; // null: looked for before, no usable map
    let map: TraceMap | null = null;
    try {
      const text = readFileSync(path, 'utf8');
      // The last sourceMappingURL comment wins (ECMA-426 §"Linking generated code").
      const matches = [...text.matchAll(/\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/gm)];
      const ref = matches.at(-1)?.[1];
      if (ref) {
        if (ref.startsWith('data:')) {
          const comma = ref.indexOf(',');
          const meta = ref.slice(5, comma);
          const payload = ref.slice(comma + 1);
          const json = meta.endsWith(';base64') ? Buffer.from(payload, 'base64').toString('utf8') : decodeURIComponent(payload);
          map = new TraceMap(json, pathToFileURL(path).href);
        } else {
          const mapPath = resolve(dirname(path), decodeURIComponent(ref));
          if (existsSync(mapPath)) map = new TraceMap(readFileSync(mapPath, 'utf8'), pathToFileURL(mapPath).href);
        }
      }
    } catch {
      map = null; // unreadable or malformed map: fall back to generated positions
    }
    this.maps.set(path, map);
    return map;
  }
}
