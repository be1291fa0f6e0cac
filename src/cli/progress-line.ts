import type { ProgressReporter } from '../common/progress.js';

/** A single rewritten status line with a bar on a TTY; nothing at all on a pipe or file. */
export function createProgressLine(stream: NodeJS.WriteStream): { report: ProgressReporter; clear(): void } {
  if (!stream.isTTY) return { report: () => {}, clear: () => {} };
  let shown = false;
  let lastDraw = 0;
  const report: ProgressReporter = (progress, total, message) => {
    const now = Date.now();
    if (now - lastDraw < 100 && !(total !== undefined && progress >= total)) return;
    lastDraw = now;
    const width = 24;
    let bar = '';
    if (total && total > 0) {
      const filled = Math.max(0, Math.min(width, Math.round((progress / total) * width)));
      bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.min(100, Math.round((progress / total) * 100))
        .toString()
        .padStart(3)}% `;
    }
    const line = `${bar}${message ?? ''}`.slice(0, Math.max(20, (stream.columns ?? 80) - 1));
    stream.write(`\r\x1b[2K${line}`);
    shown = true;
  };
  return {
    report,
    clear() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
