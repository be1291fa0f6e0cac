/**
 * A problem with what the user (or agent) asked for: bad input, a refused host,
 * a missing file. Its message says what was wrong and what to do; adapters show it
 * as-is (MCP `isError`, CLI one line + exit code 2) without a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} — ${hint}` : message);
  }
}

/** Raised when work stops because the caller cancelled it. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && error.name === 'UserError';
}

export function isCancelled(error: unknown): boolean {
  return error instanceof Error && (error.name === 'CancelledError' || error.name === 'AbortError');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * A value the code's own logic guarantees (a mandatory regex group, an index inside the
 * bounds just checked). If the guarantee is ever broken, this fails loudly with what was
 * missing instead of letting `undefined` travel on.
 */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`internal error: ${what} is missing`);
  return value;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
