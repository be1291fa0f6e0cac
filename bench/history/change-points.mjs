// Change-point detection figures: false-positive rate on pure noise, power on a planted step,
// time on N points. Needs the build (npm run build). Usage: node bench/history/change-points.mjs [seeds]
import { detectChangePoints } from '../../dist/history/change-points.js';

const seeds = Number(process.argv[2] ?? 1000);
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(r) {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
function series(seed, n, at, stepPct, noisePct) {
  const r = rng(seed * 7919 + 1);
  return Array.from({ length: n }, (_, i) => 100 * (1 + (i >= at ? stepPct / 100 : 0)) * (1 + (noisePct / 100) * gauss(r)));
}

let fp = 0;
let t0 = performance.now();
for (let s = 0; s < seeds; s++) if (detectChangePoints(series(s, 40, 40, 0, 3)).length) fp++;
console.log(
  `noise only (n=40, 3% sd): ${fp}/${seeds} seeds with a change point = ${((fp / seeds) * 100).toFixed(1)}% (${((performance.now() - t0) / seeds).toFixed(1)} ms/series)`,
);

for (const [step, noise] of [
  [5, 2],
  [3, 2],
  [5, 3],
  [10, 5],
]) {
  let hit = 0;
  let exact = 0;
  for (let s = 0; s < seeds; s++) {
    const found = detectChangePoints(series(s, 40, 20, step, noise));
    if (found.some((c) => Math.abs(c.index - 20) <= 1)) hit++;
    if (found.length === 1 && found[0].index === 20) exact++;
  }
  console.log(
    `step +${step}% at 20 of 40, ${noise}% sd noise: found within ±1 in ${((hit / seeds) * 100).toFixed(1)}%, exactly (only that one) in ${((exact / seeds) * 100).toFixed(1)}%`,
  );
}
for (const n of [100, 300, 1000]) {
  t0 = performance.now();
  const found = detectChangePoints(series(1, n, Math.floor(n / 2), 5, 2));
  console.log(`n=${n} with one step: ${(performance.now() - t0).toFixed(0)} ms, found at ${found.map((c) => c.index).join(',')}`);
  t0 = performance.now();
  detectChangePoints(series(2, n, n, 0, 2));
  console.log(`n=${n} noise: ${(performance.now() - t0).toFixed(0)} ms`);
}
