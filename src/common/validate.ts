import type { z } from 'zod';
import { UserError } from './errors.js';

/** zod issues as one line a person can act on: `connections: Too small: expected number to be >=1`. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.map(String).join('.');
      return at ? `${at}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validates input at the edge; a failure is a UserError naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, what = 'input'): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UserError(`invalid ${what}: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}
