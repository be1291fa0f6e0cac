import type { AnyTool } from './common/tool.js';
import { compareBenchmarksTool } from './compare/tool.js';
import { performanceHistoryTool } from './history/tool.js';
import { runLoadTestTool } from './load/tool.js';
import { profileProcessTool } from './profile/tool.js';
import { analyzeQueryTool } from './query/tool.js';
import { measureWebVitalsTool } from './vitals/tool.js';

/**
 * Every tool, once, in the order of src/tool-names.ts. The MCP server lists and calls these,
 * the CLI commands and the demo run them through `runTool`, and the hooks use their names.
 * Each definition imports only its schema; its core loads on first call.
 */
export const TOOLS: readonly AnyTool[] = [
  runLoadTestTool,
  profileProcessTool,
  analyzeQueryTool,
  compareBenchmarksTool,
  measureWebVitalsTool,
  performanceHistoryTool,
];

export { compareBenchmarksTool, runLoadTestTool, profileProcessTool, analyzeQueryTool, measureWebVitalsTool, performanceHistoryTool };
