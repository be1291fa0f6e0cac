/**
 * `perfeng hook <event>`: Claude Code hook glue. Until the trigger rules land this reads the
 * payload and answers nothing, which Claude Code treats as "no opinion". It must never fail
 * the user's session: every path exits 0.
 */
export async function runHook(event: string | undefined): Promise<void> {
  void event;
  process.stdin.resume();
  process.stdin.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    if (process.stdin.isTTY) resolve();
  });
  process.exitCode = 0;
}
