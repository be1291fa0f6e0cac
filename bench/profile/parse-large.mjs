// Parsing a 100 MB .cpuprofile and producing the summary: target < 3 s and < 1 GB RSS.
// Generates a synthetic but realistic profile (a deep, bushy call tree of ~60k nodes,
// ~10M samples at 1 ms with hit counts and line ticks — the shape of a long server profile), then, in a fresh child
// process, times read + JSON.parse + model + analysis + flame tree and reports peak RSS.
// Usage: node bench/profile/parse-large.mjs [MB] [--exports]   (needs dist/: npm run build)
// --exports also times serialising every artefact the tool writes (not part of the target).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../dist/profile/', import.meta.url));

if (process.argv[2] === '--child') {
  const file = process.argv[3];
  const { readFileSync } = await import('node:fs');
  const { Locator } = await import(join(dist, 'locate.js'));
  const { parseCpuProfile } = await import(join(dist, 'parse-v8.js'));
  const { analyseProfile } = await import(join(dist, 'analyse.js'));
  const { buildFlameTree } = await import(join(dist, 'flame-tree.js'));
  const t0 = performance.now();
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const t1 = performance.now();
  const profile = parseCpuProfile(raw, new Locator('/srv/app'));
  const t2 = performance.now();
  const analysis = analyseProfile(profile, { pathLimit: 15 });
  const t3 = performance.now();
  const tree = buildFlameTree(profile);
  const t4 = performance.now();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  // Not part of the target (the summary), but what the tool does next with the same model:
  // every artefact it writes, serialised in memory.
  let exportsMs;
  if (process.argv.includes('--exports')) {
    const { toCpuProfile } = await import(join(dist, 'export-cpuprofile.js'));
    const { toSpeedscope } = await import(join(dist, 'export-speedscope.js'));
    const { toFolded } = await import(join(dist, 'export-folded.js'));
    const { toPprof } = await import(join(dist, 'export-pprof.js'));
    const e0 = performance.now();
    JSON.stringify(toCpuProfile(profile, '/srv/app'));
    JSON.stringify(toSpeedscope(profile, 'bench', 'bench').file);
    toFolded(profile);
    toPprof(profile, { periodUs: 1000 });
    exportsMs = Math.round(performance.now() - e0);
  }
  console.log(
    JSON.stringify({
      samples: profile.samples.length,
      nodes: profile.nodes.length,
      top: analysis.functions[0].name,
      flameNodes: tree.nodes.length,
      jsonParseMs: Math.round(t1 - t0),
      modelMs: Math.round(t2 - t1),
      analyseMs: Math.round(t3 - t2),
      flameMs: Math.round(t4 - t3),
      totalMs: Math.round(t4 - t0),
      peakRssMb: Math.round(rssMb),
      ...(exportsMs !== undefined ? { exportsMs, peakRssWithExportsMb: Math.round(process.resourceUsage().maxRSS / 1024) } : {}),
    }),
  );
  process.exit(0);
}

const targetMb = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'perfeng-bench-'));
const file = join(dir, 'big.cpuprofile');
// Deterministic pseudo-random tree.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const nodes = [{ id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [] }];
const nodeCount = 60_000;
for (let id = 2; id <= nodeCount; id++) {
  const parent = nodes[Math.floor(rand() ** 0.6 * nodes.length)];
  const fn = Math.floor(rand() * 4000);
  const node = {
    id,
    callFrame: {
      functionName: `fn${fn}`,
      scriptId: String(fn % 300),
      url: `file:///srv/app/src/module${fn % 300}.js`,
      lineNumber: fn % 500,
      columnNumber: fn % 40,
    },
    hitCount: 0,
    children: [],
  };
  parent.children.push(id);
  nodes.push(node);
}
const head = JSON.stringify({ nodes, startTime: 0, endTime: 0 }).slice(0, -1);
// Samples and deltas make up the rest: add them until the file reaches the target size.
const targetBytes = targetMb * 1024 * 1024;
const samples = [];
const deltas = [];
let bytes = head.length + 40;
let endTime = 1000;
while (bytes < targetBytes) {
  const id = 1 + Math.floor(rand() ** 3 * nodeCount);
  const delta = 900 + Math.floor(rand() * 200);
  samples.push(id);
  deltas.push(delta);
  endTime += delta;
  bytes += String(id).length + String(delta).length + 2;
}
const sampleCount = samples.length;
// Like --cpu-prof output: each sampled node carries its hitCount and line-level ticks
// (positionTicks), here split over up to three lines of its function.
for (const id of samples) nodes[id - 1].hitCount++;
for (const node of nodes) {
  if (!node.hitCount || node.id === 1) continue;
  const lines = 1 + Math.floor(rand() * 3);
  let left = node.hitCount;
  node.positionTicks = [];
  for (let k = 0; k < lines && left > 0; k++) {
    const ticks = k === lines - 1 ? left : Math.max(1, Math.floor(left * rand()));
    node.positionTicks.push({ line: node.callFrame.lineNumber + 2 + k, ticks });
    left -= ticks;
  }
}
const text = `{"nodes":${JSON.stringify(nodes)},"startTime":0,"endTime":${endTime},"samples":[${samples.join(',')}],"timeDeltas":[${deltas.join(',')}]}`;
writeFileSync(file, text);
const sizeMb = statSync(file).size / 1024 / 1024;
console.log(`generated ${sizeMb.toFixed(1)} MB .cpuprofile: ${nodeCount} nodes, ${sampleCount} samples`);
const runs = [];
for (let i = 0; i < 3; i++) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file, ...(process.argv.includes('--exports') ? ['--exports'] : [])], {
    encoding: 'utf8',
  });
  if (child.status !== 0) {
    console.error(child.stderr);
    process.exit(1);
  }
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1));
  runs.push(result);
  console.log(`run ${i + 1}: ${JSON.stringify(result)}`);
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = median(runs.map((r) => r.totalMs));
const rss = median(runs.map((r) => r.peakRssMb));
console.log(
  `median: ${ms} ms, peak RSS ${rss} MB for ${sizeMb.toFixed(0)} MB — target < 3000 ms and < 1024 MB: ${ms < 3000 && rss < 1024 ? 'MET' : 'NOT MET'}`,
);
