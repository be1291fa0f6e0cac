#!/usr/bin/env node
/**
 * Stop-hook latency as hooks/hooks.json runs it (`node dist/hooks/hook.cjs stop`), next to bare
 * `node -e 0` in the same interleaved loop: what the first-call work (one more git process,
 * reading the changed files) adds when the hook speaks, and what the silent stop costs.
 *
 *   npm run build && node bench/hooks/stop.mjs [--runs 20]
 *
 * Cases (each run is a fresh session: a UserPromptSubmit records the baseline first, untimed):
 * - silent: a 10-line change, nothing to say (two git processes: snapshot + diff);
 * - suggest: a changed SQL string in a handler + 320 new lines → note with the first call;
 * - notify: the same change → systemMessage, and the next UserPromptSubmit hands over the note
 *   (timed separately as "notify-prompt").
 * Absolute numbers on a shared machine mean little; compare the cases with each other and
 * with `node -e 0` of the same run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    hook: { type: 'string', default: resolve(import.meta.dirname, '../../dist/hooks/hook.cjs') },
  },
});
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'perfeng-stop-bench-'));
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x.invalid' };
const server = (where) =>
  `import express from 'express';\nconst app = express();\napp.get('/orders', async (req, res) => {\n  res.json(await db.all('SELECT id FROM orders WHERE ${where}'));\n});\napp.listen(3000);\n`;
const lines = (n) => Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n';

function project(mode) {
  const dir = mkdtempSync(join(work, `${mode}-`));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, '.perf'));
  // A project of a realistic size: 300 files.
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, 'src', `m${i}.ts`), lines(40));
  writeFileSync(join(dir, 'src', 'server.ts'), server('status = 1'));
  writeFileSync(join(dir, '.perf', 'config.json'), JSON.stringify({ hooks: { mode } }));
  execFileSync('git', ['add', '-A'], { cwd: dir, env: gitEnv });
  execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: dir, env: gitEnv });
  return dir;
}

function hook(event, payload, dir, data) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [values.hook, event], {
    input: JSON.stringify(payload),
    env: { ...process.env, CLAUDE_PROJECT_DIR: dir, CLAUDE_PLUGIN_DATA: data },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, stdout: result.stdout };
}

function nodeBare() {
  const started = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const dirs = { silent: project('suggest'), suggest: project('suggest'), notify: project('notify') };
const times = { 'node -e 0': [], silent: [], suggest: [], notify: [], 'notify-prompt': [] };
let session = 0;
for (let run = 0; run < runs; run++) {
  times['node -e 0'].push(nodeBare());
  for (const name of ['silent', 'suggest', 'notify']) {
    const dir = dirs[name];
    const data = join(work, `data-${name}`);
    const id = `bench-${process.pid}-${session++}`;
    hook('user-prompt-submit', { session_id: id, cwd: dir, hook_event_name: 'UserPromptSubmit', prompt: 'x' }, dir, data);
    if (name === 'silent') writeFileSync(join(dir, 'src', 'small.ts'), lines(10 + run));
    else {
      writeFileSync(join(dir, 'src', 'server.ts'), server(`customer_id = ${run + 2}`));
      writeFileSync(join(dir, 'src', 'feature.ts'), lines(320 + run));
    }
    const stop = hook('stop', { session_id: id, cwd: dir, hook_event_name: 'Stop', stop_hook_active: false }, dir, data);
    if (name !== 'silent' && !stop.stdout.includes('analyze_query')) throw new Error(`${name}: no first call in ${stop.stdout}`);
    if (name === 'silent' && stop.stdout) throw new Error(`silent stop spoke: ${stop.stdout}`);
    times[name].push(stop.ms);
    if (name === 'notify') {
      const prompt = hook('user-prompt-submit', { session_id: id, cwd: dir, hook_event_name: 'UserPromptSubmit', prompt: 'y' }, dir, data);
      if (!prompt.stdout.includes('UserPromptSubmit')) throw new Error(`notify: no note at the next prompt: ${prompt.stdout}`);
      times['notify-prompt'].push(prompt.ms);
    }
    // Back to the committed state so every run starts alike.
    execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir });
    execFileSync('git', ['clean', '-qfd', 'src'], { cwd: dir });
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
console.log(`Stop hook latency, ${runs} runs each, interleaved (ms; node ${process.version})`);
console.log('case            median     p95     min');
for (const [name, values_] of Object.entries(times)) {
  const sorted = [...values_].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(14)} ${quantile(sorted, 0.5).toFixed(1).padStart(7)} ${quantile(sorted, 0.95).toFixed(1).padStart(7)} ${sorted[0].toFixed(1).padStart(7)}`,
  );
}
rmSync(work, { recursive: true, force: true });
