import { runHook } from './main.js';

/**
 * Entry of the hook bundle `dist/hooks/hook.cjs` (scripts/bundle-hook.mjs), which
 * hooks/hooks.json runs as `node dist/hooks/hook.cjs <event>`. A CommonJS entry starts ~15 ms
 * faster than any ES module entry (Node's ESM loader set-up; bench/hooks), and that is the
 * whole budget of a non-matching edit. `perfeng hook <event>` runs the same code unbundled.
 */
void runHook(process.argv[2]);
