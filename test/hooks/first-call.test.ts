import { describe, expect, it } from 'vitest';
import { parseZeroContextPatch } from '../../src/hooks/changed-files.js';
import { chooseFirstCall, describeFirstCall, formatCall, type FirstCallInput } from '../../src/hooks/first-call.js';

/** The first concrete call the Stop note names for what changed (pure). */
const input = (over: Partial<FirstCallInput>): FirstCallInput => ({ perfFiles: [], sources: [], scriptRunner: false, ...over });

const ORDERS = [
  "import express from 'express';", // 1
  'const app = express();', // 2
  "app.get('/health', (_req, res) => res.send('ok'));", // 3
  "app.get('/orders/search', async (req, res) => {", // 4
  '  const rows = await db.all(`', // 5
  '    SELECT o.id, o.total FROM orders o', // 6
  '    JOIN customers c ON c.id = o.customer_id', // 7
  '    WHERE c.email = ${req.query.email}', // 8
  '    ORDER BY o.created_at DESC`);', // 9
  '  res.json(rows);', // 10
  '});', // 11
  "app.post('/orders', (req, res) => {", // 12
  '  res.status(201).json(create(req.body));', // 13
  '});', // 14
  'app.listen(process.env.PORT || 3000);', // 15
].join('\n');

describe('first call', () => {
  it('a changed SQL string → analyze_query on that string, interpolations as placeholders', () => {
    const call = chooseFirstCall(input({ sources: [{ relPath: 'src/server.ts', lines: [8], content: ORDERS }] }));
    expect(call?.tool).toBe('analyze_query');
    expect(call?.args).toEqual({
      sql: 'SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = ? ORDER BY o.created_at DESC',
    });
    expect(call?.about).toBe('the SQL string at src/server.ts:5');
    expect(call?.caveat).toContain('params');
    expect(call?.caveat).toContain('query.database');
    expect(formatCall(call!)).toMatch(/^analyze_query \{"sql":"SELECT o\.id/);
  });

  it('uses query.database and PostgreSQL placeholders when configured', () => {
    const call = chooseFirstCall(
      input({ sources: [{ relPath: 'src/server.ts', lines: [6], content: ORDERS }], database: 'postgres://postgres@127.0.0.1:5432/test' }),
    );
    expect(call?.args).toMatchObject({ database: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(String(call?.args?.sql)).toContain('c.email = $1');
  });

  it('a changed handler → run_load_test of its route, port from the file', () => {
    const call = chooseFirstCall(input({ sources: [{ relPath: 'src/server.ts', lines: [10], content: ORDERS }] }));
    expect(call).toMatchObject({ tool: 'run_load_test', args: { url: 'http://127.0.0.1:3000/orders/search', duration: '10s' } });
    expect(call?.about).toBe('the handler of GET /orders/search (src/server.ts:4)');
    const post = chooseFirstCall(input({ sources: [{ relPath: 'src/server.ts', lines: [13], content: ORDERS }] }));
    expect(post?.args).toMatchObject({ url: 'http://127.0.0.1:3000/orders', method: 'POST' });
    expect(post?.caveat).toContain('body');
  });

  it.each([
    ['FastAPI', 'app/main.py', '@app.get("/items/{item_id}")\nasync def read(item_id: int):\n    return load(item_id)\n', 3, 'GET /items/{item_id}'],
    ['Flask with methods', 'app.py', '@bp.route("/cart", methods=["POST"])\ndef add():\n    return save()\n', 3, 'POST /cart'],
    [
      'Go 1.22 pattern',
      'main.go',
      'func main() {\n\thttp.HandleFunc("GET /users", users)\n\thttp.ListenAndServe(":8080", nil)\n}\nfunc users(w http.ResponseWriter, r *http.Request) {\n\tlist(w)\n}\n',
      6,
      'GET /users',
    ],
    ['gin', 'router.go', 'r.POST("/login", func(c *gin.Context) {\n\tauth(c)\n})\n', 2, 'POST /login'],
    ['Spring', 'OrderController.java', '@GetMapping("/orders")\npublic List<Order> all() {\n  return repo.findAll();\n}\n', 3, 'GET /orders'],
  ])('%s routes', (_name, relPath, content, line, route) => {
    const call = chooseFirstCall(input({ sources: [{ relPath, lines: [line], content }] }));
    expect(call?.tool).toBe('run_load_test');
    expect(call?.about).toContain(route);
  });

  it('Next.js file routes, and client calls are not routes', () => {
    const next = chooseFirstCall(
      input({ sources: [{ relPath: 'app/api/orders/route.ts', lines: [2], content: 'export async function GET() {\n  return list();\n}\n' }] }),
    );
    expect(next?.about).toContain('GET /api/orders');
    const client = chooseFirstCall(input({ sources: [{ relPath: 'src/ui.ts', lines: [1], content: "const r = await axios.get('/api/orders');\n" }] }));
    expect(client).toBeUndefined();
  });

  it('a changed statement of a .sql file', () => {
    const content = "-- reports\nSELECT 1;\n\nSELECT id FROM events\nWHERE kind = 'a;b'\nORDER BY at;\n";
    const call = chooseFirstCall(input({ sources: [{ relPath: 'db/report.sql', lines: [5], content }] }));
    expect(call?.args).toEqual({ sql: "SELECT id FROM events WHERE kind = 'a;b' ORDER BY at" });
    expect(call?.about).toBe('the SQL string at db/report.sql:4');
  });

  it('a k6 script → run_load_test {"script": …} once the runner is there, otherwise how to translate', () => {
    const perfFiles = [{ relPath: 'load-test/api.js', tool: 'run_load_test' as const, head: "import http from 'k6/http';" }];
    const runner = chooseFirstCall(input({ perfFiles, scriptRunner: true }));
    expect(formatCall(runner!)).toBe('run_load_test {"script":"load-test/api.js"}');
    const before = chooseFirstCall(input({ perfFiles, scriptRunner: false }));
    expect(before?.args).toBeUndefined();
    expect(describeFirstCall(before!)).toContain('{"script": "load-test/api.js"}');
    expect(before?.caveat).toMatch(/stages → stages.*thresholds → thresholds/);
  });

  it('a benchmark → compare_benchmarks against the last baseline run', () => {
    const results = chooseFirstCall(
      input({ perfFiles: [{ relPath: 'bench/results.json', tool: 'compare_benchmarks', head: '{}' }], baselineRun: '20261201-101500-compare-x' }),
    );
    expect(results?.args).toEqual({ baseline: '20261201-101500-compare-x', candidate: 'bench/results.json' });
    const source = chooseFirstCall(
      input({ perfFiles: [{ relPath: 'bench/sort_test.go', tool: 'compare_benchmarks', head: 'func BenchmarkSort(b *testing.B) {}' }] }),
    );
    expect(source?.args?.baseline).toBe('<results before the change>');
    expect(source?.caveat).toContain('no earlier run');
  });

  it('files under hooks.paths come before SQL and routes; nothing concrete → undefined', () => {
    const both = input({
      perfFiles: [{ relPath: 'bench/results.json', tool: 'compare_benchmarks', head: '{}' }],
      sources: [{ relPath: 'src/server.ts', lines: [8], content: ORDERS }],
    });
    expect(chooseFirstCall(both)?.tool).toBe('compare_benchmarks');
    expect(chooseFirstCall(input({ sources: [{ relPath: 'src/util.ts', lines: [1], content: 'export const x = 1;\n' }] }))).toBeUndefined();
  });
});

describe('changed lines from `git diff -U0`', () => {
  it('reads new-side ranges, removals and quoted paths', () => {
    const patch = [
      'diff --git a/src/a.ts b/src/a.ts',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -3 +3 @@ x',
      '-old',
      '+new',
      '@@ -10,2 +9,0 @@',
      '-gone',
      '-gone',
      '@@ -20,0 +19,3 @@',
      '+a',
      '+b',
      '+c',
      'diff --git a/del.ts b/del.ts',
      '--- a/del.ts',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-x',
      '+++ "b/sp\\tace.ts"',
      '@@ -0,0 +1 @@',
      '+y',
    ].join('\n');
    const files = parseZeroContextPatch(patch);
    expect(files.get('src/a.ts')).toEqual([3, 9, 19, 20, 21]);
    expect(files.has('del.ts')).toBe(false);
    expect(files.get('sp\tace.ts')).toEqual([1]);
  });
});
