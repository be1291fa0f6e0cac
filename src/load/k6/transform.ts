import { parse, type Node } from 'acorn';
import { UserError } from '../../common/errors.js';

/**
 * k6 scripts are synchronous: `http.get` blocks its VU. We run hundreds of VUs on one Node
 * event loop, so a blocking call must become an `await` — and so must every call to a
 * function that (transitively) reaches one, with that function made `async`. This file
 * does exactly that on the AST (acorn), and nothing more:
 *
 * - `import … from 'k6/…'` → `const … = __k6_import("k6/…")` (all placed on line 1, the
 *   original import text blanked, so every later line keeps its number: errors point at the
 *   user's line);
 * - `export …` → plain declarations plus `__k6_exports.x = x` appended after the last line;
 * - the call graph (by name: declarations, `const f = () => …`, object methods, class
 *   methods) is closed over the blocking k6 calls (`http.*`, `sleep`, `group`), and each call
 *   that reaches one becomes `(await …)`, each function containing one `async`;
 * - `arr.forEach(cb)` / `map` / … with a blocking callback is run through `__k6_each`, which
 *   awaits the callbacks one by one (k6 would run them one by one);
 * - `__VU` / `__ITER` read the VU's own state.
 *
 * Only insertions and same-line replacements: line numbers never move.
 * Why not workers with Atomics.wait: one thread per VU costs ~10 MB each and thread
 * start-up; 200 VUs would need 2 GB. Async functions on one loop cost a few KB per VU.
 */

export interface TransformedModule {
  /** The code to wrap in the VU factory. */
  code: string;
  /** Local modules imported (specifier as written → resolved later by the loader). */
  localImports: string[];
  /** Exported names whose functions became async (for modules importing this one). */
  asyncExports: Set<string>;
}

// biome-ignore lint/suspicious/noExplicitAny: ESTree nodes of every type are walked generically
type AnyNode = Node & Record<string, any>;

/** k6 modules we provide. */
export const SUPPORTED_MODULES = new Set(['k6', 'k6/http', 'k6/metrics', 'k6/data', 'k6/execution', 'k6/encoding', 'k6/crypto', 'k6/html']);

const UNSUPPORTED: Array<[RegExp, string]> = [
  [/^k6\/browser$|^k6\/experimental\/browser$/, 'browser testing (k6/browser)'],
  [/^k6\/net\/grpc$|^k6\/experimental\/grpc$/, 'gRPC (k6/net/grpc)'],
  [/^k6\/ws$|^k6\/experimental\/websockets$/, 'WebSockets (k6/ws)'],
  [/^k6\/x\//, 'xk6 extensions'],
  [/^https?:\/\//, 'remote module imports'],
];

/** Blocking functions per module (named import or `module.name`). */
const BLOCKING: Record<string, Set<string>> = {
  // check: a predicate may reach a blocking call (then check awaits it).
  k6: new Set(['sleep', 'group', 'check']),
  'k6/http': new Set(['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'request', 'batch', 'asyncRequest']),
};

const ARRAY_METHODS = new Set(['forEach', 'map', 'filter', 'some', 'every', 'find', 'findIndex', 'flatMap', 'reduce']);

function isFunction(node: AnyNode | null | undefined): boolean {
  return !!node && (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression');
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'start' || key === 'end' || key === 'type') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v.type === 'string') out.push(v);
    } else if (value && typeof value.type === 'string') out.push(value);
  }
  return out;
}

interface Edit {
  at: number;
  end: number;
  text: string;
  order: number;
  /** For insertions that open a wrap: the wrapped node's length (outer wraps go first). */
  span?: number;
}

function applyEdits(source: string, edits: Edit[]): string {
  // Later positions first; at the same position, larger `order` first (so wrapping parens nest).
  const sorted = [...edits].sort((a, b) => b.at - a.at || b.end - a.end || b.order - a.order || (a.span ?? 0) - (b.span ?? 0));
  let out = source;
  for (const e of sorted) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

function lineOf(source: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

function blankKeepingLines(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

function calleeName(callee: AnyNode): string | null {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') return callee.property.name;
  return null;
}

/**
 * @param importedAsync for each local module specifier, the names it exports as async.
 */
export function transformK6Module(source: string, file: string, importedAsync: (specifier: string) => Set<string>): TransformedModule {
  let ast: AnyNode;
  try {
    ast = parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true, allowHashBang: true }) as AnyNode;
  } catch (error) {
    const e = error as SyntaxError & { loc?: { line: number; column: number } };
    throw new UserError(`${file}:${e.loc?.line ?? '?'}: ${e.message}`, 'fix the syntax error in the k6 script');
  }
  const edits: Edit[] = [];
  const prelude: string[] = [];
  const appended: string[] = [];
  const localImports: string[] = [];
  /** local binding name → [module, imported name or '*'] */
  const bindings = new Map<string, [string, string]>();
  const asyncImportedNames = new Set<string>();

  for (const node of ast.body as AnyNode[]) {
    if (node.type === 'ImportDeclaration') {
      const spec = String(node.source.value);
      const line = lineOf(source, node.start);
      for (const [pattern, feature] of UNSUPPORTED) {
        if (pattern.test(spec))
          throw new UserError(
            `${file}:${line}: ${feature} is not supported ("${spec}")`,
            `only HTTP k6 scripts run here: ${[...SUPPORTED_MODULES].join(', ')} and local modules`,
          );
      }
      const local = spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/');
      if (!local && !SUPPORTED_MODULES.has(spec)) {
        throw new UserError(`${file}:${line}: module "${spec}" is not supported`, `supported: ${[...SUPPORTED_MODULES].join(', ')} and local files`);
      }
      if (local) localImports.push(spec);
      const asyncNames = local ? importedAsync(spec) : new Set<string>();
      const named: string[] = [];
      for (const s of node.specifiers as AnyNode[]) {
        const localName = s.local.name as string;
        if (s.type === 'ImportDefaultSpecifier') {
          prelude.push(`const ${localName} = __k6_import(${JSON.stringify(spec)}).default;`);
          bindings.set(localName, [spec, local ? 'default' : '*']);
          if (asyncNames.has('default')) asyncImportedNames.add(localName);
        } else if (s.type === 'ImportNamespaceSpecifier') {
          prelude.push(`const ${localName} = __k6_import(${JSON.stringify(spec)});`);
          bindings.set(localName, [spec, '*']);
        } else {
          const imported = s.imported.type === 'Identifier' ? s.imported.name : String(s.imported.value);
          named.push(imported === localName ? localName : `${JSON.stringify(imported)}: ${localName}`);
          bindings.set(localName, [spec, imported]);
          if (asyncNames.has(imported)) asyncImportedNames.add(localName);
        }
      }
      if (named.length) prelude.push(`const { ${named.join(', ')} } = __k6_import(${JSON.stringify(spec)});`);
      if (!node.specifiers.length) prelude.push(`__k6_import(${JSON.stringify(spec)});`);
      edits.push({ at: node.start, end: node.end, text: blankKeepingLines(source.slice(node.start, node.end)), order: 0 });
    } else if (node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration' || node.type === 'ExportAllDeclaration') {
      if (node.type === 'ExportAllDeclaration' || node.source) {
        throw new UserError(`${file}:${lineOf(source, node.start)}: re-exports ("export … from") are not supported`, 'import the names and export them');
      }
    }
  }

  // ---- call graph: which functions reach a blocking call -------------------------------
  interface FnInfo {
    node: AnyNode;
    names: string[];
    calls: AnyNode[];
    async: boolean;
    userAsync: boolean;
    /** Where `async ` goes. */
    asyncAt: number;
    /** Parameter names, and calls of them (`function retry(fn) { fn() }`). */
    paramNames: Set<string>;
    paramCalls: Set<AnyNode>;
  }
  const fns: FnInfo[] = [];
  const topCalls: AnyNode[] = [];
  const fnOf = new Map<AnyNode, FnInfo>();
  const vuIdentifiers: AnyNode[] = [];

  const declaredNames = (node: AnyNode, parent: AnyNode | null): string[] => {
    const names: string[] = [];
    if (node.id?.name) names.push(node.id.name);
    if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') names.push(parent.id.name);
    if ((parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') && !parent.computed) {
      const key = parent.key;
      if (key.type === 'Identifier') names.push(key.name);
      else if (key.type === 'Literal') names.push(String(key.value));
    }
    if (parent?.type === 'AssignmentExpression' && parent.left.type === 'MemberExpression' && !parent.left.computed) names.push(parent.left.property.name);
    if (parent?.type === 'AssignmentExpression' && parent.left.type === 'Identifier') names.push(parent.left.name);
    return names;
  };

  const visit = (node: AnyNode, parent: AnyNode | null, current: FnInfo | null): void => {
    if (isFunction(node)) {
      // A method (`{ m() {} }`, getters/setters, class members): its `async` goes before the key.
      const method = (parent?.type === 'Property' && (parent.method || parent.kind !== 'init')) || parent?.type === 'MethodDefinition' ? parent : null;
      const info: FnInfo = {
        node,
        names: declaredNames(node, parent),
        calls: [],
        async: false,
        userAsync: !!node.async,
        asyncAt: method ? (method.computed ? method.start : method.key.start) : node.start,
        paramNames: new Set((node.params as AnyNode[]).filter((p) => p.type === 'Identifier').map((p) => p.name as string)),
        paramCalls: new Set(),
      };
      if (node.generator) info.userAsync = true; // never rewrite generators
      if (method?.kind && method.kind !== 'method' && method.kind !== 'init') info.userAsync = true; // getters/setters/constructors
      fns.push(info);
      fnOf.set(node, info);
      for (const child of children(node)) visit(child, node, info);
      return;
    }
    if (node.type === 'CallExpression') {
      const method = node.callee.type === 'MemberExpression' && !node.callee.computed ? node.callee.property.name : undefined;
      if (method === 'submitForm' || method === 'clickLink') {
        throw new UserError(
          `${file}:${lineOf(source, node.start)}: res.${method}() is not supported here`,
          method === 'submitForm'
            ? "send the form with http.post(url, res.html('form').serializeObject()) (k6/html is supported)"
            : "follow the link with http.get(res.html('a…').attr('href')) (k6/html is supported)",
        );
      }
      (current ? current.calls : topCalls).push(node);
      if (current && node.callee.type === 'Identifier' && current.paramNames.has(node.callee.name)) current.paramCalls.add(node);
    }
    if (node.type === 'Identifier' && (node.name === '__VU' || node.name === '__ITER')) {
      const isProperty = parent?.type === 'MemberExpression' && parent.property === node && !parent.computed;
      const isKey = parent?.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand;
      if (!isProperty && !isKey) vuIdentifiers.push({ ...node, shorthand: parent?.type === 'Property' && parent.shorthand } as AnyNode);
    }
    for (const child of children(node)) visit(child, node, current);
  };
  visit(ast, null, null);

  const moduleOf = (name: string) => bindings.get(name);
  const isBlockingK6 = (call: AnyNode): boolean => {
    const callee = call.callee as AnyNode;
    if (callee.type === 'Identifier') {
      const b = moduleOf(callee.name);
      return !!b && !!BLOCKING[b[0]]?.has(b[1]);
    }
    if (callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier') {
      const b = moduleOf(callee.object.name);
      if (b && b[1] === '*') return !!BLOCKING[b[0]]?.has(callee.property.name);
      if (b && BLOCKING[b[0]] === undefined && !b[0].startsWith('.') && !b[0].startsWith('/')) return false;
    }
    return false;
  };

  const asyncNames = new Set<string>(asyncImportedNames);
  const asyncFnNodes = new Set<AnyNode>();
  const arrayCalls = new Set<AnyNode>();
  const callReachesAsync = (call: AnyNode): boolean => {
    if (isBlockingK6(call)) return true;
    const callee = call.callee as AnyNode;
    // k6 module members never reach user code.
    if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier') {
      const b = moduleOf(callee.object.name);
      if (b && !b[0].startsWith('.') && !b[0].startsWith('/')) return false;
      // A method of an object from a local module (`api.ping()`): that module's async names.
      if (b && (b[0].startsWith('.') || b[0].startsWith('/')) && !callee.computed && importedAsync(b[0]).has(callee.property.name)) return true;
    }
    if (callee.type === 'MemberExpression' && !callee.computed && ARRAY_METHODS.has(callee.property.name)) {
      const cb = call.arguments[0] as AnyNode | undefined;
      if (cb && ((isFunction(cb) && asyncFnNodes.has(cb)) || (cb.type === 'Identifier' && asyncNames.has(cb.name)))) {
        arrayCalls.add(call);
        return true;
      }
      return false;
    }
    if (isFunction(callee)) return asyncFnNodes.has(callee); // IIFE
    const name = calleeName(callee);
    return name !== null && asyncNames.has(name);
  };
  // Higher-order helpers (`retry(() => http.get(u))`): a function that calls one of its
  // parameters becomes async when some call passes it a blocking function; its parameter
  // calls are then awaited (awaiting a plain value is harmless).
  const hasAsyncArg = (call: AnyNode) =>
    (call.arguments as AnyNode[]).some((a) => (isFunction(a) && asyncFnNodes.has(a)) || (a.type === 'Identifier' && asyncNames.has(a.name)));
  const allCalls = [...topCalls, ...fns.flatMap((f) => f.calls)];
  let changed = true;
  while (changed) {
    changed = false;
    for (const call of allCalls) {
      const name = calleeName(call.callee as AnyNode);
      if (name === null || !hasAsyncArg(call)) continue;
      for (const fn of fns) {
        if (fn.async || fn.userAsync || !fn.paramCalls.size || !fn.names.includes(name)) continue;
        fn.async = true;
        asyncFnNodes.add(fn.node);
        for (const n of fn.names) asyncNames.add(n);
        changed = true;
      }
    }
    for (const fn of fns) {
      if (fn.async || fn.userAsync) continue;
      if (fn.calls.some(callReachesAsync)) {
        fn.async = true;
        asyncFnNodes.add(fn.node);
        for (const n of fn.names) asyncNames.add(n);
        changed = true;
      }
    }
  }

  const awaited = (call: AnyNode, inAsync: boolean) => inAsync && callReachesAsync(call);
  /** k6's check(): a promise only when a predicate reached a blocking call. */
  const isK6Check = (call: AnyNode): boolean => {
    const callee = call.callee as AnyNode;
    if (callee.type === 'Identifier') {
      const b = moduleOf(callee.name);
      return !!b && b[0] === 'k6' && b[1] === 'check';
    }
    if (callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier') {
      const b = moduleOf(callee.object.name);
      return !!b && b[0] === 'k6' && b[1] === '*' && callee.property.name === 'check';
    }
    return false;
  };
  let usesTemp = false;
  for (const fn of fns) {
    if (fn.async) edits.push({ at: fn.asyncAt, end: fn.asyncAt, text: 'async ', order: 0 });
    const inAsync = fn.async || (fn.userAsync && !!fn.node.async);
    for (const call of fn.calls) {
      if (!awaited(call, inAsync) && !(fn.async && fn.paramCalls.has(call))) continue;
      if (arrayCalls.has(call)) {
        const callee = call.callee as AnyNode;
        edits.push({ at: call.start, end: call.start, text: '(await __k6_each(', order: 1, span: call.end - call.start });
        edits.push({ at: callee.object.end, end: call.arguments[0].start, text: `, ${JSON.stringify(callee.property.name)}, `, order: 0 });
        edits.push({ at: call.end, end: call.end, text: ')', order: 1 });
      } else if (isK6Check(call)) {
        // Awaited only when it returned a promise: \`await\` on a boolean still costs a promise
        // and a microtask, once per check of every iteration.
        usesTemp = true;
        edits.push({ at: call.start, end: call.start, text: '(typeof (__k6_t = ', order: 1, span: call.end - call.start });
        edits.push({ at: call.end, end: call.end, text: ")?.then === 'function' ? await __k6_t : __k6_t)", order: 1 });
      } else {
        edits.push({ at: call.start, end: call.start, text: '(await ', order: 1, span: call.end - call.start });
        edits.push({ at: call.end, end: call.end, text: ')', order: 1 });
      }
    }
  }
  for (const id of vuIdentifiers) {
    const text = `__k6_vu.${id.name}`;
    edits.push({ at: id.start, end: id.end, text: id.shorthand ? `${id.name}: ${text}` : text, order: 0 });
  }

  // ---- exports ---------------------------------------------------------------------------
  const asyncExports = new Set<string>();
  const exportFn = (exported: string, local: string) => {
    appended.push(`__k6_exports[${JSON.stringify(exported)}] = ${local};`);
    if (asyncNames.has(local)) asyncExports.add(exported);
  };
  for (const node of ast.body as AnyNode[]) {
    if (node.type === 'ExportDefaultDeclaration') {
      const decl = node.declaration as AnyNode;
      const head = node.start;
      if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && decl.id) {
        edits.push({ at: head, end: decl.start, text: ' '.repeat(decl.start - head), order: 0 });
        exportFn('default', decl.id.name);
      } else {
        edits.push({ at: head, end: decl.start, text: '__k6_exports.default = ', order: 0 });
        if (isFunction(decl) && asyncFnNodes.has(decl)) asyncExports.add('default');
      }
    } else if (node.type === 'ExportNamedDeclaration') {
      if (node.declaration) {
        const decl = node.declaration as AnyNode;
        edits.push({ at: node.start, end: decl.start, text: ' '.repeat(decl.start - node.start), order: 0 });
        if (decl.type === 'VariableDeclaration') {
          for (const d of decl.declarations as AnyNode[]) {
            if (d.id.type !== 'Identifier')
              throw new UserError(`${file}:${lineOf(source, d.start)}: destructuring exports are not supported`, 'export plain names');
            exportFn(d.id.name, d.id.name);
          }
        } else exportFn(decl.id.name, decl.id.name);
      } else {
        edits.push({ at: node.start, end: node.end, text: blankKeepingLines(source.slice(node.start, node.end)), order: 0 });
        for (const s of node.specifiers as AnyNode[]) {
          const exported = s.exported.type === 'Identifier' ? s.exported.name : String(s.exported.value);
          exportFn(exported, s.local.name);
        }
      }
    }
  }

  // Importers also match method calls (`api.ping()`) by name: every async name goes out.
  for (const name of asyncNames) if (!asyncImportedNames.has(name)) asyncExports.add(name);
  const body = applyEdits(
    source.replace(/^#!.*/, (m) => ' '.repeat(m.length)),
    edits,
  );
  // The temporary of a conditional await (read right after it is set: never across one).
  if (usesTemp) prelude.unshift('let __k6_t;');
  const code = `${prelude.join(' ')}${body}\n;${appended.join(' ')}`;
  return { code, localImports, asyncExports };
}
