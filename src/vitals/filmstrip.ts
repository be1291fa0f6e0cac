/**
 * The filmstrip comes from the Chrome trace, as in Lighthouse's screenshot-thumbnails audit:
 * the compositor emits a `Screenshot` event (base64 JPEG) whenever a frame changes, and we
 * pick the frame on screen at evenly spaced moments of the load. Times are relative to the
 * main frame's `navigationStart`, which is the page's performance.now() origin.
 */
export interface FilmstripFrame {
  timeMs: number;
  /** base64 JPEG */
  image: string;
}

interface TraceEvent {
  name?: string;
  cat?: string;
  ts?: number;
  args?: { snapshot?: string; data?: { isLoadingMainFrame?: boolean; documentLoaderURL?: string } };
}

export function parseTraceEvents(trace: Buffer | string): TraceEvent[] {
  try {
    const parsed = JSON.parse(typeof trace === 'string' ? trace : trace.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
    return Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  } catch {
    return [];
  }
}

/** All screenshots with their time since navigation start, in order. */
export function screenshotsFromTrace(events: readonly TraceEvent[], pageUrl: string): FilmstripFrame[] {
  const navigations = events.filter(
    (e) => e.name === 'navigationStart' && e.args?.data?.isLoadingMainFrame && e.args.data.documentLoaderURL && e.args.data.documentLoaderURL !== 'about:blank',
  );
  const navigation = navigations.find((e) => e.args?.data?.documentLoaderURL === pageUrl) ?? navigations[0];
  if (!navigation?.ts) return [];
  const origin = navigation.ts;
  return events
    .flatMap((e) =>
      e.name === 'Screenshot' && e.args?.snapshot && typeof e.ts === 'number' ? [{ timeMs: (e.ts - origin) / 1000, image: e.args.snapshot }] : [],
    )
    .sort((a, b) => a.timeMs - b.timeMs);
}

/** `count` frames at evenly spaced times up to `endMs`: each shows what was on screen then (null = nothing painted yet). */
export function pickFilmstrip(frames: readonly FilmstripFrame[], endMs: number, count = 10): Array<{ timeMs: number; image: string | null }> {
  const result: Array<{ timeMs: number; image: string | null }> = [];
  for (let i = 1; i <= count; i++) {
    const at = (endMs * i) / count;
    let shown: string | null = null;
    for (const frame of frames) {
      if (frame.timeMs <= at) shown = frame.image;
      else break;
    }
    result.push({ timeMs: at, image: shown });
  }
  return result;
}
