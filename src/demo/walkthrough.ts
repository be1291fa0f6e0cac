import type { DemoEndpoint } from './app/endpoints.js';

/**
 * A user clicking through the app: every endpoint in turn, `rounds` times, one request at a
 * time. This is what the query log for analyze_query is recorded from — sequential requests
 * keep each request's queries together, as a request-scoped ORM log would, so a repeated
 * query inside one request (N+1) is not confused with the same query in consecutive requests
 * (which is what a log recorded under concurrent load is full of).
 */
export async function walkThrough(baseUrl: string, endpoints: readonly DemoEndpoint[], rounds: number, signal: AbortSignal): Promise<number> {
  let requests = 0;
  for (let round = 0; round < rounds; round++) {
    for (const endpoint of endpoints) {
      const response = await fetch(baseUrl + endpoint.path, { signal });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${endpoint.path} answered ${response.status} during the walk-through`);
      requests++;
    }
  }
  return requests;
}
