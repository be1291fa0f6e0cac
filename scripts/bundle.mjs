// Bundles the MCP server's start-up path (SDK, zod, tool schemas) into one file.
// Why: importing @modelcontextprotocol/sdk and zod as hundreds of separate modules costs
// ~240 ms here, most of the server's start-up budget (connect + tools/list < 250 ms).
// Everything a tool loads on first call stays unbundled: dynamic imports are left as
// imports of the tsc output in dist/, so each tool's heavy dependencies load lazily.
import { build } from 'esbuild';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, 'dist/bundle');

const keepDynamicImportsLazy = {
  name: 'keep-dynamic-imports-lazy',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !args.path.startsWith('.')) return undefined;
      const target = resolve(args.resolveDir, args.path);
      let path = relative(outdir, target).split('\\').join('/');
      if (!path.startsWith('.')) path = `./${path}`;
      return { path, external: true };
    });
  },
};

// zod re-exports every locale as a namespace (`z.locales`), which a bundler cannot drop;
// nothing here selects a locale (zod configures English itself), so the index of locales is
// replaced by English alone. That is about half of zod's size in the start-up bundle.
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: resolve(args.resolveDir, args.path), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(resolve(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

// The SDK's Server builds an ajv instance (with ajv-formats) in its constructor for one use:
// validating the answer to an elicitation request, which this server never sends. That is
// ~130 kB of the bundle evaluated on every start; a stub takes its place (it throws if ever
// called, so a future elicitation would fail loudly rather than unvalidated).
const noElicitationValidator = {
  name: 'no-elicitation-validator',
  setup(b) {
    b.onResolve({ filter: /validation[\\/]ajv-provider\.js$/ }, (args) =>
      /[\\/]@modelcontextprotocol[\\/]sdk[\\/]/.test(args.importer) ? { path: 'ajv-provider-stub', namespace: 'no-ajv' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-ajv' }, () => ({
      contents:
        "export class AjvJsonSchemaValidator { getValidator() { throw new Error('perfeng: JSON Schema validation of elicitation answers is not in the bundle (scripts/bundle.mjs)'); } }",
    }));
  },
};

const entries = [{ in: 'dist/mcp/main.js', out: 'mcp' }];

await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  plugins: [keepDynamicImportsLazy, englishOnlyZodLocales, noElicitationValidator],
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __perfengCreateRequire } from 'node:module'; const require = __perfengCreateRequire(import.meta.url);" },
});

// The tools/list answer, computed once here by the server's own code (see ServerOptions in
// src/mcp/server.ts): the bundled server serves it instead of converting schemas at start-up.
{
  const { writeFileSync } = await import('node:fs');
  const { createServer } = await import(new URL('../dist/mcp/server.js', import.meta.url).href);
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createServer();
  await server.connect(serverSide);
  const client = new Client({ name: 'bundle', version: '0' });
  await client.connect(clientSide);
  const list = await client.listTools();
  await client.close();
  writeFileSync(resolve(outdir, 'tools-list.json'), JSON.stringify({ tools: list.tools }));
  // What every conversation pays for: name + description + input schema of each tool (the
  // contract in issue 14 keeps it within 16,000 characters; test/mcp/contract.test.ts checks it).
  const listed = list.tools.reduce((n, t) => n + JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema }).length, 0);
  if (listed > 16_000) {
    // An error, not a warning: the list is paid for in every conversation where the plugin is on.
    console.error(`error: tools/list is ${listed} characters (name + description + inputSchema), over the 16,000 budget (issue 14)`);
    process.exit(1);
  }
}

await import('./bundle-hook.mjs');
