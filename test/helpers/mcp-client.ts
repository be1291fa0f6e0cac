import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Starts the *built* server (`node dist/cli.js mcp`) over stdio with the SDK's client. */
export async function connectBuiltServer(options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{
  client: Client;
  transport: StdioClientTransport;
  close(): Promise<void>;
}> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BUILT_CLI, 'mcp'],
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...(process.env as Record<string, string>), ...options.env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'perfeng-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}
