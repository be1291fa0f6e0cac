import { dirname, resolve } from 'node:path';
import vm from 'node:vm';
import { UserError } from '../../common/errors.js';
import { mayUseHtml } from './html.js';
import { transformK6Module } from './transform.js';

/**
 * Reads a k6 script and the local modules it imports, transforms each (transform.ts) and
 * compiles it once in one `vm` context as a factory function. Each VU calls the factories
 * itself, so every VU gets its own module-level state — as every k6 VU has its own runtime —
 * at the cost of a closure, not of a context. The context holds only the language built-ins
 * plus console and timers: this is isolation from mistakes, not a security boundary (a k6
 * script is code, like a test).
 */
export type ModuleFactory = (
  k6Import: (specifier: string) => unknown,
  exports: Record<string, unknown>,
  each: (array: unknown, method: string, ...args: unknown[]) => Promise<unknown>,
  vu: { readonly __VU: number; readonly __ITER: number },
  env: Record<string, string>,
  open: (path: string, mode?: string) => string | ArrayBuffer,
) => void;

export interface LoadedScript {
  entry: string;
  /** Absolute path → compiled factory. */
  modules: Map<string, { factory: ModuleFactory; imports: Map<string, string> }>;
  context: vm.Context;
  /** Sink for console output (set by the runner). */
  console: { sink: (level: string, args: unknown[]) => void };
  /** Some module may parse HTML (k6/html, res.html()): the runner loads the parser before the run. */
  usesHtml: boolean;
}

const WRAPPER_PARAMS = '__k6_import, __k6_exports, __k6_each, __k6_vu, __ENV, open';

/** Reads a file the script names (the entry, its local imports), through the input-file gate. */
export type ScriptFileReader = (path: string, what: string) => Buffer<ArrayBuffer>;

export function loadK6Script(entryPath: string, readFile: ScriptFileReader): LoadedScript {
  const consoleSink = { sink: (_level: string, _args: unknown[]) => undefined as void };
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      consoleSink.sink(level, args);
  const context = vm.createContext({
    console: { log: log('info'), info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
  });
  const modules: LoadedScript['modules'] = new Map();
  const asyncExports = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  let usesHtml = false;

  const load = (path: string): void => {
    if (modules.has(path) || visiting.has(path)) return;
    visiting.add(path);
    let source: string;
    try {
      source = readFile(path, path === entryPath ? 'k6 script' : 'module imported by the k6 script').toString('utf8');
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(
        `cannot read k6 script ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        'give a path relative to the project, e.g. load-test/smoke.js',
      );
    }
    usesHtml ||= mayUseHtml(source);
    const imports = new Map<string, string>();
    const resolveLocal = (specifier: string) => {
      const target = resolve(dirname(path), specifier);
      imports.set(specifier, target);
      load(target);
      return target;
    };
    // First pass finds the local imports (so their async exports are known), the second
    // transforms with that knowledge.
    const first = transformK6Module(source, path, () => new Set());
    for (const spec of first.localImports) resolveLocal(spec);
    const result = transformK6Module(source, path, (spec) => asyncExports.get(resolve(dirname(path), spec)) ?? new Set());
    asyncExports.set(path, result.asyncExports);
    let factory: ModuleFactory;
    try {
      const script = new vm.Script(`(function (${WRAPPER_PARAMS}) { "use strict"; ${result.code}\n})`, { filename: path });
      factory = script.runInContext(context) as ModuleFactory;
    } catch (error) {
      const e = error as Error;
      const where = /:(\d+)\s*$/m.exec(e.stack?.split('\n')[0] ?? '')?.[1];
      throw new UserError(
        `${path}${where ? `:${where}` : ''}: ${e.message}`,
        'fix the script (after our async rewrite it did not compile — please report this with the script)',
      );
    }
    modules.set(path, { factory, imports });
    visiting.delete(path);
  };
  load(entryPath);
  return { entry: entryPath, modules, context, console: consoleSink, usesHtml };
}
