import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { killAllSpawned } from '../common/process-tree.js';
import { createServer } from './server.js';

/** `perfeng mcp`: serve the tools over stdio until the client goes away. */
export async function runMcpServer(): Promise<void> {
  const server = createServer({ toolsListManifest: readToolsListManifest() });
  const transport = new StdioServerTransport();
  const shutdown = (code: number) => {
    killAllSpawned('SIGKILL');
    void server.close().finally(() => process.exit(code));
  };
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  await server.connect(transport);
}

/** `tools-list.json` next to the running file: written by scripts/bundle.mjs beside the bundle. */
function readToolsListManifest(): ListToolsResult | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./tools-list.json', import.meta.url), 'utf8')) as ListToolsResult;
  } catch {
    return undefined;
  }
}

// `node dist/mcp/main.js` serves too (the unbundled server: development, bench/mcp/startup.mjs);
// imported by dist/cli.js or the bundle it does nothing until runMcpServer() is called.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMcpServer();
