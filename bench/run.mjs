// `npm run bench [-- <group> ...]`: runs the benchmark scripts in bench/<group>/ one after
// another (never in parallel: they share two cores). Without a group it lists the groups.
// Benchmarks build on dist/, so run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const groups = readdirSync(here).filter((name) => statSync(join(here, name)).isDirectory());
const wanted = process.argv.slice(2);
if (wanted.length === 0) {
  console.log(`benchmark groups: ${groups.join(', ')}\nrun: npm run bench -- <group> [<group> ...]  (or "all")`);
  process.exit(0);
}
const selected = wanted.includes('all') ? groups : wanted;
let failed = 0;
for (const group of selected) {
  if (!groups.includes(group)) {
    console.error(`unknown benchmark group "${group}" (have: ${groups.join(', ')})`);
    process.exit(2);
  }
  for (const file of readdirSync(join(here, group))
    .filter((f) => /\.(mjs|js)$/.test(f) && !f.startsWith('_'))
    .sort()) {
    console.log(`\n## ${group}/${file}`);
    const result = spawnSync(process.execPath, [join(here, group, file)], { stdio: 'inherit' });
    if (result.status !== 0) failed++;
  }
}
process.exit(failed ? 1 : 0);
