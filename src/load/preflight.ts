import { connect } from 'node:net';
import { UserError } from '../common/errors.js';

/**
 * Before any load: one TCP connect to every origin. A refused connect means nothing is
 * listening there, and a run would only count thousands of instant refusals as "requests"
 * (with 0 ms latencies and a generator that looks overloaded from spinning on them), so it
 * fails fast instead. A connect that takes longer than `timeoutMs` is left to the run: a
 * slow or overloaded server is something to measure, not to refuse.
 */
export async function assertListening(targets: Array<{ address: string; port: number }>, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const seen = new Set<string>();
  for (const { address, port } of targets) {
    const where = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    if (seen.has(where)) continue;
    seen.add(where);
    const code = await probe(address, port, timeoutMs, signal);
    if (code === 'ECONNREFUSED') {
      throw new UserError(`nothing is listening on ${where}`, 'start the server first, or check the port in the URL; no load was sent');
    }
    if (code && code !== 'timeout' && code !== 'aborted') throw new UserError(`cannot connect to ${where} (${code})`, 'no load was sent');
  }
}

/** null: connected (and closed again at once). */
function probe(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (result: string | null) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(null));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
