import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAnalyzeQueryTool } from './analyze-query.js';
import { registerCompareBenchmarksTool } from './compare-benchmarks.js';
import { registerMeasureWebVitalsTool } from './measure-web-vitals.js';
import { registerProfileProcessTool } from './profile-process.js';
import { registerRunLoadTestTool } from './run-load-test.js';

/**
 * Registers every tool. Each tool lives in its own file and exports `registerXTool(server)`;
 * each arrives with its own issue (run_load_test, profile_process, analyze_query,
 * compare_benchmarks) and adds one line here.
 */
export function registerAllTools(server: McpServer): void {
  registerRunLoadTestTool(server);
  registerProfileProcessTool(server);
  registerCompareBenchmarksTool(server);
  registerAnalyzeQueryTool(server);
  registerMeasureWebVitalsTool(server);
  void server;
}
