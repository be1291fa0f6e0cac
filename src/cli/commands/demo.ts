import type { Command } from 'commander';
import type { ProgressReporter } from '../../common/progress.js';
import { parseInput } from '../../common/validate.js';
import { demoInputSchema, DEMO_ENDPOINT_NAMES, DEMO_FIXES, type DemoOutput } from '../../demo/schema.js';
import { runCliTool } from '../run-tool.js';
import { parseNumberFlag, readInputOption } from '../flags.js';

interface DemoFlags {
  input?: string;
  json?: boolean;
  quick?: boolean;
  duration?: string;
  connections?: string;
  fix?: string;
  endpoint?: string;
  profile?: boolean;
}

export function demoFlagsToInput(flags: DemoFlags): Record<string, unknown> {
  const input: Record<string, unknown> = flags.input ? readInputOption(flags.input) : {};
  if (flags.quick) input.quick = true;
  if (flags.duration !== undefined) input.durationS = parseNumberFlag('duration', flags.duration);
  if (flags.connections !== undefined) input.connections = parseNumberFlag('connections', flags.connections);
  if (flags.fix !== undefined)
    input.fixes = flags.fix
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
  if (flags.endpoint !== undefined)
    input.endpoints = flags.endpoint
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
  if (flags.profile === false) input.profile = false;
  return input;
}

/**
 * Progress as plain lines when stderr is not a terminal (CI logs, pipes): the demo's steps
 * take seconds each, and a silent minute looks like a hang.
 */
function withStepLines(report: ProgressReporter): ProgressReporter {
  if (process.stderr.isTTY) return report;
  let last = '';
  return (progress, total, message) => {
    report(progress, total, message);
    if (message && message !== last && /: /.test(message)) {
      last = message;
      process.stderr.write(`[${Math.floor(progress)}/${total ?? '?'}] ${message}\n`);
    }
  };
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole loop on an embedded demo app (SQLite, ≥100k rows, four typical problems): baseline load per endpoint → profile under load → analyse the logged queries → restart with the fixes → load again → compare with statistics. Writes .perf/runs/<id>/index.html.',
    )
    .option('--quick', 'short load phases (about 30 s in all)')
    .option('--duration <s>', 'seconds of measured load per endpoint and phase (default 5, quick 1.2)')
    .option('--connections <n>', 'virtual users per endpoint (default 16, quick 8)')
    .option('--fix <list>', `fixes for the "after" phase, comma-separated (default all: ${DEMO_FIXES.join(',')})`)
    .option('--endpoint <list>', `only these endpoints, comma-separated (default all: ${DEMO_ENDPOINT_NAMES.join(',')})`)
    .option('--no-profile', 'skip the profile_process step')
    .option('--input <json-or-file>', 'the full input as JSON (inline or a file); flags override it')
    .option('--json', 'print exactly the structured result')
    .action(async (flags: DemoFlags) => {
      process.exitCode = await runCliTool<DemoOutput>({
        json: Boolean(flags.json),
        async execute(context) {
          const input = parseInput(demoInputSchema, demoFlagsToInput(flags), 'demo input');
          const { runDemo } = await import('../../demo/index.js');
          return runDemo(input, { ...context, report: withStepLines(context.report) });
        },
        // A step that broke is a failure; statistics that found no change are a result, not an error.
        failed: (result) => result.steps.some((s) => s.status === 'failed'),
      });
    });
}
