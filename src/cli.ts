#!/usr/bin/env node
/**
 * Entry point. `hook` and `mcp` are dispatched before anything else is loaded: the hook runs
 * on every edit in Claude Code and the server's start-up is on the agent's critical path,
 * so neither pays for the argument parser or the other commands.
 */
const [command, ...rest] = process.argv.slice(2);

if (command === 'hook' && !rest.includes('--help') && !rest.includes('-h')) {
  const { runHook } = await import('./hooks/main.js');
  await runHook(rest[0]);
} else if (command === 'mcp' && rest.length === 0) {
  // The bundled server starts in a fraction of the time (see scripts/bundle.mjs);
  // the unbundled one serves development builds made with plain `tsc`.
  const bundled = new URL('./bundle/mcp.js', import.meta.url);
  const { existsSync } = await import('node:fs');
  const { runMcpServer } = (await import(existsSync(bundled) ? bundled.href : './mcp/main.js')) as typeof import('./mcp/main.js');
  await runMcpServer();
} else {
  const { runCli } = await import('./cli/main.js');
  process.exitCode = await runCli(process.argv);
}
