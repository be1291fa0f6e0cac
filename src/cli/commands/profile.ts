import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { parseInput } from '../../common/validate.js';
import { profileDiffInputSchema, type ProfileDiffOutput } from '../../profile/schema.js';
import { profileProcessTool } from '../../profile/tool.js';
import { runCliTool, runRegisteredTool } from '../run-tool.js';
import { collect, parseNumberFlag, readInputOption } from '../flags.js';

interface ProfileFlags {
  input?: string;
  json?: boolean;
  pid?: string;
  cwd?: string;
  env?: string[];
  runtime?: string;
  kind?: string;
  heap?: boolean;
  duration?: string;
  interval?: string;
  heapInterval?: string;
  waitForPort?: string;
  load?: string;
  url?: string;
  loadDuration?: string;
  connections?: string;
  baseline?: string;
  top?: string;
  title?: string;
}

/** Flags → the tool's input object (the same zod schema validates both). */
export function profileFlagsToInput(command: string[], flags: ProfileFlags): Record<string, unknown> {
  const input: Record<string, unknown> = flags.input ? readInputOption(flags.input) : {};
  if (command.length) input.command = command;
  if (flags.pid) input.pid = parseNumberFlag('pid', flags.pid);
  // From a shell, relative paths in the command mean the shell's folder (not the project's).
  if (flags.cwd) input.cwd = flags.cwd;
  else if (input.cwd === undefined) input.cwd = process.cwd();
  if (flags.env?.length) {
    const env: Record<string, string> = { ...((input.env as Record<string, string>) ?? {}) };
    for (const pair of flags.env) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UserError(`invalid --env "${pair}"`, 'use NAME=value');
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    input.env = env;
  }
  if (flags.runtime) input.runtime = flags.runtime;
  if (flags.kind) input.kind = flags.kind;
  if (flags.heap) input.kind = 'heap';
  if (flags.duration) input.durationS = parseNumberFlag('duration', flags.duration);
  if (flags.interval) input.samplingIntervalUs = parseNumberFlag('interval', flags.interval);
  if (flags.heapInterval) input.heapSamplingBytes = parseNumberFlag('heap-interval', flags.heapInterval);
  if (flags.waitForPort) input.waitForPort = parseNumberFlag('wait-for-port', flags.waitForPort);
  if (flags.load) input.load = readInputOption(flags.load);
  if (flags.url) {
    input.load = {
      ...((input.load as object) ?? {}),
      url: flags.url,
      ...(flags.loadDuration ? { duration: flags.loadDuration } : {}),
      ...(flags.connections ? { connections: parseNumberFlag('connections', flags.connections) } : {}),
    };
  }
  if (flags.baseline) input.baseline = flags.baseline;
  if (flags.top) input.top = parseNumberFlag('top', flags.top);
  if (flags.title) input.title = flags.title;
  return input;
}

export function registerProfileCommand(program: Command): void {
  const profile = program
    .command('profile')
    .description('CPU or heap profile of a command (Node.js, Python, native via perf) or a running Node.js pid; `perfeng profile diff A B` compares two')
    .usage('[options] -- <command...>   |   perfeng profile diff <baseline> <target>')
    .argument('[command...]', 'the program and its arguments (put them after --)')
    .option('--pid <pid>', 'attach to a running Node.js process instead of launching')
    .option('--cwd <dir>', 'working directory of the command')
    .option('-e, --env <NAME=value>', 'extra environment variable (repeatable)', collect)
    .option('--runtime <runtime>', 'auto | node | python | native')
    .option('--kind <kind>', 'cpu | heap')
    .option('--heap', 'same as --kind heap')
    .option('-d, --duration <seconds>', 'attach: how long; launch: stop after this long')
    .option('-i, --interval <us>', 'CPU sampling interval in µs (default 1000)')
    .option('--heap-interval <bytes>', 'heap sampling interval in bytes')
    .option('-p, --wait-for-port <port>', 'port the program opens when ready (load starts then)')
    .option('--load <json-or-file>', 'a run_load_test input to drive the program while profiling')
    .option('-u, --url <url>', 'shorthand load: this URL (with --load-duration, --connections)')
    .option('--load-duration <d>', 'duration of the shorthand load, e.g. 10s')
    .option('-c, --connections <n>', 'connections of the shorthand load')
    .option('--baseline <run-or-file>', 'diff against an earlier profile (run id, latest:profile, file)')
    .option('--top <n>', 'hot functions / paths to show')
    .option('--title <title>', 'name of the run')
    .option('--input <json-or-file>', 'the full tool input as JSON (or a path to a JSON file)')
    .option('--json', 'print exactly the structured result')
    .action(async (command: string[], flags: ProfileFlags) => {
      process.exitCode = await runRegisteredTool(profileProcessTool, { json: flags.json === true, input: () => profileFlagsToInput(command, flags) });
    });
  profile
    .command('diff')
    .description('which functions grew (red) or shrank (blue) between two profiles: run ids, latest:profile, run folders or .cpuprofile/.speedscope.json files')
    .argument('<baseline>', 'the "before" profile')
    .argument('<target>', 'the "after" profile')
    .option('--top <n>', 'entries per list')
    .option('--json', 'print exactly the structured result')
    .action(async (baseline: string, target: string, flags: { top?: string; json?: boolean }) => {
      process.exitCode = await runCliTool<ProfileDiffOutput>({
        json: flags.json === true,
        execute: async (context) => {
          const input = parseInput(
            profileDiffInputSchema,
            { baseline, target, ...(flags.top ? { top: parseNumberFlag('top', flags.top) } : {}) },
            'profile diff input',
          );
          const { runProfileDiff } = await import('../../profile/index.js');
          return runProfileDiff(input, context);
        },
      });
    });
}
