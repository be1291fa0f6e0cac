import { resolve } from 'node:path';
import { assertHostAllowed } from '../common/hosts.js';
import { checkUrlParameters } from './drivers/connect-options.js';
import { UserError } from '../common/errors.js';
import type { Dialect } from './plan.js';

/**
 * Reads the `database` input: a SQLite path (or sqlite:/file: URL), postgres(ql)://… or
 * mysql://… / mariadb://…. Network databases must be loopback or listed in load.allowHosts —
 * checked on the resolved addresses before any connection is opened.
 */
export interface ConnectionSpec {
  dialect: Dialect;
  /** URL for postgres/mysql; absolute file path for sqlite. */
  target: string;
  /** The resolved address the allow-list approved: drivers connect here (no second resolution). */
  address?: string;
}

export async function resolveConnection(database: string, projectDir: string, allowHosts: readonly string[]): Promise<ConnectionSpec> {
  const text = database.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql' || scheme === 'mysql' || scheme === 'mariadb') {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UserError(
        `invalid database URL "${text.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}"`,
        'use postgres://user@127.0.0.1:5432/db or mysql://user@127.0.0.1:3306/db',
      );
    }
    const dialect: Dialect = scheme.startsWith('postgres') ? 'postgres' : 'mysql';
    // Drivers let URL parameters override the host (?host=) or session behaviour (?options=,
    // ?multipleStatements=): only an allow-list passes, checked before anything connects.
    checkUrlParameters(url, dialect === 'postgres' ? 'postgres' : 'mysql');
    if (!url.hostname) throw new UserError('the database URL names no host', 'use postgres://user@127.0.0.1:5432/db or mysql://user@127.0.0.1:3306/db');
    const verdict = await assertHostAllowed(text, { allowHosts });
    const address = verdict.addresses[0];
    return { dialect, target: scheme === 'mariadb' ? text.replace(/^mariadb:/i, 'mysql:') : text, ...(address ? { address } : {}) };
  }
  if (scheme && scheme !== 'file' && scheme !== 'sqlite') {
    throw new UserError(`unsupported database URL scheme "${scheme}://"`, 'use a SQLite file path, postgres://… or mysql://…');
  }
  const path = text.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (!path) throw new UserError('the database path is empty', 'give a SQLite file path, postgres://… or mysql://…');
  return { dialect: 'sqlite', target: resolve(projectDir, path) };
}
