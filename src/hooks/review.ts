import { isToolName, TOOL_NAMES } from '../tool-names.js';

/**
 * What counts as a performance review: the performance-engineer subagent ran (SubagentStop
 * with its `agent_type`), or one of its measuring tools was called. Plugin MCP tools are named
 * `mcp__plugin_<plugin>_<server>__<tool>`; the same server configured by hand in `.mcp.json`
 * appears as `mcp__perfeng__<tool>`. Plugin agents are namespaced `<plugin>:<agent>`.
 */
export const REVIEW_TOOLS = TOOL_NAMES;

const TOOL_NAME = /^mcp__(?:plugin_performance-engineer_perfeng|perfeng)__([a-z_]+)$/;
const AGENT = 'performance-engineer';

export function reviewToolOf(toolName: string | undefined): string | undefined {
  if (!toolName) return undefined;
  const name = TOOL_NAME.exec(toolName)?.[1];
  return name && isToolName(name) ? name : undefined;
}

export function isReviewAgent(agentType: string | undefined): boolean {
  if (!agentType) return false;
  return agentType === AGENT || agentType === `${AGENT}:${AGENT}` || agentType.endsWith(`:${AGENT}`);
}
