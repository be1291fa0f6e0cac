import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../common/version.js';
import { registerBaselineCommand } from './commands/baseline.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerConfigCommand } from './commands/config.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerHookCommand } from './commands/hook.js';
import { registerLoadCommand } from './commands/load.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerProfileCommand } from './commands/profile.js';
import { registerQueryCommand } from './commands/query.js';
import { registerVitalsCommand } from './commands/vitals.js';
import { EXIT_BAD_INPUT } from './run-tool.js';

/**
 * `perfeng <command>`. Each command lives in `commands/<name>.ts` and exports
 * `registerXCommand(program)`; tool commands call the same core functions as the MCP tools.
 */
export function buildProgram(): Command {
  const program = new Command('perfeng')
    .description('Performance instruments for people and agents: load tests, profiles, query plans, benchmark comparison.')
    .version(PACKAGE_VERSION, '-v, --version')
    .exitOverride()
    // One line that says what was wrong and where to look (subcommands inherit this).
    .configureOutput({
      outputError: (text, write) => write(`perfeng: ${text.replace(/^error: /, '').trim()} — see "perfeng --help"\n`),
    });
  registerMcpCommand(program);
  registerDemoCommand(program);
  registerHookCommand(program);
  registerLoadCommand(program);
  registerProfileCommand(program);
  registerQueryCommand(program);
  registerVitalsCommand(program);
  registerConfigCommand(program);
  registerCompareCommand(program);
  registerBaselineCommand(program);
  registerHistoryCommand(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      if (error.exitCode === 0) return 0;
      return EXIT_BAD_INPUT;
    }
    throw error;
  }
}
