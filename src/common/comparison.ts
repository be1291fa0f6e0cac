/**
 * The comparison part shared by our three threshold languages — k6 thresholds
 * (`p(95)<500`), web-vitals thresholds (`lcp<=2.5s`) and compare gates (`p95>500ms`). Each
 * keeps its own grammar for what stands left and right of the operator; this reads the
 * operator (the longest one that matches, so `<=` is never `<` then `=`) and applies it.
 */
export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

const LONGEST_FIRST: readonly Comparator[] = ['===', '<=', '>=', '==', '!=', '<', '>'];

export interface Comparison<Op extends Comparator = Comparator> {
  left: string;
  op: Op;
  right: string;
}

/**
 * Splits `left op right` at the first operator; `allowed` limits the operators a language
 * accepts. Returns undefined when there is no operator, an operator the language does not
 * accept, or an empty side.
 */
export function splitComparison<Op extends Comparator>(text: string, allowed: readonly Op[]): Comparison<Op> | undefined {
  for (let i = 0; i < text.length; i++) {
    const op = LONGEST_FIRST.find((candidate) => text.startsWith(candidate, i));
    if (!op) continue;
    if (!(allowed as readonly string[]).includes(op)) return undefined;
    const left = text.slice(0, i).trim();
    const right = text.slice(i + op.length).trim();
    return left && right ? { left, op: op as Op, right } : undefined;
  }
  return undefined;
}

export function holds(actual: number, op: Comparator, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
    case '===':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

export const ORDERING: readonly ('<' | '<=' | '>' | '>=')[] = ['<', '<=', '>', '>='];
