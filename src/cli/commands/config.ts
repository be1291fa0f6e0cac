import type { Command } from 'commander';
import { projectDirFromEnv } from '../../common/context.js';
import { describeError, isUserError } from '../../common/errors.js';
import { CONFIG_RELATIVE_PATH, loadConfig } from '../../store/config.js';
import { EXIT_BAD_INPUT, EXIT_FAILED } from '../run-tool.js';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description(`Check ${CONFIG_RELATIVE_PATH} and print the effective configuration (defaults filled in).`)
    .option('--project <dir>', 'project folder (default: PERFENG_PROJECT_DIR, CLAUDE_PROJECT_DIR or the current folder)')
    .action(async (options: { project?: string }) => {
      const projectDir = options.project ?? projectDirFromEnv();
      try {
        const config = await loadConfig(projectDir);
        process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      } catch (error) {
        process.stderr.write(`perfeng: ${describeError(error)}\n`);
        process.exitCode = isUserError(error) ? EXIT_BAD_INPUT : EXIT_FAILED;
      }
    });
}
