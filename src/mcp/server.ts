import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAllTools } from './tools/index.js';
import { PACKAGE_VERSION } from '../common/version.js';

export const SERVER_NAME = 'perfeng';

export function createServer(): McpServer {
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
  return server;
}
