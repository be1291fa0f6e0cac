/**
 * Query fingerprints for N+1 detection: literals → `?`, placeholders ($1, ?, :name, %s) → `?`,
 * IN-lists and multi-row VALUES collapsed, comments dropped, whitespace and case folded —
 * the normalisation pg_stat_statements, pt-query-digest and Prosopite apply. Written as one
 * hand-rolled scanner (no regex per character, no AST) because a query log can hold millions
 * of lines and the budget is ≥ 200k queries/s (bench/query/fingerprint.bench.mjs); a full
 * parser (libpg_query: ~13k/s here) is only consulted once per distinct fingerprint.
 *
 * Output spacing is canonical, so `WHERE id=1` and `where id = 2` give the same text:
 * one space between words and around operators, none inside `( )` or around `.`,
 * one after `,`, and a space before `(` that follows a word.
 */
enum T {
  None,
  Word,
  Open,
  Close,
  Comma,
  Dot,
  Op,
  Semi,
}

// Character classes in one lookup table: the scanner's inner loops are a table read per char.
const WORD = 1; // letters, _, and (as continuation) digits and $
const DIGIT = 2;
const SPACE = 4;
const OP = 8; // = < > ! + - / % | & ^ ~ @ # :
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) CLASS[c] = WORD;
  else if (c >= 48 && c <= 57) CLASS[c] = DIGIT;
  else if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12) CLASS[c] = SPACE;
  else if ('=<>!+-/%|&^~@#:'.includes(String.fromCharCode(c))) CLASS[c] = OP;
}
/** ASCII from the table; beyond it, letters of other scripts are word characters and U+00A0 a space. */
function cls(c: number): number {
  if (c < 128) {
    const k = CLASS[c];
    if (k !== undefined) return k;
  }
  return c === 160 ? SPACE : WORD;
}
function isWordStart(c: number): boolean {
  return cls(c) === WORD;
}
function isWordChar(c: number): boolean {
  return (cls(c) & (WORD | DIGIT)) !== 0 || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c < 128 && CLASS[c] === SPACE;
}
function isOpChar(c: number): boolean {
  return c < 128 && CLASS[c] === OP;
}

export function fingerprintSql(sql: string): string {
  let out = '';
  let prev: T = T.None;
  const n = sql.length;
  let i = 0;
  const emitWord = (word: string) => {
    if (prev === T.Word || prev === T.Op || prev === T.Comma || prev === T.Close) out += ' ';
    out += word;
    prev = T.Word;
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // comments
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    // string literal (with '' and backslash escapes)
    if (c === 39) {
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 39) {
          if (sql.charCodeAt(i + 1) === 39) i += 2;
          else break;
        } else i++;
      }
      i++;
      emitWord('?');
      continue;
    }
    // quoted identifiers keep their case
    if (c === 34 || c === 96) {
      const end = sql.indexOf(String.fromCharCode(c), i + 1);
      const stop = end < 0 ? n : end + 1;
      emitWord(sql.slice(i, stop));
      i = stop;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (
          isDigit(d) ||
          d === 46 ||
          ((d === 101 || d === 69) && (isDigit(sql.charCodeAt(i + 1)) || sql.charCodeAt(i + 1) === 45 || sql.charCodeAt(i + 1) === 43))
        ) {
          i += d === 101 || d === 69 ? 2 : 1;
        } else if (d === 120 || d === 88 || (d >= 97 && d <= 102) || (d >= 65 && d <= 70))
          i++; // 0x1f
        else break;
      }
      emitWord('?');
      continue;
    }
    if (c === 36) {
      // $1 placeholder, or $tag$…$tag$ dollar quoting
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      if (j > i + 1) {
        i = j;
        emitWord('?');
        continue;
      }
      let k = i + 1;
      while (k < n && isWordChar(sql.charCodeAt(k)) && sql.charCodeAt(k) !== 36) k++;
      if (sql.charCodeAt(k) === 36) {
        const tag = sql.slice(i, k + 1);
        const end = sql.indexOf(tag, k + 1);
        i = end < 0 ? n : end + tag.length;
        emitWord('?');
        continue;
      }
    }
    if (c === 63) {
      i++;
      emitWord('?');
      continue;
    }
    if (c === 37 && sql.charCodeAt(i + 1) === 115) {
      // %s (Python DB-API placeholder)
      i += 2;
      emitWord('?');
      continue;
    }
    if (c === 58 && isWordStart(sql.charCodeAt(i + 1))) {
      // :name placeholder (`::type` casts are consumed as one operator below)
      i++;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
      emitWord('?');
      continue;
    }
    if (isWordStart(c)) {
      const start = i;
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if ((cls(d) & (WORD | DIGIT)) === 0 && d !== 36) break;
        i++;
      }
      // E'…', N'…', X'…', B'…' literal prefixes
      if (i - start === 1 && sql.charCodeAt(i) === 39) continue;
      emitWord(sql.slice(start, i).toLowerCase());
      continue;
    }
    if (c === 40) {
      if (prev === T.Word || prev === T.Close || prev === T.Comma || prev === T.Op) out += ' ';
      out += '(';
      prev = T.Open;
      i++;
      continue;
    }
    if (c === 41) {
      out += ')';
      prev = T.Close;
      i++;
      continue;
    }
    if (c === 44) {
      out += ',';
      prev = T.Comma;
      i++;
      continue;
    }
    if (c === 46) {
      out += '.';
      prev = T.Dot;
      i++;
      continue;
    }
    if (c === 59) {
      i++;
      continue; // a trailing semicolon does not change the query
    }
    if (c === 42) {
      // * as a word (select *, count(*)) or an operator (a * b): treated as a word either way
      emitWord('*');
      i++;
      continue;
    }
    if (isOpChar(c)) {
      const start = i;
      i++;
      while (i < n && isOpChar(sql.charCodeAt(i)) && !(sql.charCodeAt(i) === 45 && sql.charCodeAt(i + 1) === 45)) i++;
      const op = sql.slice(start, i);
      if (op === '::') {
        out += '::';
        prev = T.Dot;
        continue;
      }
      if (prev !== T.Open && prev !== T.None && prev !== T.Dot) out += ' ';
      out += op;
      prev = T.Op;
      continue;
    }
    out += sql[i];
    prev = T.Word;
    i++;
  }
  if (out.indexOf('(?,') >= 0) {
    out = out.replace(/\b(in|any) \(\?(?:, \?)*\)/g, '$1 (?)');
    out = out.replace(/\bvalues (\(\?(?:, \?)*\))(?:, \(\?(?:, \?)*\))+/g, 'values $1');
  }
  return out;
}
