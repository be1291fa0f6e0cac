import type { Command } from 'commander';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description("Serve the tools over MCP (stdio). Claude Code starts this from the plugin's .mcp.json.")
    .action(async () => {
      const { runMcpServer } = await import('../../mcp/main.js');
      await runMcpServer();
    });
}
