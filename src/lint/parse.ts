import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import type { Statement } from './types.js';

// The WebAssembly parser loads once, when this module is first imported; parsing is synchronous after.
await loadModule();

/** Longest statement text a finding carries. */
export const MAX_STATEMENT_CHARS = 400;

export type ParsedMigration =
  | { ok: true; statements: Statement[] }
  | { ok: false; error: { line: number; message: string; statement: string } };

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
  const bytes = encoder.encode(sql);
  const statements: Statement[] = [];
  let line = 1;
  let counted = 0; // bytes whose newlines are already in `line`
  for (const [index, raw] of stmts.entries()) {
    if (!raw.stmt) continue;
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const first = skipSpaceAndComments(bytes, start, end);
    for (; counted < first; counted++) if (bytes[counted] === 0x0a) line++;
    statements.push({ node: raw.stmt, index, line, text: bounded(decoder.decode(bytes.subarray(first, end))) });
  }
  return { ok: true, statements };
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
    else if (c === 0x2d && b[i + 1] === 0x2d) { // --
      while (i < end && b[i] !== 0x0a) i++;
    } else if (c === 0x2f && b[i + 1] === 0x2a) { // /* … */, nested as PostgreSQL allows
      let depth = 0;
      while (i < end) {
        if (b[i] === 0x2f && b[i + 1] === 0x2a) { depth++; i += 2; }
        else if (b[i] === 0x2a && b[i + 1] === 0x2f) { depth--; i += 2; if (depth === 0) break; }
        else i++;
      }
    } else break;
  }
  return Math.min(i, end);
}

/**
 * Line and statement of a syntax error. libpg-query reports the 0-based position in characters
 * (code points) of the offending token; the statement is cut at the semicolons around it.
 */
function parseError(sql: string, err: unknown): { line: number; message: string; statement: string } {
  const message = err instanceof Error ? err.message : String(err);
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

function bytesAfterComments(text: string): Uint8Array {
  const b = encoder.encode(text);
  return b.subarray(skipSpaceAndComments(b, 0, b.length));
}
