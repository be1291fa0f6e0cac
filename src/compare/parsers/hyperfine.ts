import { directionForUnit } from '../model.js';
import { isRecord, optionalNumber, requireArray, requireNumbers, requireRecord, requireString } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

/** `hyperfine --export-json`: results[] with command, mean, stddev, …, and times[] in seconds. */
export const hyperfineFormat: JsonFormat = {
  id: 'hyperfine',
  label: 'hyperfine --export-json',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc) || !Array.isArray(doc.results)) return keyScore(doc, ['results']) * 0.3;
    const first = doc.results[0];
    return 0.4 + 0.6 * keyScore(first, ['command', 'mean', 'stddev', 'times']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const results = requireArray(root.results, ['results']);
    const notes: string[] = [];
    const benchmarks = results.map((raw, i) => {
      const r = requireRecord(raw, ['results', i]);
      const name = requireString(r.command, ['results', i, 'command']);
      if (r.times === undefined) {
        notes.push(`${name}: no times[] (older hyperfine?); compared from mean/stddev only`);
        return {
          name,
          unit: 's',
          direction: directionForUnit('s'),
          summary: {
            mean: optionalNumber(r.mean),
            sd: optionalNumber(r.stddev),
            median: optionalNumber(r.median),
            min: optionalNumber(r.min),
            max: optionalNumber(r.max),
          },
        };
      }
      const values = requireNumbers(r.times, ['results', i, 'times']);
      const exitCodes = Array.isArray(r.exit_codes) ? r.exit_codes : [];
      const failed = exitCodes.filter((c) => c !== 0 && c !== null).length;
      if (failed) notes.push(`${name}: ${failed} of ${exitCodes.length} runs exited non-zero (hyperfine -i); their times are included`);
      return { name, unit: 's', direction: directionForUnit('s'), values };
    });
    return { benchmarks, context: {}, notes };
  },
};
