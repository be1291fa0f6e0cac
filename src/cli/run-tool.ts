import { createRunContext, type RunContext, type ToolOutcome } from '../common/context.js';
import { type AnyTool, runTool } from '../common/tool.js';
import { describeError, isCancelled, isUserError } from '../common/errors.js';
import { killAllSpawned } from '../common/process-tree.js';
import { createProgressLine } from './progress-line.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_CANCELLED = 130;

export interface CliToolOptions<O> {
  json: boolean;
  /** Calls a core function directly (commands that are not agent tools: demo, profile diff). */
  execute(context: RunContext): Promise<ToolOutcome<O>>;
  /** True when the result is a failed verdict: exit code 1. */
  failed?(structured: O): boolean;
}

/**
 * A tool command: flags → raw input, then the registry does what it does for MCP (validate,
 * run, verdict, summary-first result). Exit code 1 when the tool's verdict is a failure.
 */
export async function runRegisteredTool(
  tool: AnyTool,
  options: { json: boolean; input(): Record<string, unknown>; text?: (structured: Record<string, unknown>) => Promise<string> },
): Promise<number> {
  let failed = false;
  return runCliTool<Record<string, unknown>>({
    json: options.json,
    async execute(context) {
      const run = await runTool(tool, options.input(), context);
      failed = run.verdict.failed;
      return { structured: run.structured, summary: options.text ? await options.text(run.structured) : run.text };
    },
    failed: () => failed,
  });
}

/**
 * The CLI side of every tool: context, Ctrl-C as cancellation (a second Ctrl-C exits at
 * once), a live progress line on a TTY, then the summary (or exactly the structured
 * result with --json) and the exit code: 0 ok, 1 failed verdict or error, 2 bad input,
 * 130 cancelled (the cancellation policy in docs/architecture.md: no partial result).
 */
export async function runCliTool<O>(options: CliToolOptions<O>): Promise<number> {
  const controller = new AbortController();
  const progress = createProgressLine(process.stderr);
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nstopping… (Ctrl-C again to quit now)\n');
      controller.abort();
    } else {
      killAllSpawned('SIGKILL');
      process.exit(130);
    }
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const context = await createRunContext({ signal: controller.signal, report: progress.report });
    const outcome = await options.execute(context);
    progress.clear();
    if (options.json) process.stdout.write(`${JSON.stringify(outcome.structured, null, 2)}\n`);
    else process.stdout.write(`${outcome.summary}\n`);
    if (controller.signal.aborted) {
      // The one cancellation policy (docs/architecture.md): what a core measured before it
      // stopped is shown and kept (marked aborted), but the command never exits as a success.
      process.stderr.write('perfeng: cancelled\n');
      return EXIT_CANCELLED;
    }
    return options.failed?.(outcome.structured) ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    progress.clear();
    if (isUserError(error)) {
      process.stderr.write(`perfeng: ${error.message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (isCancelled(error)) {
      process.stderr.write('perfeng: cancelled\n');
      return EXIT_CANCELLED;
    }
    process.stderr.write(`perfeng: ${describeError(error)}\n`);
    if (process.env.PERFENG_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}
