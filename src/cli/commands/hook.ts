import type { Command } from 'commander';

export function registerHookCommand(program: Command): void {
  program
    .command('hook')
    .argument('<event>', 'Claude Code hook event: PostToolUse, UserPromptSubmit, Stop, SubagentStop')
    .description('Claude Code hook handler (reads the hook payload on stdin). Wired by hooks/hooks.json.')
    .action(async (event: string) => {
      const { runHook } = await import('../../hooks/main.js');
      await runHook(event);
    });
}
