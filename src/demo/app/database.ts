import { existsSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { defined } from '../../common/errors.js';
import { orderReference } from './endpoints.js';

/**
 * The demo's embedded SQLite database: created and filled on first start (deterministic, so
 * every run measures the same data), reused afterwards when the schema version matches.
 * better-sqlite3 is an optional dependency (a native add-on: node:sqlite needs Node 22), so
 * a missing module becomes a message that says how to get it.
 */
export type Database = BetterSqlite3.Database;

/** Bump when the schema or the generated data changes: an older file is rebuilt. */
const SEED_VERSION = '1';

export const SEED_COUNTS = { customers: 20_000, products: 2_000, orders: 120_000 } as const;

export class MissingSqliteError extends Error {
  override readonly name = 'MissingSqliteError';
}

const require = createRequire(import.meta.url);

export function loadSqlite(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (error) {
    throw new MissingSqliteError(
      `the demo needs the optional dependency better-sqlite3, which is not installed or not built for this Node (${(error as Error).message.split('\n')[0]}) — run \`npm install better-sqlite3\` in the plugin folder (it needs a C++ toolchain when no prebuilt binary matches)`,
    );
  }
}

/** mulberry32: a tiny seeded PRNG, so the data set is identical on every machine. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Niklaus',
  'Leslie',
  'John',
  'Hedy',
  'Tim',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Perlman',
  'Wirth',
  'Lamport',
  'McCarthy',
  'Lamarr',
  'Berners-Lee',
];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'NL', 'SE', 'ES', 'IT', 'CA'];
const TIERS = ['free', 'pro', 'team', 'enterprise'];
const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'office', 'outdoor', 'pets', 'sports', 'tools', 'toys', 'travel'];
const ADJECTIVES = ['Compact', 'Deluxe', 'Eco', 'Classic', 'Smart', 'Rugged', 'Silent', 'Turbo', 'Vintage', 'Modular'];
const NOUNS = ['Lamp', 'Kettle', 'Backpack', 'Notebook', 'Speaker', 'Drill', 'Tent', 'Puzzle', 'Leash', 'Racket', 'Mug', 'Chair'];
const STATUSES = ['paid', 'paid', 'paid', 'shipped', 'shipped', 'delivered', 'delivered', 'delivered', 'refunded', 'cancelled'];

function createSchema(db: Database): void {
  db.exec(`
    CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE customers (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, country TEXT NOT NULL,
      tier TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE products (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, price_cents INTEGER NOT NULL,
      description TEXT NOT NULL);
    CREATE TABLE orders (
      id INTEGER PRIMARY KEY, reference TEXT NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers(id),
      product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL, status TEXT NOT NULL,
      total_cents INTEGER NOT NULL, created_at TEXT NOT NULL);
  `);
}

function createIndexes(db: Database): void {
  // Built after the bulk insert (one sort instead of 120k B-tree insertions).
  // These are the indexes a sane schema has; orders.reference deliberately has none (the demo's problem).
  db.exec(`
    CREATE INDEX idx_orders_created_at ON orders(created_at);
    CREATE INDEX idx_orders_customer_id ON orders(customer_id);
  `);
}

function fill(db: Database): void {
  const random = seededRandom(20_240_601);
  const pick = <T>(list: readonly T[]): T => defined(list[Math.floor(random() * list.length)], 'a list item');
  const start = Date.UTC(2024, 0, 1);
  const day = 86_400_000;
  // One transaction and prepared statements: ~140k rows in well under a second.
  db.transaction(() => {
    const customer = db.prepare('INSERT INTO customers (id, name, email, country, tier, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    for (let id = 1; id <= SEED_COUNTS.customers; id++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      customer.run(
        id,
        `${first} ${last}`,
        `${first}.${last}.${id}@example.test`.toLowerCase(),
        pick(COUNTRIES),
        pick(TIERS),
        new Date(start + Math.floor(random() * 365) * day).toISOString(),
      );
    }
    const product = db.prepare('INSERT INTO products (id, name, category, price_cents, description) VALUES (?, ?, ?, ?, ?)');
    for (let id = 1; id <= SEED_COUNTS.products; id++) {
      const name = `${pick(ADJECTIVES)} ${pick(NOUNS)} ${id}`;
      const category = pick(CATEGORIES);
      product.run(
        id,
        name,
        category,
        199 + Math.floor(random() * 49_800),
        `The ${name.toLowerCase()}: a  well-made ${category} item — "great value"  (model #${id}).`,
      );
    }
    const order = db.prepare(
      'INSERT INTO orders (id, reference, customer_id, product_id, quantity, status, total_cents, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (let id = 1; id <= SEED_COUNTS.orders; id++) {
      const quantity = 1 + Math.floor(random() * 4);
      // Orders are spread over ~2 years and inserted in time order, as a real shop's would be.
      const createdAt = new Date(start + Math.floor((id / SEED_COUNTS.orders) * 700 * day) + Math.floor(random() * 3_600_000)).toISOString();
      order.run(
        id,
        orderReference(id),
        1 + Math.floor(random() * SEED_COUNTS.customers),
        1 + Math.floor(random() * SEED_COUNTS.products),
        quantity,
        pick(STATUSES),
        quantity * (199 + Math.floor(random() * 49_800)),
        createdAt,
      );
    }
    db.prepare('INSERT INTO demo_meta (key, value) VALUES (?, ?)').run('seed_version', SEED_VERSION);
  })();
  createIndexes(db);
  db.exec('ANALYZE');
}

export interface OpenedDatabase {
  db: Database;
  /** True when this start created and filled the file. */
  seeded: boolean;
  seedMs: number;
}

function currentSeedVersion(db: Database): string | undefined {
  try {
    return (db.prepare("SELECT value FROM demo_meta WHERE key = 'seed_version'").get() as { value: string } | undefined)?.value;
  } catch {
    return undefined;
  }
}

/** Opens (creating and filling when needed) the demo database at `path`. */
export function openDemoDatabase(path: string): OpenedDatabase {
  const Sqlite = loadSqlite();
  const started = performance.now();
  if (existsSync(path)) {
    const existing = new Sqlite(path);
    if (currentSeedVersion(existing) === SEED_VERSION) {
      existing.pragma('journal_mode = WAL');
      return { db: existing, seeded: false, seedMs: 0 };
    }
    existing.close();
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) unlinkSync(path + suffix);
  }
  const db = new Sqlite(path);
  // No journal while filling a file nobody else sees yet (a crash leaves a file without
  // seed_version, which the next start rebuilds); then WAL, so analyze_query can read the
  // file while the app serves.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  createSchema(db);
  fill(db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return { db, seeded: true, seedMs: performance.now() - started };
}

/** Brings the schema in line with the chosen fixes (idempotent both ways, so one file serves both modes). */
export function applySchemaFixes(db: Database, options: { index: boolean }): void {
  if (options.index) db.exec('CREATE INDEX IF NOT EXISTS idx_orders_reference ON orders(reference)');
  else db.exec('DROP INDEX IF EXISTS idx_orders_reference');
}
