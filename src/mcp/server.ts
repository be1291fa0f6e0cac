import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { createRunContext } from '../common/context.js';
import { describeError, isCancelled, isUserError } from '../common/errors.js';
import { throttleProgress, type ProgressReporter } from '../common/progress.js';
import { type AnyTool, listEntryOf, runTool } from '../common/tool.js';
import { PACKAGE_VERSION } from '../common/version.js';
import { TOOLS } from '../tools.js';

export const SERVER_NAME = 'perfeng';

export interface ServerOptions {
  /**
   * The tools/list answer computed at build time (scripts/bundle.mjs). Converting the zod
   * schemas to JSON Schema costs ~200 ms on every tools/list here, on the agent's start-up
   * path; the answer never changes for a build, so it is computed once when building.
   */
  toolsListManifest?: ListToolsResult;
  /** The tools to serve (default: every tool in src/tools.ts); tests pass their own. */
  tools?: readonly AnyTool[];
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * The MCP server: tools/list and tools/call over the registry. The low-level `Server` is
 * enough — the registry validates input itself (unknown keys are errors, which McpServer's
 * schema handling would drop) and builds the structured result (src/common/tool.ts).
 */
export function createServer(options: ServerOptions = {}): Server {
  const tools = options.tools ?? TOOLS;
  const server = new Server(
    { name: SERVER_NAME, title: 'performance-engineer', version: PACKAGE_VERSION },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'Performance instruments: load tests without coordinated omission, CPU/heap profiles, ' +
        'query plans with verified index advice, and benchmark comparison with significance tests. ' +
        'Quote the numbers these tools return; detailed artefacts are written under .perf/runs/.',
    },
  );
  const manifest = options.toolsListManifest;
  // A stale or foreign manifest (other names) is ignored and the list is computed live.
  const listed =
    manifest &&
    sameNames(
      manifest.tools.map((t) => t.name),
      tools.map((t) => t.name),
    )
      ? manifest
      : undefined;
  let live: ListToolsResult | undefined;
  server.setRequestHandler(ListToolsRequestSchema, () => listed ?? (live ??= { tools: tools.map(listEntryOf) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = tools.find((t) => t.name === request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${request.params.name} not found`);
    return callTool(tool, request.params.arguments, extra);
  });
  return server;
}

function sameNames(a: string[], b: string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/** Sends `notifications/progress` when the client asked for it (a progressToken), ≤ 1/s. */
export function progressReporterFor(extra: Extra): ProgressReporter {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => {};
  let last = -1;
  return throttleProgress((progress, total, message) => {
    // The protocol requires progress to increase monotonically.
    const value = Math.max(progress, last + 1e-6);
    last = value;
    void extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: value, ...(total !== undefined ? { total } : {}), ...(message ? { message } : {}) },
      })
      .catch(() => undefined);
  }, 1000);
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/**
 * One tools/call. Cancellation policy (docs/architecture.md): a cancelled call ends as an
 * error result ("… was cancelled"), never as a partial result; bad input is an error result
 * that names the field; anything else is reported as a bug and the server keeps running.
 */
export async function callTool(tool: AnyTool, args: unknown, extra: Extra): Promise<CallToolResult> {
  try {
    const context = await createRunContext({ signal: extra.signal, report: progressReporterFor(extra) });
    const run = await runTool(tool, args, context);
    if (extra.signal.aborted) return errorResult(`${tool.name} was cancelled before it finished.`);
    return { content: [{ type: 'text', text: run.text }], structuredContent: run.structured };
  } catch (error) {
    if (isCancelled(error) || extra.signal.aborted) return errorResult(`${tool.name} was cancelled before it finished.`);
    if (isUserError(error)) return errorResult(`${tool.name}: ${error.message}`);
    process.stderr.write(`[perfeng] ${tool.name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    return errorResult(`${tool.name} failed unexpectedly: ${describeError(error)}. This is a bug in performance-engineer; the server keeps running.`);
  }
}
