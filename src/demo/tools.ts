import type { RunContext, ToolOutcome } from '../common/context.js';
import { findTool, parseToolInput } from '../common/tool.js';
import type { ToolName } from '../tool-names.js';
import { TOOLS } from '../tools.js';

/**
 * The demo runs the agent's tools through the registry (src/tools.ts): the same validation
 * as MCP and the CLI, then the core's full result (the demo reads whole tables, so it takes
 * the core outcome rather than the size-limited structured result). A tool whose core module
 * is not there (a trimmed install) makes its demo step "skipped" with the reason, instead of
 * failing the whole demo.
 */
export type ToolRunner<O> = (input: Record<string, unknown>, context: RunContext) => Promise<ToolOutcome<O>>;

export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
}

export async function loadTool<O>(name: ToolName): Promise<ToolRunner<O>> {
  const tool = findTool(TOOLS, name);
  return async (input, context) => {
    const parsed = parseToolInput(tool, input);
    try {
      return (await tool.run(parsed, context)) as ToolOutcome<O>;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' && /[\\/](load|profile|query|compare|vitals)[\\/]index\.js/.test((error as Error).message)) {
        throw new ToolMissingError(`${name} is not available in this build`);
      }
      throw error;
    }
  };
}
