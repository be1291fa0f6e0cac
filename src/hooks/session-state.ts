import { appendFileSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * Per-session hook state, one folder per `session_id` under `${CLAUDE_PLUGIN_DATA}` (Claude
 * Code's persistent per-plugin folder) or, without it, a private folder in the OS temp dir.
 * Parallel tool calls run their hooks concurrently, so nothing here is read-modify-write:
 * - a trigger fires when `open(…, 'wx')` creates its marker — exactly one process wins;
 * - facts (matched files, reviews) are appended as JSON lines, one small `write` each;
 * - the baseline is written to a temporary file and renamed into place.
 */
export interface MatchFact {
  kind: 'match';
  at: number;
  relPath: string;
  rule: string;
  matchedDir: string;
  tool: string;
}

export interface ReviewFact {
  kind: 'review';
  at: number;
  by: string;
}

export type SessionFact = MatchFact | ReviewFact;

export interface Baseline {
  /** Tree object of the whole working tree (tracked + untracked, .gitignore applied). */
  tree: string;
  toplevel: string;
  /** The repository's real index (copied for each snapshot so unchanged files are not re-hashed). */
  indexPath: string;
  at: number;
}

/** Why there is no baseline; a timeout may be retried at a later prompt (`attempts` so far). */
export interface NoBaseline {
  unavailable: string;
  at: number;
  attempts?: number;
  retryable?: boolean;
}

export type BaselineRecord = Baseline | NoBaseline;

/** Sessions older than this are removed when a new baseline is recorded. */
const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.CLAUDE_PLUGIN_DATA;
  if (data && isAbsolute(data)) return join(data, 'hook-sessions');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return join(process.getBuiltinModule('node:os').tmpdir(), `perfeng-hooks-${uid}`);
}

/**
 * 64-bit FNV-1a (two 32-bit halves) as hex. Used only to turn arbitrary strings into file
 * names; written here because loading node:crypto costs ~10 ms of the matching edit's
 * 30 ms budget (bench/hooks). Not a security boundary: names only need to be distinct.
 */
export function fnv1a64(text: string): string {
  let high = 0xcbf29ce4;
  let low = 0x84222325;
  for (let index = 0; index < text.length; index++) {
    low = (low ^ text.charCodeAt(index)) >>> 0;
    // multiply the 64-bit value by the FNV prime 0x100000001b3 using 32-bit halves
    const lowProduct = low * 0x1b3;
    const carry = Math.floor(lowProduct / 0x100000000);
    high = (Math.imul(high, 0x1b3) + Math.imul(low, 0x100) + carry) >>> 0;
    low = lowProduct >>> 0;
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

/** A file-name-safe folder name for any session id (readable ids are kept as they are). */
export function sessionFolderName(sessionId: string): string {
  if (/^[A-Za-z0-9_-]{1,80}$/.test(sessionId)) return sessionId;
  return `h-${fnv1a64(sessionId)}-${sessionId.length}`;
}

function markerName(key: string): string {
  return `fired-${fnv1a64(key)}`;
}

export class SessionState {
  readonly dir: string;

  private constructor(
    readonly root: string,
    sessionId: string,
  ) {
    this.dir = join(root, sessionFolderName(sessionId));
  }

  /**
   * Opens (creating) the session folder. Throws when the state folder is unusable; callers
   * treat that as "no state, stay silent". In a shared temp dir the root must be a real
   * directory owned by us — another user could have planted a symlink there.
   */
  static open(sessionId: string, root: string): SessionState {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const info = lstatSync(root);
    if (!info.isDirectory()) throw new Error(`${root} is not a directory`);
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) throw new Error(`${root} belongs to another user`);
    const state = new SessionState(root, sessionId);
    mkdirSync(state.dir, { recursive: true, mode: 0o700 });
    return state;
  }

  /** True exactly once per key and session, even under concurrent callers. */
  claimOnce(key: string): boolean {
    const marker = join(this.dir, markerName(key));
    try {
      closeSync(openSync(marker, 'wx'));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  hasFired(key: string): boolean {
    try {
      statSync(join(this.dir, markerName(key)));
      return true;
    } catch {
      return false;
    }
  }

  record(fact: SessionFact): void {
    appendFileSync(join(this.dir, 'facts.jsonl'), `${JSON.stringify(fact)}\n`);
  }

  facts(): SessionFact[] {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'facts.jsonl'), 'utf8');
    } catch {
      return [];
    }
    const facts: SessionFact[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const fact = JSON.parse(line) as SessionFact;
        if (fact && (fact.kind === 'match' || fact.kind === 'review')) facts.push(fact);
      } catch {
        // a torn line (crash mid-write) is skipped, the rest still counts
      }
    }
    return facts;
  }

  readBaseline(): BaselineRecord | undefined {
    try {
      const value = JSON.parse(readFileSync(join(this.dir, 'baseline.json'), 'utf8')) as BaselineRecord;
      if (value && typeof value === 'object' && ('tree' in value || 'unavailable' in value)) return value;
    } catch {
      // missing or unreadable: no baseline
    }
    return undefined;
  }

  writeBaseline(record: BaselineRecord): void {
    const path = join(this.dir, 'baseline.json');
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, path);
  }

  /**
   * notify mode: the Stop note for the model, kept until the next prompt. Written to a
   * temporary file and renamed into place; a newer note replaces an undelivered one.
   */
  writePendingNote(text: string): void {
    const path = join(this.dir, 'pending-note.txt');
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  }

  /** The pending note, taken exactly once: the rename succeeds for one caller only. */
  takePendingNote(): string | undefined {
    const path = join(this.dir, 'pending-note.txt');
    const taken = `${path}.taken.${process.pid}`;
    try {
      renameSync(path, taken);
    } catch {
      return undefined;
    }
    try {
      return readFileSync(taken, 'utf8');
    } catch {
      return undefined;
    } finally {
      rmSync(taken, { force: true });
    }
  }

  /** A scratch path inside the session folder (e.g. for a temporary git index). */
  scratchPath(name: string): string {
    return join(this.dir, `${name}.${process.pid}`);
  }

  /** Removes session folders untouched for a week; best effort. */
  pruneOldSessions(now = Date.now()): void {
    let entries: string[];
    try {
      entries = readdirSync(this.root);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(this.root, entry);
      if (path === this.dir) continue;
      try {
        if (now - statSync(path).mtimeMs > SESSION_TTL_MS) rmSync(path, { recursive: true, force: true });
      } catch {
        // raced with another pruner or not ours to remove
      }
    }
  }
}

/** The session's state, or undefined (with a note) when the state folder is unusable. */
export function openSessionState(sessionId: string, env: NodeJS.ProcessEnv, notes: string[]): SessionState | undefined {
  try {
    return SessionState.open(sessionId, stateRoot(env));
  } catch (error) {
    notes.push(`hook state folder unusable (${(error as Error).message}); staying silent`);
    return undefined;
  }
}
