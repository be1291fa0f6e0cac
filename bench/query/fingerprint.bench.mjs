// Fingerprinting throughput (issue #6 target: ≥ 200k queries/s) — run: node bench/query/fingerprint.bench.mjs
// Needs dist/ (npm run build). Compares our scanner (src/query/fingerprint.ts) with libpg_query's
// fingerprint (WASM), which we only call once per distinct fingerprint. Rounds alternate so
// machine noise hits both alike; the machine is shared, so read the median, not the best.
import { fingerprintSql } from '../../dist/query/fingerprint.js';
import * as pgQuery from 'libpg-query';

const N = Number(process.env.N ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

// A realistic ORM-ish mix: lookups, IN lists, joins with literals, inserts, comments.
const shapes = [
  (i) => `SELECT "users".* FROM "users" WHERE "users"."id" = ${i} LIMIT 1`,
  (i) => `select o.id, o.total, o.created_at from orders o where o.customer_id = ${i % 5000} and o.status = 'paid' order by o.created_at desc limit 20`,
  (i) => `SELECT * FROM products WHERE id IN (${i}, ${i + 1}, ${i + 2}, ${i + 3}) /* controller:products action:index */`,
  (i) => `INSERT INTO events (user_id, kind, payload, at) VALUES (${i}, 'click', '{"x": ${i}}', '2024-05-01 10:00:00')`,
  (i) => `UPDATE sessions SET last_seen = now() WHERE token = 'tok_${i.toString(36)}'`,
  (i) =>
    `select c.name, count(*) from customers c join orders o on o.customer_id = c.id where c.city = 'city ${i % 50}' group by c.name having count(*) > ${i % 10}`,
];
const queries = Array.from({ length: N }, (_, i) => shapes[i % shapes.length](i));
const chars = queries.reduce((s, q) => s + q.length, 0);

await pgQuery.loadModule();
const pgSample = queries.slice(0, 5000);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// warm-up
for (const q of queries) fingerprintSql(q); // one full pass so the JIT has settled
for (let i = 0; i < 500; i++) pgQuery.fingerprintSync(pgSample[i]);

const ours = [];
const oursCpu = [];
const theirs = [];
const distinct = new Set();
for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  const cpu = process.cpuUsage();
  for (const q of queries) distinct.add(fingerprintSql(q));
  ours.push(N / ((performance.now() - t) / 1000));
  // Per CPU-second too: on a shared, oversubscribed box wall time mostly measures the queue.
  const used = process.cpuUsage(cpu);
  oursCpu.push(N / ((used.user + used.system) / 1e6));
  t = performance.now();
  for (const q of pgSample) pgQuery.fingerprintSync(q);
  theirs.push(pgSample.length / ((performance.now() - t) / 1000));
}
const fmt = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
console.log(
  `queries: ${N.toLocaleString('en-US')} (${(chars / N).toFixed(0)} chars avg), ${distinct.size} distinct fingerprints, ${ROUNDS} alternating rounds`,
);
console.log(`fingerprintSql     median ${fmt(median(ours))}  (rounds: ${ours.map(fmt).join(', ')})`);
console.log(`fingerprintSql     median ${fmt(median(oursCpu))} per CPU-second`);
console.log(`libpg_query        median ${fmt(median(theirs))}  (rounds: ${theirs.map(fmt).join(', ')})`);
console.log(`target ≥ 200,000/s: ${median(ours) >= 200_000 ? 'met' : 'NOT met'}`);
