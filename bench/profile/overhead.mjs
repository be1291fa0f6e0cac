// Profiling overhead on a CPU-bound HTTP server under load: throughput with CPU profiling at
// 1 ms must be ≥ 95 % of without. Both sides are measured with run_load_test (same input),
// alternating plain/profiled so drift on a shared machine hits both; median of the ratios.
// Usage: node bench/profile/overhead.mjs [rounds=3] [seconds=5]   (needs dist/: npm run build)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { createRunContext } = await import(join(root, 'dist/common/context.js'));
const { runLoadTest } = await import(join(root, 'dist/load/index.js'));
const { runProfile } = await import(join(root, 'dist/profile/index.js'));
const { defaultConfig } = await import(join(root, 'dist/store/config.js'));
const { loadTestInputSchema } = await import(join(root, 'dist/load/schema.js'));

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const fixtures = join(root, 'test/profile/fixtures');
const project = mkdtempSync(join(tmpdir(), 'perfeng-overhead-'));
const context = await createRunContext({ projectDir: project, config: defaultConfig() });
const env = { BURN_ROUNDS: '20000' };
const loadFor = (port) => ({ url: `http://127.0.0.1:${port}/`, connections: 8, duration: `${seconds}s`, warmup: '1s' });

const portOpen = (port) =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

async function plain(port) {
  const child = spawn(process.execPath, ['server.js'], { cwd: fixtures, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  while (!(await portOpen(port))) await new Promise((r) => setTimeout(r, 50));
  try {
    const { structured } = await runLoadTest(loadTestInputSchema.parse(loadFor(port)), context);
    return structured.throughputRps;
  } finally {
    child.kill('SIGKILL');
  }
}

async function profiled(port) {
  const { structured } = await runProfile(
    { command: ['node', 'server.js'], cwd: fixtures, env: { ...env, PORT: String(port) }, waitForPort: port, load: loadFor(port), samplingIntervalUs: 1000 },
    context,
  );
  return structured.load.throughputRps;
}

const ratios = [];
let port = 23_000 + (process.pid % 1000);
for (let i = 0; i < rounds; i++) {
  // Alternate which side goes first.
  const order = i % 2 === 0 ? ['plain', 'profiled'] : ['profiled', 'plain'];
  const result = {};
  for (const side of order) result[side] = side === 'plain' ? await plain(++port) : await profiled(++port);
  const ratio = result.profiled / result.plain;
  ratios.push(ratio);
  console.log(
    `round ${i + 1} (${order.join(' → ')}): plain ${result.plain.toFixed(0)} req/s, profiled ${result.profiled.toFixed(0)} req/s → ${(ratio * 100).toFixed(1)} %`,
  );
}
rmSync(project, { recursive: true, force: true });
const sorted = [...ratios].sort((a, b) => a - b);
const mid = sorted.length >> 1;
const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(
  `median throughput with profiling: ${(median * 100).toFixed(1)} % of without — target ≥ 95 %: ${median >= 0.95 ? 'MET' : 'NOT MET'} (2 shared cores: noisy)`,
);
