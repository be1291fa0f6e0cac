// MCP start-up against a bare Node start, in the same run (issue 14): spawn the server, send
// initialize + tools/list as raw JSON-RPC over stdio, time the tools/list answer. Three
// commands alternate so machine noise shows in every column:
//   node -e 0                 the floor: starting Node at all
//   node dist/cli.js mcp      what .mcp.json starts in Claude Code (the esbuild bundle)
//   node dist/mcp/main.js     the unbundled server (tsc output, tools/list computed live)
// Usage: npm run build && node bench/mcp/startup.mjs [rounds=15]
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? 15);
const dist = (p) => fileURLToPath(new URL(`../../dist/${p}`, import.meta.url));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function serverOnce(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
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
          const listed = message.result.tools.reduce(
            (n, t) => n + JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema }).length,
            0,
          );
          child.kill();
          resolve({ ms, tools: message.result.tools.length, listed });
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code} before answering tools/list`)));
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } } })}\n`,
    );
  });
}

const bare = [];
const bundled = [];
const unbundled = [];
let info;
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  bare.push(performance.now() - t0);
  info = await serverOnce([dist('cli.js'), 'mcp']);
  bundled.push(info.ms);
  unbundled.push((await serverOnce([dist('mcp/main.js')])).ms);
}
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const floor = median(bare);
console.log(`rounds ${rounds}; ${info.tools} tools, tools/list ${info.listed} characters (name + description + inputSchema)`);
console.log(`node -e 0              median ${fmt(floor)}`);
console.log(`node dist/cli.js mcp   median ${fmt(median(bundled))}  = ${(median(bundled) / floor).toFixed(2)}× node -e 0`);
console.log(`node dist/mcp/main.js  median ${fmt(median(unbundled))}  = ${(median(unbundled) / floor).toFixed(2)}× node -e 0`);
