import { defined } from '../common/errors.js';
import { frameLabel } from './analyse.js';
import { entryAt, selfWeightByNode, weightAt, type Profile } from './model.js';

/**
 * Folded stacks, the input of Brendan Gregg's flamegraph.pl, inferno and speedscope:
 * one line per distinct root→leaf stack, `a;b;c 42`. Frames are "name (file:line)" like
 * py-spy's output; ";" inside a name would split a frame, so it becomes ":".
 * The count is the stack's self weight as an integer: µs of CPU, or bytes for heap.
 */
export function toFolded(profile: Profile): string {
  const self = selfWeightByNode(profile);
  const labels = profile.frames.map((f) =>
    frameLabel(f)
      .replace(/;/g, ':')
      .replace(/\s*\n\s*/g, ' '),
  );
  const pathOf = new Array<string>(profile.nodes.length);
  const lines: string[] = [];
  profile.nodes.forEach((node, i) => {
    const label = entryAt(labels, node.frame, 'frame');
    // Parents come before children, so the parent's path is already known.
    const path = node.parent < 0 ? label : `${entryAt(pathOf, node.parent, 'path of parent node')};${label}`;
    pathOf[i] = path;
    const weight = Math.round(weightAt(self, i, 'self weight of node'));
    if (weight > 0) lines.push(`${path} ${weight}`);
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Parses folded lines back into [stack, weight] pairs (used by tests and by diff input). */
export function parseFolded(text: string): Array<{ stack: string[]; weight: number }> {
  const out: Array<{ stack: string[]; weight: number }> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const match = /^(.*) (\d+(?:\.\d+)?)$/.exec(line);
    if (!match) throw new Error(`not a folded-stack line: ${line.slice(0, 80)}`);
    out.push({ stack: defined(match[1], 'the stack of a folded line').split(';'), weight: Number(match[2]) });
  }
  return out;
}
