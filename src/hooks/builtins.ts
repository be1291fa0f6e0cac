/**
 * Node built-ins for the hook's hot path. `import … from 'node:fs'` builds the module's whole
 * ESM namespace, which reads the lazy `fs.promises` getter and loads the promise API and the
 * stream stack with it — several milliseconds on a path whose whole budget is 15 ms over
 * bare `node -e 0` (bench/hooks). `process.getBuiltinModule` (Node ≥ 20.16) hands back the
 * CommonJS object without that. Only the hot path (main, settings, paths, post-tool-use) uses
 * this; the rarer events import normally.
 */
export const fs = process.getBuiltinModule('node:fs');
export const path = process.getBuiltinModule('node:path');
