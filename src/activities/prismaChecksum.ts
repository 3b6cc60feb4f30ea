import { createHash } from 'node:crypto';

/**
 * Prisma Migrate's checksum of a migration: the hex SHA-256 of migration.sql's bytes, as stored
 * in `_prisma_migrations.checksum` (seen on rows the sample app's Prisma 6.19 CLI wrote).
 */
export const prismaChecksum = (script: Buffer): string => createHash('sha256').update(script).digest('hex');

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');

function replaceAll(buf: Buffer, from: Buffer, to: Buffer): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(from); i !== -1; i = buf.indexOf(from, start)) {
    parts.push(buf.subarray(start, i), to);
    start = i + from.length;
  }
  parts.push(buf.subarray(start));
  return Buffer.concat(parts);
}

/** The unpadded hex some old schema engines stored (prisma-engines issue 1887). */
const unpaddedHex = (hex: string) =>
  hex
    .match(/../g)!
    .map((b) => b.replace(/^0/, ''))
    .join('');

/**
 * Whether a recorded checksum still matches the script, the way Prisma's schema engine decides
 * (schema-engine `checksum.rs`, `script_matches_checksum`): the script as is, with CRLF turned
 * into LF, or LF into CRLF (git may change line endings on checkout), each compared with the
 * zero-padded hex, or with the unpadded hex when the recorded one is not 64 characters long.
 */
export function checksumMatches(script: Buffer, recorded: string): boolean {
  const variants = [script, replaceAll(script, CRLF, LF), replaceAll(script, LF, CRLF)];
  return variants.some((v) => {
    const hex = prismaChecksum(v);
    return recorded.length === 64 ? hex === recorded : unpaddedHex(hex) === recorded;
  });
}
