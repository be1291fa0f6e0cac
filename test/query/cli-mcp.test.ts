import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOutputSchema } from '../../src/query/schema.js';
import { BUILT_CLI, connectBuiltServer } from '../helpers/mcp-client.js';

/** The built CLI (`perfeng query`) and the built MCP server, as users and agents meet them. Needs `dist/` (npm run build). */
const exec = promisify(execFile);
let dir: string;
let db: string;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BUILT_CLI, 'query', ...args], { cwd: dir, env: { ...process.env, PERFENG_PROJECT_DIR: dir } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-query-cli-'));
  db = join(dir, 'app.db');
  const d = new Database(db);
  d.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, owner INT, label TEXT);
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100000) INSERT INTO items SELECT x, x % 1000, 'item ' || x FROM g;`);
  d.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('perfeng query (built CLI)', () => {
  it('--json prints exactly the structured result; a high finding exits 1', async () => {
    const { code, stdout } = await cli(['SELECT id FROM items WHERE owner = ?', '-d', db, '-p', '5', '--json']);
    expect(code).toBe(1);
    const result = queryOutputSchema.parse(JSON.parse(stdout));
    expect(result.findings[0]!.rule).toBe('sqlite-full-scan');
    expect(result.indexSuggestions[0]).toMatchObject({ columns: ['owner'], verified: true });
  });

  it('a clean query exits 0 with a human summary, verdict first', async () => {
    const { code, stdout } = await cli(['SELECT label FROM items WHERE id = 5', '--database', db]);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^OK: /);
    expect(stdout).toMatch(/report: .*report\.html/);
  });

  it('bad input exits 2 with one line saying what to fix; --input takes the whole tool input', async () => {
    const refused = await cli(['DROP TABLE items', '-d', db]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^perfeng: refusing to analyse a DROP statement/);
    const input = join(dir, 'input.json');
    await writeFile(input, JSON.stringify({ database: db, sql: 'SELECT count(*) FROM items WHERE owner = 3', suggestIndexes: false }));
    const viaInput = await cli(['--input', input, '--json']);
    expect(JSON.parse(viaInput.stdout).indexSuggestions).toEqual([]);
  });
});

describe('analyze_query over MCP (built server)', () => {
  it('returns structuredContent matching the outputSchema, and bad input as isError', async () => {
    const session = await connectBuiltServer({ cwd: dir, env: { PERFENG_PROJECT_DIR: dir } });
    try {
      const { tools } = await session.client.listTools();
      const tool = tools.find((t) => t.name === 'analyze_query')!;
      expect(tool.annotations).toMatchObject({ destructiveHint: false });
      const ok = await session.client.callTool({
        name: 'analyze_query',
        arguments: { database: db, sql: 'SELECT id FROM items WHERE owner = 9 ORDER BY label' },
      });
      expect(ok.isError).toBeFalsy();
      const structured = queryOutputSchema.parse(ok.structuredContent);
      expect(structured.indexSuggestions[0]!.verified).toBe(true);
      const bad = await session.client.callTool({ name: 'analyze_query', arguments: { database: db, sql: 'SELECT 1; DELETE FROM items' } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/second statement is \\"DELETE FROM items\\"/);
      const still = await session.client.callTool({ name: 'analyze_query', arguments: { sql: 'select * from t where lower(email) = $1' } });
      expect(still.isError).toBeFalsy();
      expect((still.structuredContent as { lint: Array<{ rule: string }> }).lint.map((l) => l.rule)).toContain('function-on-column');
    } finally {
      await session.close();
    }
  });
});
