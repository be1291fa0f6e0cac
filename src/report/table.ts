/**
 * Aligned plain-text tables for terminal output and markdown tables for summaries.
 * Written here rather than taken from a library: both are ~30 lines, and the hook/CLI
 * start-up budget makes every dependency count.
 */
export type Align = 'left' | 'right';

function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function renderTextTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (cell: string, i: number) => {
    const gap = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
    return align[i] === 'right' ? gap + cell : cell + gap;
  };
  const lines = [headers.map(pad).join('  '), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map((r) => r.map((c, i) => pad(c ?? '', i)).join('  '))];
  return lines.map((l) => l.trimEnd()).join('\n');
}

export function renderMarkdownTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const escapePipes = (cell: string) => cell.replace(/\|/g, '\\|');
  const rule = headers.map((_, i) => (align[i] === 'right' ? '---:' : '---'));
  return [headers, rule, ...rows].map((r) => `| ${r.map((c) => escapePipes(c ?? '')).join(' | ')} |`).join('\n');
}
