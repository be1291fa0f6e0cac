// Server-side start-up: spawn `node dist/cli.js mcp`, send initialize + tools/list as raw
// JSON-RPC and time the answer. Unlike mcp-startup.mjs (the SDK client, which also compiles
// an ajv validator for every tool's outputSchema on tools/list) this measures only what the
// server costs.  Usage: node bench/startup/mcp-startup-raw.mjs [runs=20]
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 20);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

function once() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'mcp'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const message = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (message.id === 1) {
          child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
          child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
        } else if (message.id === 2) {
          const ms = performance.now() - t0;
          child.kill();
          resolve({ ms, tools: message.result.tools.length });
        }
      }
    });
    child.on('error', reject);
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } })}\n`,
    );
  });
}

const server = [];
const bare = [];
let tools = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(performance.now() - t0);
  const r = await once();
  server.push(r.ms);
  tools = r.tools;
}
console.log(`tools listed: ${tools}`);
console.log(`node -e 0:                          median ${median(bare).toFixed(0)} ms, p95 ${p95(bare).toFixed(0)} ms`);
console.log(`spawn → initialize → tools/list:    median ${median(server).toFixed(0)} ms, p95 ${p95(server).toFixed(0)} ms`);
