import { ProfileBuilder, type Profile } from './model.js';

/**
 * `perf script` text → the model. Each record is a header line
 * (`comm pid/tid [cpu] time: period event:`), then one line per frame, leaf first
 * (`\taddr symbol+off (dso)`), then a blank line — the input stackcollapse-perf.pl reads.
 * Weight: the record's period in ns for cpu-clock (÷1000 → µs); 1 sample × interval when
 * the period is missing. Read line by line, so the text is never split into one huge array.
 */
export function parsePerfScript(text: string, options: { intervalUs: number; excludeComms?: string[] }): Profile & { pids: Map<number, string> } {
  const builder = new ProfileBuilder();
  const samples: number[] = [];
  const weights: number[] = [];
  const timestamps: number[] = [];
  const pids = new Map<number, string>();
  const exclude = new Set(options.excludeComms ?? []);
  let header: { comm: string; pid: number; time: number; period: number } | undefined;
  let frames: number[] = [];
  let first = -1;
  let last = 0;
  const flush = () => {
    if (header && frames.length && !exclude.has(header.comm)) {
      samples.push(builder.path(frames.reverse()));
      weights.push(header.period > 0 ? header.period / 1000 : options.intervalUs);
      if (first < 0) first = header.time;
      timestamps.push((header.time - first) * 1e6);
      last = header.time;
      pids.set(header.pid, header.comm);
    }
    header = undefined;
    frames = [];
  };
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line.trim()) {
      flush();
      if (end === text.length) break;
      continue;
    }
    if (!/^\s/.test(line)) {
      flush();
      // comm may contain spaces: anchor on "pid[/tid] [cpu]? time:".
      const m = /^(.*?)\s+(\d+)(?:\/\d+)?\s+(?:\[\d+\]\s+)?(\d+\.\d+):\s+(?:(\d+)\s+)?(\S+?):/.exec(line);
      const comm = m?.[1]; // a mandatory group: present whenever the line matched
      if (m && comm !== undefined) header = { comm: comm.trim(), pid: Number(m[2]), time: Number(m[3]), period: Number(m[4] ?? 0) };
      continue;
    }
    const fm = /^\s+[0-9a-f]+\s+(.+?)\s+\((.*)\)\s*$/.exec(line);
    // Both groups are mandatory: present whenever the line matched.
    const rawSymbol = fm?.[1];
    const dso = fm?.[2];
    if (rawSymbol === undefined || dso === undefined) continue;
    let symbol = rawSymbol.replace(/\+0x[0-9a-f]+$/, '');
    if (symbol === '[unknown]') symbol = `[unknown] (${dso.split('/').pop()})`;
    const kernel = dso.startsWith('[kernel') || dso === '[vdso]';
    frames.push(builder.frame({ name: symbol, file: dso, line: 0, column: 0, category: kernel ? 'runtime' : 'native' }));
  }
  flush();
  return {
    runtime: 'native',
    kind: 'cpu',
    unit: 'microseconds',
    profiler: 'perf',
    frames: builder.frames,
    nodes: builder.nodes,
    samples,
    weights,
    timestamps,
    durationUs: first >= 0 ? (last - first) * 1e6 + options.intervalUs : 0,
    processes: [],
    pids,
  };
}
