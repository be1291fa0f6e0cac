/**
 * The demo application's endpoints and the problem each one carries. Pure data: the app
 * serves them, the orchestrator load-tests them and names them in the summary.
 */
export type DemoFix = 'index' | 'batch' | 'hotloop' | 'cache';

export const ALL_FIXES: readonly DemoFix[] = ['index', 'batch', 'hotloop', 'cache'];

export interface DemoEndpoint {
  /** Short name used in tables and run titles. */
  name: string;
  /** Path with a query string that exercises the problem (a fixed, existing key). */
  path: string;
  /** What is wrong in the baseline, in one line. */
  problem: string;
  /** What `--fixed` changes, in one line. */
  fix: string;
  /** The fix flag that addresses it. */
  fixFlag: DemoFix;
}

/**
 * Order references look random but are a bijection of the id (multiplying by a prime coprime
 * with 10^7), so they are unique without a UNIQUE constraint — which would be an index and
 * hide the demo's unindexed-filter problem.
 */
export function orderReference(id: number): string {
  return `R${String((id * 104_729 + 12_345) % 10_000_000).padStart(7, '0')}`;
}

/** An existing order the search endpoint looks up (near the end of the table: no early exit). */
export const SEARCH_REFERENCE = orderReference(97_531);

export const DEMO_ENDPOINTS: readonly DemoEndpoint[] = [
  {
    name: 'recent-orders',
    path: '/orders/recent?limit=50',
    problem:
      'N+1: one query for the orders, then one per order for its customer and one for its product (101 queries, each paying the per-query driver and logging cost)',
    fix: 'one JOIN query for the page (1 query)',
    fixFlag: 'batch',
  },
  {
    name: 'order-search',
    path: `/orders/search?reference=${SEARCH_REFERENCE}`,
    problem: 'filter on the unindexed column orders.reference: a full table scan per request',
    fix: 'CREATE INDEX idx_orders_reference ON orders(reference)',
    fixFlag: 'index',
  },
  {
    name: 'sales-report',
    path: '/reports/sales?top=20',
    problem:
      'CPU-heavy handler: deep-clones every row through JSON and compiles a RegExp per row (normaliseRowsNaive), then aggregates with reduce + object spread, quadratic (rankProductsNaive)',
    fix: 'regular expressions compiled once, no JSON round trip (normaliseRows), one Map updated in place (rankProducts)',
    fixFlag: 'hotloop',
  },
  {
    name: 'catalog',
    path: '/catalog',
    problem: 'cacheable response rebuilt on every request (aggregate over all products), no Cache-Control or ETag',
    fix: 'body memoised until the data changes, Cache-Control: public, max-age=60 and a strong ETag (304 on If-None-Match)',
    fixFlag: 'cache',
  },
];

/** The query the order-search endpoint runs, with the demo's literal, for analyze_query. */
export const ORDER_SEARCH_SQL = `SELECT id, customer_id, product_id, status, total_cents, created_at FROM orders WHERE reference = '${SEARCH_REFERENCE}'`;
