import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { measureWebVitalsTool } from '../../vitals/tool.js';
import { runRegisteredTool } from '../run-tool.js';
import { collect, parseNumberFlag, readInputOption } from '../flags.js';

interface VitalsFlags {
  input?: string;
  json?: boolean;
  runs?: string;
  device?: string;
  throttling?: string;
  click?: string[];
  type?: string[];
  press?: string[];
  threshold?: string[];
  quiet?: string;
  timeout?: string;
  trace?: boolean;
  limit?: string;
  lighthouse?: boolean;
  coverage?: boolean;
}

/** "selector=text" for --type and "selector=Key" for --press (split at the last "="). */
function splitPair(flag: string, text: string): [string, string] {
  const at = text.lastIndexOf('=');
  if (at <= 0 || at === text.length - 1)
    throw new UserError(`--${flag} "${text}" must look like "<selector>=<value>"`, `e.g. --${flag} "#search=${flag === 'press' ? 'Enter' : 'shoes'}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Flags onto the tool input. Interactions from flags run in the order the flag kinds are
 * listed (clicks, then typing, then key presses); use --input for any other order.
 */
export function vitalsFlagsToInput(url: string | undefined, flags: VitalsFlags): Record<string, unknown> {
  const input: Record<string, unknown> = flags.input ? readInputOption(flags.input) : {};
  if (url) input.url = url;
  if (flags.runs) input.runs = parseNumberFlag('runs', flags.runs);
  if (flags.device) input.device = flags.device;
  if (flags.throttling) input.throttling = flags.throttling.trim().startsWith('{') ? readInputOption(flags.throttling) : flags.throttling;
  const steps: unknown[] = [
    ...(flags.click ?? []).map((selector) => ({ action: 'click', selector })),
    ...(flags.type ?? []).map((pair) => {
      const [selector, text] = splitPair('type', pair);
      return { action: 'type', selector, text };
    }),
    ...(flags.press ?? []).map((pair) => {
      const [selector, key] = splitPair('press', pair);
      return { action: 'press', selector, key };
    }),
  ];
  if (steps.length) input.interactions = steps;
  if (flags.threshold?.length) input.thresholds = flags.threshold;
  if (flags.quiet) input.quietMs = parseNumberFlag('quiet', flags.quiet);
  if (flags.timeout) input.timeoutMs = parseNumberFlag('timeout', flags.timeout);
  if (flags.trace === false) input.trace = false;
  if (flags.limit) input.limit = parseNumberFlag('limit', flags.limit);
  if (flags.lighthouse) input.lighthouse = true;
  if (flags.coverage === false) input.coverage = false;
  return input;
}

export function registerVitalsCommand(program: Command): void {
  program
    .command('vitals')
    .description(
      'Core Web Vitals of a page in headless Chromium: LCP, CLS, INP (scripted interactions) or TBT, FCP, TTFB — median of cold loads, with a filmstrip report and a Chrome trace.',
    )
    .argument('[url]', 'http(s):// URL on loopback (or an allow-listed host), file:// URL, or a path to an .html file')
    .option('-n, --runs <n>', 'cold page loads (default 5)')
    .option('--device <kind>', 'desktop (default) or mobile')
    .option(
      '--throttling <profile>',
      'none (default), mobile-slow-4g (Lighthouse mobile: CPU ×4, slow 4G), or JSON {cpuSlowdown, latencyMs, downloadKbps, uploadKbps}',
    )
    .option('--click <selector>', 'click this element after load (repeatable); INP is measured from the interactions', collect)
    .option('--type <selector=text>', 'type text into this input, key by key (repeatable)', collect)
    .option('--press <selector=key>', 'press a key on this element, e.g. "#q=Enter" (repeatable)', collect)
    .option('-t, --threshold <expr>', 'e.g. "lcp<2500", "cls<=0.1", "inp<200", "bytes<1MB" (repeatable; default: config targets)', collect)
    .option('--quiet <ms>', 'network and CPU quiet time that ends a load (default 1000)')
    .option('--timeout <ms>', 'per page load (default 30000)')
    .option('--no-trace', 'skip the Chrome trace and filmstrip')
    .option('--lighthouse', "also run Lighthouse's performance audit: score, opportunities, diagnostics, its HTML report")
    .option('--no-coverage', 'skip the JS/CSS coverage load')
    .option('--limit <n>', 'at most this many long tasks / layout shifts in the output')
    .option('--input <json-or-file>', 'the full tool input as JSON (flags override it)')
    .option('--json', 'print the structured result as JSON')
    .action(async (url: string | undefined, flags: VitalsFlags) => {
      process.exitCode = await runRegisteredTool(measureWebVitalsTool, { json: !!flags.json, input: () => vitalsFlagsToInput(url, flags) });
    });
}
