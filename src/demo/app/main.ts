#!/usr/bin/env node
/**
 * The demo application as its own process, so profile_process can launch and profile it:
 *   node dist/demo/app/main.js --port 0 --db demo.sqlite --query-log queries.jsonl [--fixed | --fix index,batch]
 * Prints one line `perfeng-demo listening on http://127.0.0.1:<port>` once it accepts
 * connections; stops cleanly on SIGINT/SIGTERM (so `node --cpu-prof` writes its profile).
 */
import { parseArgs } from 'node:util';
import { MissingSqliteError } from './database.js';
import { ALL_FIXES, type DemoFix } from './endpoints.js';
import { startDemoApp } from './server.js';

const USAGE =
  'usage: main.js --db <file> [--port 0] [--host 127.0.0.1] [--query-log <file>] [--query-log-max-lines N] [--fixed | --fix index,batch,hotloop,cache]';

function fail(message: string, code = 2): never {
  process.stderr.write(`demo app: ${message}\n`);
  process.exit(code);
}

const ARGS = {
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    db: { type: 'string' },
    'query-log': { type: 'string' },
    'query-log-max-lines': { type: 'string', default: '200000' },
    fixed: { type: 'boolean', default: false },
    fix: { type: 'string' },
  },
  strict: true,
} as const;

async function main(): Promise<void> {
  let values: ReturnType<typeof parseArgs<typeof ARGS>>['values'];
  try {
    ({ values } = parseArgs(ARGS));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.db) fail(`--db is required\n${USAGE}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`invalid --port ${values.port}`);
  const maxLines = Number(values['query-log-max-lines']);
  if (!Number.isInteger(maxLines) || maxLines < 0) fail(`invalid --query-log-max-lines ${values['query-log-max-lines']}`);
  let fixes: DemoFix[] = [];
  if (values.fixed) fixes = [...ALL_FIXES];
  else if (values.fix) {
    fixes = values.fix
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean) as DemoFix[];
    const unknown = fixes.filter((f) => !ALL_FIXES.includes(f));
    if (unknown.length) fail(`unknown fix ${unknown.join(', ')} (known: ${ALL_FIXES.join(', ')})`);
  }

  let app: Awaited<ReturnType<typeof startDemoApp>>;
  try {
    app = await startDemoApp({ port, host: values.host, dbPath: values.db, queryLogPath: values['query-log'], queryLogMaxLines: maxLines, fixes });
  } catch (error) {
    if (error instanceof MissingSqliteError) fail(error.message, 3);
    fail((error as Error).message, 1);
  }
  let stopping = false;
  const stop = () => {
    // `on`, not `once`: a process-group stop delivers the signal more than once, and a
    // second one without a handler would kill us before the log is flushed.
    if (stopping) return;
    stopping = true;
    void app.close().then(() => process.exit(0));
    // A stuck close must not keep a profiled process alive.
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const seeded = app.seeded ? ` (database created and filled in ${Math.round(app.seedMs)} ms)` : '';
  process.stdout.write(`perfeng-demo listening on ${app.url} fixes=${fixes.join(',') || 'none'}${seeded}\n`);
}

await main();
