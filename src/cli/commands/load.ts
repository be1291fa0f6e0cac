import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { runLoadTestTool } from '../../load/tool.js';
import { runRegisteredTool } from '../run-tool.js';
import { collect, parseNumberFlag, readInputOption } from '../flags.js';

interface LoadFlags {
  input?: string;
  json?: boolean;
  connections?: string;
  rate?: string;
  duration?: string;
  method?: string;
  header?: string[];
  body?: string;
  stage?: string[];
  threshold?: string[];
  timeout?: string;
  warmup?: string;
  pipelining?: string;
  http2?: boolean;
  workers?: string;
  engine?: string;
  insecure?: boolean;
  expectStatus?: string;
  title?: string;
  env?: string[];
  vus?: string;
  iterations?: string;
}

/** A k6 script rather than a URL: a path ending in .js/.mjs/.cjs/.ts, not a URL (k6 run takes the same). */
export function isScriptArgument(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && /\.(m|c)?[jt]s$/i.test(target);
}

/** `--input` takes inline JSON or a path to a JSON file. */

/** Flags → the tool's input object (the same zod schema validates both). */
export function loadFlagsToInput(url: string | undefined, flags: LoadFlags): Record<string, unknown> {
  const base = flags.input ? readInputOption(flags.input) : {};
  const input: Record<string, unknown> = { ...base };
  // The CLI reads paths from where it runs, as k6 does.
  if (url && isScriptArgument(url)) input.script = resolve(url);
  else if (url) input.url = url;
  if (flags.env?.length) {
    const env: Record<string, string> = { ...((base.env as Record<string, string>) ?? {}) };
    for (const e of flags.env) {
      const eq = e.indexOf('=');
      if (eq <= 0) throw new UserError(`invalid -e "${e}"`, 'use KEY=VALUE, e.g. -e BASE_URL=http://127.0.0.1:3000');
      env[e.slice(0, eq)] = e.slice(eq + 1);
    }
    input.env = env;
  }
  if (flags.vus) input.vus = parseNumberFlag('vus', flags.vus);
  if (flags.iterations) input.iterations = parseNumberFlag('iterations', flags.iterations);
  if (flags.method) input.method = flags.method;
  if (flags.body !== undefined) input.body = flags.body;
  if (flags.header?.length) {
    const headers: Record<string, string> = { ...((base.headers as Record<string, string>) ?? {}) };
    for (const h of flags.header) {
      const colon = h.indexOf(':');
      if (colon <= 0) throw new UserError(`invalid --header "${h}"`, 'use "Name: value"');
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    }
    input.headers = headers;
  }
  if (flags.connections) input.connections = parseNumberFlag('connections', flags.connections);
  if (flags.rate) input.rate = parseNumberFlag('rate', flags.rate);
  if (flags.duration) input.duration = flags.duration;
  if (flags.stage?.length) {
    input.stages = flags.stage.map((s) => {
      const [duration, target] = s.split(':');
      if (!duration || target === undefined) throw new UserError(`invalid --stage "${s}"`, 'use <duration>:<target>, e.g. 30s:100');
      return { duration, target: parseNumberFlag('stage', target) };
    });
  }
  if (flags.threshold?.length) {
    const thresholds: Record<string, string[]> = {};
    for (const t of flags.threshold) {
      const m = /^([^=]+?)\s*=\s*(.+)$/.exec(t);
      if (!m) throw new UserError(`invalid --threshold "${t}"`, 'use metric=expression, e.g. http_req_duration=p(95)<500');
      const [, metric = '', expression = ''] = m;
      (thresholds[metric] ??= []).push(expression);
    }
    input.thresholds = thresholds;
  }
  if (flags.timeout) input.timeoutMs = parseNumberFlag('timeout', flags.timeout);
  if (flags.warmup) input.warmup = flags.warmup;
  if (flags.pipelining) input.pipelining = parseNumberFlag('pipelining', flags.pipelining);
  if (flags.http2) input.http2 = true;
  if (flags.workers) input.workers = parseNumberFlag('workers', flags.workers);
  if (flags.engine) input.engine = flags.engine;
  if (flags.insecure) input.insecureTls = true;
  if (flags.expectStatus)
    input.expect = { ...((base.expect as object) ?? {}), status: flags.expectStatus.split(',').map((s) => parseNumberFlag('expect-status', s)) };
  if (flags.title) input.title = flags.title;
  return input;
}

export function registerLoadCommand(program: Command): void {
  program
    .command('load')
    .description(
      'HTTP load test (closed model with -c, open model with --rate) or a k6 script (perfeng load script.js -e K=V --vus N --duration D); exit 1 when a threshold fails',
    )
    .argument('[url-or-script]', 'URL to load, or a k6 script (path/to/script.js); or give --input with `requests`)')
    .option('-e, --env <KEY=VALUE>', 'k6 script: an __ENV variable (repeatable)', collect)
    .option('-u, --vus <n>', 'k6 script: virtual users (k6 --vus)')
    .option('-i, --iterations <n>', 'k6 script: total iterations (k6 --iterations)')
    .option('-c, --connections <n>', 'virtual users (closed) or in-flight cap (with --rate)')
    .option('-r, --rate <n>', 'open model: requests per second')
    .option('-d, --duration <d>', 'e.g. 10s, 2m', undefined)
    .option('-m, --method <method>', 'HTTP method')
    .option('-H, --header <header>', '"Name: value" (repeatable)', collect)
    .option('-b, --body <body>', 'request body')
    .option('-s, --stage <duration:target>', 'ramp stage, e.g. 30s:100 (repeatable)', collect)
    .option('-t, --threshold <metric=expr>', 'e.g. http_req_duration=p(95)<500 (repeatable)', collect)
    .option('--expect-status <codes>', 'expected status codes, comma-separated')
    .option('--timeout <ms>', 'per-request timeout in ms')
    .option('--warmup <d>', 'unrecorded warm-up, e.g. 5s')
    .option('-p, --pipelining <n>', 'HTTP/1.1 requests in flight per connection')
    .option('--http2', 'use HTTP/2')
    .option('-w, --workers <n>', 'generator threads')
    .option('--engine <engine>', 'auto | fast | undici')
    .option('-k, --insecure', 'accept self-signed TLS certificates')
    .option('--title <title>', 'name of the run')
    .option('--input <json-or-file>', 'the full tool input as JSON (or a path to a JSON file)')
    .option('--json', 'print exactly the structured result')
    .action(async (url: string | undefined, flags: LoadFlags) => {
      process.exitCode = await runRegisteredTool(runLoadTestTool, { json: flags.json === true, input: () => loadFlagsToInput(url, flags) });
    });
}
