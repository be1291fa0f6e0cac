import { formatBytes, formatMs, round } from '../common/units.js';
import { html, htmlList, renderHtmlTable } from '../report/html.js';
import type { ReportPage } from '../report/html.js';
import type { ProfileOutput } from './schema.js';

/**
 * The words and tables around the numbers: the short text summary (verdict first, then the
 * few numbers that matter, then artefact paths) and the report's HTML sections.
 */
function where(row: { file: string; line: number }): string {
  if (!row.file) return '';
  return row.line > 0 ? `${row.file}:${row.line}` : row.file;
}

export function headline(out: ProfileOutput, target: string): string {
  const span = `${round(out.durationS, 1)} s`;
  const allocator = out.heap?.topAllocators[0];
  if (out.kind === 'heap' && out.heap && allocator) {
    return `Heap profile of ${target} (${span}, ${out.profiler}): top allocator ${allocator.name}${where(allocator) ? ` (${where(allocator)})` : ''} — ${formatBytes(allocator.bytes)}, ${allocator.pct}% of ${formatBytes(out.heap.totalBytes)} sampled.`;
  }
  if (out.idle) {
    const quiet = out.idle.offCpu ? `${out.idle.quietPct}% of it off the CPU` : `${out.idle.quietPct}% of samples idle, (program) or GC`;
    return `IDLE: ${target} was idle during the ${span} window — ${quiet}, ${formatMs(out.idle.userCodeMs)} in its own code; nothing to rank. ${out.idle.advice}`;
  }
  const top = out.hotFunctions[0];
  if (!top) return `Profiled ${target} for ${span} (${out.profiler}) but it used almost no CPU: nothing to rank.`;
  return `CPU profile of ${target} (${span}, ${out.samples.toLocaleString('en-US')} samples, ${out.profiler}): hottest ${top.name}${where(top) ? ` (${where(top)})` : ''} — ${top.selfPct}% self, ${top.totalPct}% total.`;
}

export function summaryText(out: ProfileOutput, target: string): string {
  const lines = [headline(out, target)];
  // An idle window's "hottest (program) 100 %" ranks nothing: the tables stay in the artefacts.
  if (out.hotFunctions.length && !out.idle) {
    lines.push('', 'Hot functions (self | total, share of on-CPU time):');
    for (const f of out.hotFunctions.slice(0, 8)) {
      lines.push(
        `  ${String(f.selfPct).padStart(6)}% | ${String(f.totalPct).padStart(6)}%  ${f.name}  ${where(f)}${f.calls !== undefined ? `  (${f.calls} calls)` : ''}`,
      );
    }
  }
  if (out.hotLines?.length) {
    lines.push('', 'Hot lines (share of on-CPU time):');
    for (const l of out.hotLines.slice(0, 5)) {
      lines.push(
        `  ${String(l.selfPct).padStart(6)}%  ${where(l)}  in ${l.function}${l.inlinedInto ? `  (inlined into ${l.inlinedInto.slice(0, 3).join(', ')})` : ''}`,
      );
    }
  }
  if (out.hotPaths[0] && !out.idle) lines.push('', `Heaviest stack (${out.hotPaths[0].selfPct}%): ${out.hotPaths[0].stack.slice(-5).join(' → ')}`);
  if (out.heap?.topAllocators.length) {
    lines.push('', `Top allocators (${out.heap.unit}):`);
    for (const a of out.heap.topAllocators.slice(0, 6))
      lines.push(`  ${formatBytes(a.bytes).padStart(10)}  ${String(a.pct).padStart(6)}%  ${a.name}  ${where(a)}`);
    if (out.heap.growth?.length) {
      lines.push('Grew most between snapshots:');
      for (const g of out.heap.growth.slice(0, 3)) lines.push(`  +${formatBytes(g.bytes)}  ${where(g)}`);
    }
  }
  for (const fn of out.lineMemory ?? []) {
    lines.push('', `Line memory of ${fn.function} (${fn.file}:${fn.line}), memory_profiler — increment MiB, times run:`);
    const body = fn.lines.filter((l) => l.line > fn.line).sort((a, b) => b.incrementMiB - a.incrementMiB);
    for (const l of body.slice(0, 5)) lines.push(`  ${l.incrementMiB.toFixed(2).padStart(8)}  ×${l.occurrences}  ${fn.file}:${l.line}  ${l.code.trim()}`);
  }
  const facts: string[] = [];
  if (out.gcPct !== undefined) facts.push(`GC ${out.gcPct}%`);
  if (out.idlePct !== undefined) facts.push(`idle ${out.idlePct}%`);
  facts.push(`peak RSS ${formatBytes(out.peakRssBytes)}`);
  if (out.processes.length > 1) facts.push(`${out.processes.length} processes`);
  lines.push('', facts.join(', '));
  if (out.load) {
    lines.push(
      `Load: ${Math.round(out.load.throughputRps)} req/s, p50 ${formatMs(out.load.latencyMs.p50)}, p99 ${formatMs(out.load.latencyMs.p99)}, ${out.load.failed}/${out.load.requests} failed (${out.load.runDir})`,
    );
  }
  if (out.diff) {
    const g = out.diff.grew[0];
    const s = out.diff.shrank[0];
    lines.push(
      `Diff vs ${out.diff.baseline}: ${g ? `grew most ${g.name} ${g.beforePct}% → ${g.afterPct}%` : 'nothing grew'}; ${s ? `shrank most ${s.name} ${s.beforePct}% → ${s.afterPct}%` : 'nothing shrank'}`,
    );
  }
  for (const w of out.warnings) lines.push(`warning: ${w}`);
  lines.push(
    '',
    `Flame graph: ${out.artifacts.flamegraph}`,
    `Artefacts: ${out.artifacts.dir} (speedscope.json, profile.folded, profile.pb.gz${out.artifacts.cpuprofile ? ', profile.cpuprofile' : ''})`,
  );
  return lines.join('\n');
}

export function reportSections(out: ProfileOutput): ReportPage['sections'] {
  const sections: ReportPage['sections'] = [];
  if (out.hotFunctions.length) {
    sections.push({
      title: 'Hot functions (by self time, share of on-CPU time)',
      id: 'hot-functions',
      html: renderHtmlTable(
        ['function', 'where', 'kind', 'self', 'self %', 'total', 'total %', ...(out.hotFunctions.some((f) => f.calls !== undefined) ? ['calls'] : [])],
        out.hotFunctions.map((f) => [
          f.name,
          where(f),
          f.category,
          formatMs(f.selfMs),
          f.selfPct,
          formatMs(f.totalMs),
          f.totalPct,
          ...(f.calls !== undefined ? [f.calls] : []),
        ]),
        [3, 4, 5, 6, 7],
      ),
    });
  }
  if (out.hotLines?.length) {
    sections.push({
      title: 'Hot lines (V8 line-level ticks, share of on-CPU time)',
      id: 'hot-lines',
      html: renderHtmlTable(
        ['where', 'function', 'self', 'self %', 'inlined into'],
        out.hotLines.map((l) => [where(l), l.function, formatMs(l.selfMs), l.selfPct, (l.inlinedInto ?? []).join(', ')]),
        [2, 3],
      ),
    });
  }
  if (out.hotPaths.length) {
    sections.push({
      title: 'Hot paths (heaviest stacks, root → leaf)',
      html: html`<ol>${out.hotPaths.map((p) => html`<li><strong>${p.selfPct}%</strong> <code>${p.stack.join(' → ')}</code></li>`)}</ol>`,
    });
  }
  if (out.heap) {
    sections.push({
      title: `Top allocators (${out.heap.unit})`,
      id: 'heap',
      html: renderHtmlTable(
        ['function', 'where', 'bytes', '%'],
        out.heap.topAllocators.map((a) => [a.name, where(a), formatBytes(a.bytes), a.pct]),
        [2, 3],
      ),
    });
    if (out.heap.growth?.length) {
      sections.push({
        title: 'Growth between snapshots',
        html: renderHtmlTable(
          ['where', 'bytes', 'objects'],
          out.heap.growth.map((g) => [where(g), formatBytes(g.bytes), g.count]),
          [1, 2],
        ),
      });
    }
  }
  if (out.diff) {
    const rows = (list: typeof out.diff.grew) => list.map((d) => [d.name, where(d), d.beforePct, d.afterPct, d.deltaPct > 0 ? `+${d.deltaPct}` : d.deltaPct]);
    sections.push({
      title: `Change vs ${out.diff.baseline}`,
      id: 'diff',
      html: html`<h3>Grew</h3>${renderHtmlTable(['function', 'where', 'before %', 'after %', 'Δ pp'], rows(out.diff.grew), [2, 3, 4])}<h3>Shrank</h3>${renderHtmlTable(['function', 'where', 'before %', 'after %', 'Δ pp'], rows(out.diff.shrank), [2, 3, 4])}`,
    });
  }
  if (out.processes.length) {
    sections.push({
      title: 'Processes',
      html: renderHtmlTable(
        ['pid', 'command', 'samples', 'CPU', 'top function'],
        out.processes.map((p) => [p.pid, p.command, p.samples, formatMs(p.cpuMs), p.topFunction ?? '']),
        [2, 3],
      ),
    });
  }
  if (out.load) {
    sections.push({
      title: 'Load that drove the process',
      html: renderHtmlTable(
        ['req/s', 'requests', 'failed', 'p50', 'p95', 'p99', 'max', 'report'],
        [
          [
            Math.round(out.load.throughputRps),
            out.load.requests,
            out.load.failed,
            formatMs(out.load.latencyMs.p50),
            formatMs(out.load.latencyMs.p95),
            formatMs(out.load.latencyMs.p99),
            formatMs(out.load.latencyMs.max),
            out.load.runDir,
          ],
        ],
        [0, 1, 2, 3, 4, 5, 6],
      ),
    });
  }
  if (out.warnings.length) sections.push({ title: 'Warnings', html: htmlList(out.warnings) });
  sections.push({
    title: 'Files',
    html: html`${htmlList(
      Object.entries(out.artifacts)
        .filter(([k]) => k !== 'dir')
        .map(([k, v]) => html`${k}: <code>${v}</code>`),
    )}<p class="muted">Open speedscope.json at speedscope.app, profile.cpuprofile in Chrome DevTools (Performance) or VS Code, profile.pb.gz with <code>go tool pprof -http=: profile.pb.gz</code>, profile.folded with flamegraph.pl or inferno.</p>`,
  });
  return sections;
}
