// Start-up budget of the MCP server (issue: connect + tools/list < 250 ms median).
// Measures, from a client already loaded, the time to spawn `node dist/cli.js mcp`,
// initialise and list tools; alternates with a bare `node -e 0` spawn so machine noise
// shows in both columns.  Usage: node bench/startup/mcp-startup.mjs [runs=20]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

const server = [];
const bare = [];
let toolCount = 0;
for (let i = 0; i < runs; i++) {
  let t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(performance.now() - t0);
  t0 = performance.now();
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp'] }));
  toolCount = (await client.listTools()).tools.length;
  server.push(performance.now() - t0);
  await client.close();
}
console.log(`tools listed: ${toolCount}`);
console.log(`node -e 0:               median ${median(bare).toFixed(0)} ms, p95 ${p95(bare).toFixed(0)} ms`);
console.log(`connect + tools/list:    median ${median(server).toFixed(0)} ms, p95 ${p95(server).toFixed(0)} ms  (budget: median < 250 ms)`);
