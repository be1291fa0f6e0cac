import { createHash } from 'node:crypto';
import type { DemoFix } from './endpoints.js';
import type { LoggedDatabase, RequestScope } from './query-log.js';

/**
 * The demo's handlers, each in two versions: the baseline with a typical performance
 * problem, and the fixed one `--fixed` switches to. The problems are real (they cost what
 * they cost in production code), not sleeps, so every tool measures something genuine.
 */
export interface HandlerResult {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface HandlerContext {
  db: LoggedDatabase;
  scope: RequestScope;
  query: URLSearchParams;
  requestHeaders: Record<string, string | string[] | undefined>;
  fixes: ReadonlySet<DemoFix>;
  /** Per-app state (one app instance = one cache). */
  state: AppState;
}

export interface AppState {
  catalog?: CatalogCache;
}

const json = (value: unknown, status = 200): HandlerResult => ({ status, body: JSON.stringify(value) });

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const value = Number(query.get(name) ?? fallback);
  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}

// ---------------------------------------------------------------- N+1 (/orders/recent)

interface OrderRow {
  id: number;
  reference: string;
  customer_id: number;
  product_id: number;
  status: string;
  total_cents: number;
  created_at: string;
}

/** Baseline: the ORM-style lazy load — one query per order for each relation. */
function recentOrdersNPlusOne(ctx: HandlerContext, limit: number) {
  const orders = ctx.db.queryAll<OrderRow>(
    ctx.scope,
    'SELECT id, reference, customer_id, product_id, status, total_cents, created_at FROM orders ORDER BY created_at DESC LIMIT ?',
    limit,
  );
  return orders.map((order) => {
    const customer = ctx.db.queryOne<{ name: string; country: string }>(ctx.scope, 'SELECT name, country FROM customers WHERE id = ?', order.customer_id);
    const product = ctx.db.queryOne<{ name: string; category: string }>(ctx.scope, 'SELECT name, category FROM products WHERE id = ?', order.product_id);
    return { ...order, customer, product };
  });
}

/** Fixed: the page and its relations in one JOIN. */
function recentOrdersJoined(ctx: HandlerContext, limit: number) {
  const rows = ctx.db.queryAll<OrderRow & { customer_name: string; country: string; product_name: string; category: string }>(
    ctx.scope,
    `SELECT o.id, o.reference, o.customer_id, o.product_id, o.status, o.total_cents, o.created_at,
            c.name AS customer_name, c.country, p.name AS product_name, p.category
       FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
      ORDER BY o.created_at DESC LIMIT ?`,
    limit,
  );
  return rows.map(({ customer_name, country, product_name, category, ...order }) => ({
    ...order,
    customer: { name: customer_name, country },
    product: { name: product_name, category },
  }));
}

export function handleRecentOrders(ctx: HandlerContext): HandlerResult {
  const limit = intParam(ctx.query, 'limit', 50, 500);
  const orders = ctx.fixes.has('batch') ? recentOrdersJoined(ctx, limit) : recentOrdersNPlusOne(ctx, limit);
  return json({ count: orders.length, orders });
}

// ---------------------------------------------------------------- unindexed filter (/orders/search)

export function handleOrderSearch(ctx: HandlerContext): HandlerResult {
  const reference = ctx.query.get('reference');
  if (!reference) return json({ error: 'reference is required' }, 400);
  // The SQL is the same in both modes: the fix is the index (see applySchemaFixes).
  const orders = ctx.db.queryAll<OrderRow>(
    ctx.scope,
    'SELECT id, customer_id, product_id, status, total_cents, created_at FROM orders WHERE reference = ?',
    reference,
  );
  return json({ count: orders.length, orders });
}

// ---------------------------------------------------------------- CPU-heavy (/reports/sales)

interface SalesRow {
  id: number;
  reference: string;
  status: string;
  total_cents: number;
  created_at: string;
  customer: string;
  country: string;
  product: string;
  category: string;
  description: string;
}

interface NormalisedRow {
  product: string;
  category: string;
  country: string;
  totalCents: number;
  description: string;
  promoted: boolean;
  slug: string;
}

const PROMOTED_TEXT =
  'This season: deals on every compact lamp, smart kettle, rugged backpack and silent drill; ' +
  'members save on classic mug 17, eco tent 230, turbo racket 1999 and vintage chair 404. '.repeat(12);

/**
 * Baseline hot loop, the way it is often written: a JSON round trip per row "to be safe",
 * cleaning regular expressions built inside the loop, and a RegExp compiled from each row's
 * product name to look it up in the promotion text (a new source every time, so V8's
 * regexp cache cannot help and every row pays for a compilation and a scan).
 */
export function normaliseRowsNaive(rows: SalesRow[]): NormalisedRow[] {
  const out: NormalisedRow[] = [];
  for (const row of rows) {
    const copy = JSON.parse(JSON.stringify(row)) as SalesRow;
    const description = copy.description.replace(/["“”]/g, '').replace(/\s+/g, ' ').trim();
    const escaped = copy.product.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const promoted = new RegExp(`\\b${escaped}\\b`, 'i').test(PROMOTED_TEXT);
    const slug = copy.product.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    out.push({ product: copy.product, category: copy.category, country: copy.country, totalCents: copy.total_cents, description, promoted, slug });
  }
  return out;
}

const QUOTES = /["“”]/g;
const SPACES = /\s+/g;
const NOT_SLUG = /[^a-z0-9]+/g;
let promotedWords: Set<string> | undefined;

/** Fixed hot loop: expressions compiled once, no clone, promotion lookup in a Set of phrases. */
export function normaliseRows(rows: SalesRow[]): NormalisedRow[] {
  if (!promotedWords) {
    const words = PROMOTED_TEXT.toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean);
    promotedWords = new Set<string>();
    // Product names are "<adjective> <noun> <n>": index every three-word window.
    for (let i = 0; i + 2 < words.length; i++) promotedWords.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  }
  const phrases = promotedWords;
  return rows.map((row) => {
    const lower = row.product.toLowerCase();
    return {
      product: row.product,
      category: row.category,
      country: row.country,
      totalCents: row.total_cents,
      description: row.description.replace(QUOTES, '').replace(SPACES, ' ').trim(),
      promoted: phrases.has(lower),
      slug: lower.replace(NOT_SLUG, '-'),
    };
  });
}

export interface ProductRevenue {
  product: string;
  category: string;
  revenueCents: number;
  orders: number;
  promoted: boolean;
  slug: string;
}

/**
 * Baseline aggregation, the "reduce with spread" idiom: every row copies the whole
 * accumulator into a new object, so the work grows with rows × distinct products
 * (quadratic; see Rich Snapp, "The reduce ({...spread}) anti-pattern", 2019).
 */
export function rankProductsNaive(rows: NormalisedRow[], top: number): ProductRevenue[] {
  const totals = rows.reduce<Record<string, ProductRevenue>>((acc, row) => {
    const previous = acc[row.product];
    return {
      ...acc,
      [row.product]: previous
        ? { ...previous, revenueCents: previous.revenueCents + row.totalCents, orders: previous.orders + 1 }
        : { product: row.product, category: row.category, revenueCents: row.totalCents, orders: 1, promoted: row.promoted, slug: row.slug },
    };
  }, {});
  return Object.values(totals)
    .sort((a, b) => b.revenueCents - a.revenueCents || a.product.localeCompare(b.product))
    .slice(0, top);
}

/** Fixed aggregation: one Map updated in place (linear). */
export function rankProducts(rows: NormalisedRow[], top: number): ProductRevenue[] {
  const totals = new Map<string, ProductRevenue>();
  for (const row of rows) {
    const entry = totals.get(row.product);
    if (entry) {
      entry.revenueCents += row.totalCents;
      entry.orders++;
    } else {
      totals.set(row.product, {
        product: row.product,
        category: row.category,
        revenueCents: row.totalCents,
        orders: 1,
        promoted: row.promoted,
        slug: row.slug,
      });
    }
  }
  return [...totals.values()].sort((a, b) => b.revenueCents - a.revenueCents || a.product.localeCompare(b.product)).slice(0, top);
}

export function handleSalesReport(ctx: HandlerContext): HandlerResult {
  const top = intParam(ctx.query, 'top', 20, 200);
  const rows = ctx.db.queryAll<SalesRow>(
    ctx.scope,
    `SELECT o.id, o.reference, o.status, o.total_cents, o.created_at, c.name AS customer, c.country,
            p.name AS product, p.category, p.description
       FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
      ORDER BY o.created_at DESC LIMIT 400`,
  );
  const fixed = ctx.fixes.has('hotloop');
  const normalised = fixed ? normaliseRows(rows) : normaliseRowsNaive(rows);
  const ranked = fixed ? rankProducts(normalised, top) : rankProductsNaive(normalised, top);
  return json({ rows: normalised.length, promoted: normalised.filter((r) => r.promoted).length, top: ranked });
}

// ---------------------------------------------------------------- cacheable (/catalog)

function buildCatalog(ctx: HandlerContext): string {
  // Per category: counts, the price range and the three dearest products (a window function).
  const rows = ctx.db.queryAll<{
    category: string;
    products: number;
    min_price: number;
    max_price: number;
    avg_price: number;
    name: string;
    price_cents: number;
  }>(
    ctx.scope,
    `SELECT category, products, min_price, max_price, avg_price, name, price_cents FROM (
       SELECT category, name, price_cents,
              COUNT(*) OVER (PARTITION BY category) AS products,
              MIN(price_cents) OVER (PARTITION BY category) AS min_price,
              MAX(price_cents) OVER (PARTITION BY category) AS max_price,
              AVG(price_cents) OVER (PARTITION BY category) AS avg_price,
              ROW_NUMBER() OVER (PARTITION BY category ORDER BY price_cents DESC) AS rank
         FROM products)
      WHERE rank <= 3 ORDER BY category, rank`,
  );
  const categories = new Map<
    string,
    {
      category: string;
      products: number;
      minPriceCents: number;
      maxPriceCents: number;
      avgPriceCents: number;
      dearest: Array<{ name: string; priceCents: number }>;
    }
  >();
  for (const row of rows) {
    const entry = categories.get(row.category) ?? {
      category: row.category,
      products: row.products,
      minPriceCents: row.min_price,
      maxPriceCents: row.max_price,
      avgPriceCents: Math.round(row.avg_price),
      dearest: [],
    };
    entry.dearest.push({ name: row.name, priceCents: row.price_cents });
    categories.set(row.category, entry);
  }
  return JSON.stringify({ categories: [...categories.values()] });
}

export interface CatalogCache {
  dataVersion: number;
  body: string;
  etag: string;
}

/**
 * Baseline: the same aggregate over every product is recomputed for each request and the
 * response carries no caching headers. Fixed: memoised until SQLite's `data_version`
 * changes (another connection committed), sent with Cache-Control and a strong ETag, and
 * answered 304 when the client already has it (RFC 9110 §13.1.2, RFC 9111 §5.2).
 */
export function handleCatalog(ctx: HandlerContext): HandlerResult {
  if (!ctx.fixes.has('cache')) return { status: 200, body: buildCatalog(ctx) };
  const dataVersion = ctx.db.db.pragma('data_version', { simple: true }) as number;
  let catalogCache = ctx.state.catalog;
  if (!catalogCache || catalogCache.dataVersion !== dataVersion) {
    const body = buildCatalog(ctx);
    catalogCache = ctx.state.catalog = { dataVersion, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }
  const headers = { 'cache-control': 'public, max-age=60', etag: catalogCache.etag };
  const ifNoneMatch = ctx.requestHeaders['if-none-match'];
  const tags = (Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : (ifNoneMatch ?? '')).split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes(catalogCache.etag) || tags.includes('*')) return { status: 304, body: '', headers };
  return { status: 200, body: catalogCache.body, headers };
}
