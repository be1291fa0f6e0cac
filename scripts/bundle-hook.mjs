// Builds dist/hooks/hook.cjs, the Claude Code hook entry (see src/hooks/bin.ts for why it
// is CommonJS). Every handler is inlined: the hook has no ESM-only dependency left.
//   node scripts/bundle-hook.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['src/hooks/bin.ts'],
  outfile: 'dist/hooks/hook.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Only the hot path is bundled. picomatch stays a runtime require (loaded only when
  // hooks.paths holds a glob): compiling its 60 KB on every edit would cost more than it saves.
  external: ['picomatch'],
  // The handlers are ES modules that find files beside themselves through import.meta.url,
  // which a CommonJS file does not have: there it is this bundle's own file URL.
  define: { 'import.meta.url': '__hookBundleUrl' },
  banner: { js: "'use strict';\nconst __hookBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: false,
  legalComments: 'inline',
  logLevel: 'warning',
});
