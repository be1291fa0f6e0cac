import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIn } from './helpers.js';

/**
 * Issue 13 class 5: an analysed SQLite write interrupted mid-way. The UPDATE rewrites every row
 * of a 65 MB table slowly (a range count per row), so SQLite spills changed pages into the
 * database file itself long before it finishes — the test watches for that (the file's mtime
 * moves while the -journal exists) and only then cancels, so the interruption really lands on
 * a half-written file. Afterwards the database, -wal and -journal bytes must be identical to
 * before and no journal may be left (a hot journal is a change waiting to be noticed).
 */
let dir: string;
let dbPath: string;
const SLOW_UPDATE = 'UPDATE big SET v = v + 1, pad = hex(randomblob(100)) || (SELECT count(*) FROM big b2 WHERE b2.id BETWEEN big.id AND big.id + 120)';
/** 40× the work of SLOW_UPDATE: minutes on any machine, so the timeout always lands mid-way. */
const ENDLESS_UPDATE = SLOW_UPDATE.replace('+ 120', '+ 5000');

async function bytes(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-journal`])
    out[file] = existsSync(file)
      ? createHash('sha256')
          .update(await readFile(file))
          .digest('hex')
      : 'absent';
  return out;
}

const run = (input: Record<string, unknown>, options: { signal?: AbortSignal } = {}) => analyzeIn(dbPath, input, options);

/** Calls `onWritten` once the database file itself has been written inside an open transaction. */
function watchMidWrite(onWritten: () => void): { stop(): boolean } {
  const mtime = statSync(dbPath).mtimeMs;
  let seen = false;
  const timer = setInterval(() => {
    if (!seen && existsSync(`${dbPath}-journal`) && statSync(dbPath).mtimeMs !== mtime) {
      seen = true;
      onWritten();
    }
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return seen;
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-sqlite-files-'));
  dbPath = join(dir, 'big.db');
  const db = new Database(dbPath);
  db.exec(`
    CREATE TABLE big (id INTEGER PRIMARY KEY, v INT, pad TEXT);
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 300000)
      INSERT INTO big SELECT x, x, hex(randomblob(100)) FROM g;
  `);
  db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyze_query on SQLite: an interrupted analysed write leaves the file byte-identical', () => {
  it('cancelled mid-way (after pages reached the file): rolled back from the journal before the tool returns', async () => {
    const before = await bytes();
    const controller = new AbortController();
    const watch = watchMidWrite(() => controller.abort());
    const safety = setTimeout(() => controller.abort(), 60_000);
    try {
      await expect(run({ sql: SLOW_UPDATE, analyze: true, timeoutMs: 120_000 }, { signal: controller.signal })).rejects.toThrow(/cancel/i);
    } finally {
      clearTimeout(safety);
    }
    // The cancellation landed on a file that had really been written to.
    expect(watch.stop()).toBe(true);
    // Checked the moment the tool returned — nothing else has opened the file since.
    expect(await bytes()).toEqual(before);
    expect(existsSync(`${dbPath}-journal`)).toBe(false);
  });

  it('stopped by the statement timeout: rolled back, bytes identical, no journal, estimated plan reported', async () => {
    const before = await bytes();
    const { structured } = await run({ sql: ENDLESS_UPDATE, analyze: true, timeoutMs: 3000 });
    expect(structured.analyzed).toBe(false);
    expect(structured.warnings.join(' ')).toMatch(/statement timeout/);
    expect(await bytes()).toEqual(before);
    expect(existsSync(`${dbPath}-journal`)).toBe(false);
  });

  it('an analysed write that completes is rolled back and the protection says the bytes were verified', async () => {
    const before = await bytes();
    const { structured } = await run({ sql: 'UPDATE big SET v = v + 1 WHERE id <= 1000', analyze: true });
    expect(structured.analyzed).toBe(true);
    expect(structured.protection?.transaction).toMatch(/SHA-256 .* verified identical/);
    expect(await bytes()).toEqual(before);
    expect(existsSync(`${dbPath}-journal`)).toBe(false);
  });
});
