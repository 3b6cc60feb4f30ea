import { hasSqlDetails, loadModule, parseSync, type ParseResult, type RawStmt } from 'libpg-query';
import type { Statement } from './types.js';

// The WebAssembly parser loads once, when this module is first imported; parsing is synchronous after.
await loadModule();

/** Longest statement text a finding carries. */
export const MAX_STATEMENT_CHARS = 400;

export type ParsedMigration =
  | { ok: true; statements: Statement[] }
  | { ok: false; error: { line: number; message: string; statement: string; tooLarge?: boolean } };

export interface ParseLimits {
  /** A statement bigger than this is not parsed (PostgreSQL's parser, compiled to WebAssembly, has a 1 GB heap). */
  maxStatementBytes: number;
  /** A bigger migration is parsed in pieces of about this size, cut between statements, so memory stays bounded. */
  pieceBytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Parses a whole migration file with PostgreSQL's own parser (libpg_query), once. Each statement
 * gets the 1-based line of its first token: `stmt_location` is a byte offset into the UTF-8 text.
 */
export function parseMigration(sql: string): ParsedMigration {
  if (sql.trim() === '') return { ok: true, statements: [] };
  let stmts;
  try {
    stmts = parseSync(sql).stmts ?? [];
  } catch (err) {
    return { ok: false, error: parseError(sql, err) };
  }
  return { ok: true, statements: statementsAt(sql, stmts) };
}

/**
 * The same as `parseMigration(sql)`, from the parser's own JSON text of its tree (`parseSync`'s
 * before its `JSON.parse`), as the parse worker (parseWorker.ts) hands it over.
 */
export function parseMigrationTree(sql: string, tree: string): ParsedMigration {
  let stmts;
  try {
    stmts = (JSON.parse(tree) as ParseResult).stmts ?? [];
  } catch (err) {
    return { ok: false, error: parseError(sql, err) };
  }
  return { ok: true, statements: statementsAt(sql, stmts) };
}

function statementsAt(sql: string, stmts: RawStmt[]): Statement[] {
  const bytes = encoder.encode(sql);
  const statements: Statement[] = [];
  let line = 1;
  let counted = 0; // bytes whose newlines are already in `line`
  for (const raw of stmts) {
    if (!raw.stmt) continue;
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const first = skipSpaceAndComments(bytes, start, end);
    for (; counted < first; counted++) if (bytes[counted] === 0x0a) line++;
    statements.push({
      node: raw.stmt,
      index: statements.length,
      line,
      text: bounded(decoder.decode(bytes.subarray(first, end))),
    });
  }
  return statements;
}

/** A migration's statements as `parseMigrationInPieces` gives them. */
export interface ParsedPieces {
  /** Top-level statements, known before any piece is parsed. */
  statementCount: number;
  pieces(): Iterable<ParsedMigration>;
}

/** True when a migration is parsed all at once (the common case), false when it is parsed in pieces. */
export function parsesWhole(sql: string, limits: ParseLimits): boolean {
  return sql.length <= limits.pieceBytes / 3 || Buffer.byteLength(sql) <= limits.pieceBytes;
}

/** A migration parsed all at once (`parsesWhole`), as `parseMigrationInPieces` gives it. */
export function wholePieces(parsed: ParsedMigration): ParsedPieces {
  return { statementCount: parsed.ok ? parsed.statements.length : 0, pieces: () => [parsed] };
}

/**
 * A migration's statements, parsed piece by piece: all at once when it is small (the common case),
 * else in pieces of about `pieceBytes` cut at top-level semicolons (splitStatements), each parsed
 * and handed over before the next is parsed. A statement over `maxStatementBytes` ends it with a
 * `tooLarge` error. `statementCount` is known before any piece is parsed.
 */
export function parseMigrationInPieces(sql: string, limits: ParseLimits): ParsedPieces {
  if (parsesWhole(sql, limits)) return wholePieces(parseMigration(sql));
  const spans = splitStatements(sql);
  return { statementCount: spans.reduce((n, s) => n + (s.empty ? 0 : 1), 0), pieces: () => pieces(sql, spans, limits) };
}

function* pieces(sql: string, spans: readonly Piece[], limits: ParseLimits): Generator<ParsedMigration> {
  let lines = 0; // newlines before `from`
  let index = 0;
  for (let i = 0; i < spans.length;) {
    const from = spans[i]!.start;
    let j = i;
    while (j + 1 < spans.length && spans[j + 1]!.end - from <= limits.pieceBytes / 3) j++;
    const to = spans[j]!.end;
    if (j === i && to - from > limits.maxStatementBytes / 4) {
      const bytes = Buffer.byteLength(sql.slice(from, to));
      if (bytes > limits.maxStatementBytes) {
        const head = sql.slice(from, Math.min(to, from + 4 * MAX_STATEMENT_CHARS));
        const text = decoder.decode(bytesAfterComments(head)); // from its first token
        const line = lines + 1 + countNewlines(head.slice(0, head.length - text.length));
        yield {
          ok: false,
          error: {
            line,
            statement: bounded(text),
            tooLarge: true,
            message:
              `statement at line ${line} too large to parse (${megabytes(bytes)} > ` +
              `${megabytes(limits.maxStatementBytes)})`,
          },
        };
        return;
      }
    }
    const text = sql.slice(from, to);
    const parsed = parseMigration(text);
    if (!parsed.ok) {
      yield { ok: false, error: { ...parsed.error, line: parsed.error.line + lines } };
      return;
    }
    for (const s of parsed.statements) {
      s.line += lines;
      s.index = index++;
    }
    yield parsed;
    lines += countNewlines(text);
    i = j + 1;
  }
}

/** `43 MB`, `0.4 MB` (MiB, as `ls -h` counts). */
export function megabytes(bytes: number): string {
  const mb = bytes / 1048576;
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The statement text as a finding shows it: trimmed, at most MAX_STATEMENT_CHARS. */
export function bounded(text: string): string {
  const t = text.trim();
  return t.length <= MAX_STATEMENT_CHARS ? t : `${t.slice(0, MAX_STATEMENT_CHARS - 1)}…`;
}

/** First byte at or after `i` that is not whitespace or inside a `--` or (nested) block comment. */
function skipSpaceAndComments(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) i++;
    else if (c === 0x2d && b[i + 1] === 0x2d) {
      // --
      while (i < end && b[i] !== 0x0a) i++;
    } else if (c === 0x2f && b[i + 1] === 0x2a) {
      // /* … */, nested as PostgreSQL allows
      let depth = 0;
      while (i < end) {
        if (b[i] === 0x2f && b[i + 1] === 0x2a) {
          depth++;
          i += 2;
        } else if (b[i] === 0x2a && b[i + 1] === 0x2f) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
    } else break;
  }
  return Math.min(i, end);
}

/**
 * Line and statement of a syntax error. libpg-query reports the 0-based position in characters
 * (code points) of the offending token; the statement is cut at the semicolons around it.
 */
export function parseError(sql: string, err: unknown): { line: number; message: string; statement: string } {
  // The WebAssembly module may throw a non-Error (an abort, out of memory): say so rather than "[object Object]".
  const message =
    err instanceof RangeError
      ? `it nests too deeply for the lint to read (${err.message}); PostgreSQL itself may accept it`
      : err instanceof Error
        ? err.message
        : typeof err === 'string'
          ? err
          : `the parser failed (${describe(err)})`;
  const cursor = hasSqlDetails(err) ? (err.sqlDetails?.cursorPosition ?? 0) : 0;
  let at = 0; // UTF-16 index of the cursor
  for (let n = 0; n < cursor && at < sql.length; n++) at += (sql.codePointAt(at) ?? 0) > 0xffff ? 2 : 1;
  let line = 1;
  for (let i = 0; i < at; i++) if (sql.charCodeAt(i) === 0x0a) line++;
  const from = sql.lastIndexOf(';', at - 1) + 1;
  const next = sql.indexOf(';', at);
  const raw = sql.slice(from, next === -1 ? sql.length : next + 1);
  const text = decoder.decode(bytesAfterComments(raw));
  return { line, message, statement: bounded(text) };
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

function bytesAfterComments(text: string): Uint8Array {
  const b = encoder.encode(text);
  return b.subarray(skipSpaceAndComments(b, 0, b.length));
}

/** A top-level statement's span in the text (UTF-16 offsets, `end` after its semicolon), found without parsing. */
export interface Piece {
  start: number;
  end: number;
  /** Only whitespace and comments. */
  empty: boolean;
}

const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentChar = (c: number) => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;

/**
 * Cuts SQL at its top-level semicolons as psql does, without parsing: it skips string constants
 * ('…', E'…' with backslash escapes, $tag$…$tag$), quoted identifiers and comments (nested block
 * comments too), and, like psql, a `CREATE [OR REPLACE] FUNCTION|PROCEDURE` body in
 * BEGIN ATOMIC … END whose semicolons do not end the statement.
 */
export function splitStatements(sql: string): Piece[] {
  const pieces: Piece[] = [];
  const n = sql.length;
  let start = 0;
  let empty = true;
  let parens = 0;
  let words: string[] = []; // the first identifiers of the statement, lower-case (CREATE OR REPLACE FUNCTION)
  let beginDepth = 0;
  let i = 0;
  const routine = () =>
    words[0] === 'create' &&
    (words[1] === 'function' ||
      words[1] === 'procedure' ||
      (words[1] === 'or' && words[2] === 'replace' && (words[3] === 'function' || words[3] === 'procedure')));
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
      // -- comment
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      // /* nested */
      let depth = 0;
      while (i < n) {
        if (sql.charCodeAt(i) === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
          depth++;
          i += 2;
        } else if (sql.charCodeAt(i) === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
          i += 2;
          if (--depth === 0) break;
        } else i++;
      }
    } else if (c === 0x3b) {
      // ;
      i++;
      if (beginDepth === 0) {
        pieces.push({ start, end: i, empty });
        start = i;
        empty = true;
        parens = 0;
        words = [];
      }
    } else if (c === 0x27) {
      // '…'
      empty = false;
      i = skipQuoted(sql, i, 0x27, false);
    } else if (c === 0x22) {
      // "identifier"
      empty = false;
      words.push('"');
      i = skipQuoted(sql, i, 0x22, false);
    } else if (c === 0x24 && !isIdentChar(sql.charCodeAt(i - 1) || 0)) {
      // $tag$…$tag$ (not $1)
      empty = false;
      let j = i + 1;
      if (isIdentStart(sql.charCodeAt(j) || 0)) {
        j++;
        while (j < n && isIdentChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x24) j++;
      }
      if (sql.charCodeAt(j) === 0x24) {
        const tag = sql.slice(i, j + 1);
        const close = sql.indexOf(tag, j + 1);
        i = close === -1 ? n : close + tag.length;
      } else i++;
    } else if (isIdentStart(c)) {
      empty = false;
      let j = i + 1;
      while (j < n && isIdentChar(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j).toLowerCase();
      if (word === 'e' && sql.charCodeAt(j) === 0x27) {
        i = skipQuoted(sql, j, 0x27, true);
        continue;
      } // E'…\'…'
      if (words.length < 4) words.push(word);
      if (parens === 0 && routine()) {
        if (word === 'begin') beginDepth++;
        else if (word === 'case' && beginDepth > 0) beginDepth++;
        else if (word === 'end' && beginDepth > 0) beginDepth--;
      }
      i = j;
    } else {
      if (c === 0x28) parens++;
      else if (c === 0x29) parens--;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) empty = false;
      i++;
    }
  }
  if (start < n) pieces.push({ start, end: n, empty });
  return pieces;
}

/** The index after the closing quote of the constant or identifier opened at `i` (doubled quotes stay inside). */
function skipQuoted(sql: string, i: number, quote: number, backslashes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql.charCodeAt(j);
    if (backslashes && c === 0x5c) j += 2;
    else if (c === quote) {
      if (sql.charCodeAt(j + 1) === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  return sql.length;
}
