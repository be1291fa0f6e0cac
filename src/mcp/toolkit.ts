import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { z } from 'zod';
import { createRunContext, type RunContext, type ToolOutcome } from '../common/context.js';
import { describeError, isCancelled, isUserError } from '../common/errors.js';
import { throttleProgress, type ProgressReporter } from '../common/progress.js';
import { trimToSize } from '../common/result-size.js';

export type { ToolOutcome };

/**
 * One tool: its contract (schemas, annotations) and a handler that calls into core.
 * The handler should `await import()` its core module so that listing tools stays fast.
 */
export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  handler(input: z.output<I>, context: RunContext): Promise<ToolOutcome<z.output<O>>>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

export function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs a handler with the shared machinery: context, progress, cancellation, errors, size guard. */
export async function executeTool<I extends z.ZodObject, O extends z.ZodObject>(
  spec: ToolSpec<I, O>,
  input: z.output<I>,
  extra: Extra,
): Promise<CallToolResult> {
  try {
    const context = await createRunContext({ signal: extra.signal, report: progressReporterFor(extra) });
    const outcome = await spec.handler(input, context);
    const structured = outcome.structured as Record<string, unknown>;
    const trim = trimToSize(structured);
    let text = outcome.summary;
    if (trim.trimmed) {
      const note = `Result shortened to stay small (${trim.notes.join('; ')}); the artefacts hold everything.`;
      if (Array.isArray(structured.warnings)) (structured.warnings as string[]).push(note);
      text += `\n${note}`;
    }
    return { content: [{ type: 'text', text }], structuredContent: structured };
  } catch (error) {
    if (isCancelled(error) || extra.signal.aborted) return errorResult(`${spec.name} was cancelled before it finished.`);
    if (isUserError(error)) return errorResult(`${spec.name}: ${error.message}`);
    process.stderr.write(`[perfeng] ${spec.name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    return errorResult(`${spec.name} failed unexpectedly: ${describeError(error)}. This is a bug in performance-engineer; the server keeps running.`);
  }
}

export function registerToolSpec<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, spec: ToolSpec<I, O>): void {
  server.registerTool(
    spec.name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.inputSchema,
      outputSchema: spec.outputSchema,
      annotations: { title: spec.title, ...spec.annotations },
    },
    // The SDK has validated the arguments against inputSchema (defaults applied).
    ((args: unknown, extra: Extra) => executeTool(spec, args as z.output<I>, extra)) as never,
  );
}
