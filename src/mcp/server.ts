import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { registerAllTools } from './tools/index.js';
import { PACKAGE_VERSION } from '../common/version.js';

export const SERVER_NAME = 'perfeng';

export interface ServerOptions {
  /**
   * The tools/list answer computed at build time (scripts/bundle.mjs). Converting the zod
   * schemas to JSON Schema costs ~200 ms on every tools/list here, on the agent's start-up
   * path; the answer never changes for a build, so it is computed once when building.
   */
  toolsListManifest?: ListToolsResult;
}

export function createServer(options: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'performance-engineer', version: PACKAGE_VERSION },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'Performance instruments: load tests without coordinated omission, CPU/heap profiles, ' +
        'query plans with verified index advice, and benchmark comparison with significance tests. ' +
        'Quote the numbers these tools return; detailed artefacts are written under .perf/runs/.',
    },
  );
  registerAllTools(server);
  if (options.toolsListManifest) serveToolsListFromManifest(server, options.toolsListManifest);
  return server;
}

/** Registered tool names (the SDK keeps them in a private map). */
export function registeredToolNames(server: McpServer): string[] {
  return Object.keys((server as unknown as { _registeredTools: Record<string, unknown> })._registeredTools).sort();
}

/**
 * Answers tools/list from the build-time manifest when it names exactly the registered tools;
 * a stale or foreign manifest is ignored and the list is computed live as usual.
 */
function serveToolsListFromManifest(server: McpServer, manifest: ListToolsResult): void {
  const listed = manifest.tools.map((tool) => tool.name).sort();
  if (JSON.stringify(listed) !== JSON.stringify(registeredToolNames(server))) return;
  server.server.setRequestHandler(ListToolsRequestSchema, () => manifest);
}
