/** progress/total in the caller's units (seconds, requests, steps); message is for people. */
export type ProgressReporter = (progress: number, total?: number, message?: string) => void;

export const ignoreProgress: ProgressReporter = () => {};

/**
 * Passes at most one update per interval (the first immediately), so a hot loop can call it
 * freely. The final update (progress === total) always goes through.
 */
export function throttleProgress(report: ProgressReporter, intervalMs = 1000): ProgressReporter {
  let last = -Infinity;
  return (progress, total, message) => {
    const now = performance.now();
    const done = total !== undefined && progress >= total;
    if (!done && now - last < intervalMs) return;
    last = now;
    report(progress, total, message);
  };
}
