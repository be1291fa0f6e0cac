import { createServer } from 'node:net';

// Ports below the kernel's ephemeral range (32768–60999 here), so no outgoing connection of
// another test (a database client, a load generator) can be holding the one we pick; a bind
// check skips those other test files are listening on.
const LOW = 20_000;
const HIGH = 32_768;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on, for a child process under test to open. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port found in ${LOW}–${HIGH - 1}`);
}
