import { CancelledError } from '../../common/errors.js';
import type { Dialect, Plan } from '../plan.js';
import type { Driver, ExplainRequest, IndexInfo, Protection } from './types.js';

/**
 * The one place a driver opens and ends a transaction (issue 20: drivers as classes on one
 * transactional base). Everything that may write runs inside `inTransaction`, which always ends
 * in a rollback — after success, error, timeout and cancellation alike — then, when the session
 * is gone (a killed helper, a dropped connection), lets the driver undo the transaction another
 * way (`recover`), and finally lets it prove nothing changed (`verifyUnchanged`), all before
 * the caller sees the result or the error.
 */
export abstract class TransactionalDriver<Snapshot = never> implements Driver {
  abstract readonly dialect: Dialect;
  readonly warnings: string[] = [];

  constructor(protected readonly signal: AbortSignal) {}

  /** Opens a transaction; READ ONLY when the server can enforce it for this statement. */
  protected abstract begin(readOnly: boolean): Promise<void>;
  /** Rolls back in the session; false when the session is gone and could not. */
  protected abstract rollback(): Promise<boolean>;
  /** Translates a driver error into UserError / CancelledError / StatementTimeoutError. */
  protected abstract mapError(error: unknown): Error;

  /** Undoes a transaction whose session is gone. Default: servers roll back a dropped session themselves. */
  protected async recover(): Promise<void> {}
  /** What must be identical after the rollback; undefined when the server's ROLLBACK is the proof. */
  protected async snapshot(): Promise<Snapshot | undefined> {
    return undefined;
  }
  /** Throws, loudly, when the state differs from `before`. */
  protected async verifyUnchanged(_before: Snapshot, _when: string): Promise<void> {}

  protected async inTransaction<T>(readOnly: boolean, work: () => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw new CancelledError();
    const before = await this.snapshot();
    try {
      await this.begin(readOnly);
      return await work();
    } catch (error) {
      throw this.mapError(error);
    } finally {
      const rolledBack = await this.rollback().catch(() => false);
      if (!rolledBack) await this.recover();
      if (before !== undefined) await this.verifyUnchanged(before, rolledBack ? 'after ROLLBACK' : 'after rolling back the interrupted write');
    }
  }

  abstract explain(request: ExplainRequest): Promise<Plan>;
  abstract tableColumns(table: string): Promise<string[] | undefined>;
  abstract tableRows(table: string): Promise<number | undefined>;
  abstract indexes(table: string): Promise<IndexInfo[]>;
  abstract checkStatement(request: ExplainRequest): Promise<Protection>;
  abstract close(): Promise<void>;

  async settings(): Promise<{ workMemKb?: number }> {
    return {};
  }
}
