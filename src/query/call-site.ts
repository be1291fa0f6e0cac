import { isAbsolute, resolve } from 'node:path';
import { Locator } from '../profile/locate.js';

/** One V8 stack frame: `fn (file:line:col)`, `file:line:col`, `async fn (file:///…:line:col)`. */
const FRAME = /^(?:async\s+)?(?:(.+?)\s+\()?((?:file:\/\/)?[^()\s][^()]*?):(\d+):(\d+)\)?$/;

/**
 * Call sites as the profiler shows functions: through the file's source map (tsc, esbuild and
 * swc output) to the original line, relative to the project. A query logged from compiled
 * code then points at `src/orders.ts:42`, not `dist/orders.js:1187`. Frames that do not parse,
 * or files without a map, stay as they are (paths shown relative to the project).
 */
export function sourceMappedCallSite(projectDir: string): (frame: string) => string {
  const locator = new Locator(projectDir);
  return (frame) => {
    const m = FRAME.exec(frame);
    if (!m) return frame;
    const [, name, file = '', line, column] = m;
    const url = file.startsWith('file://') || isAbsolute(file) ? file : resolve(projectDir, file);
    const at = locator.locate({ name: name ?? '(anonymous)', url, line: Number(line), column: Number(column) });
    const where = `${at.file}:${at.line}:${at.column}`;
    return name || at.name !== '(anonymous)' ? `${at.name} (${where})` : where;
  };
}
