import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Streams a file through sha256 (never loads it into memory). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** sha256 and size of a dump: a file, or a directory-format dump (sha256 over "name sha256" lines). */
export async function fingerprintPath(path: string): Promise<{ sha256: string; sizeBytes: number }> {
  const s = await stat(path);
  if (s.isFile()) return { sha256: await sha256File(path), sizeBytes: s.size };
  const names = (await readdir(path)).sort();
  const outer = createHash('sha256');
  let sizeBytes = 0;
  for (const name of names) {
    const file = join(path, name);
    sizeBytes += (await stat(file)).size;
    outer.update(`${name} ${await sha256File(file)}\n`);
  }
  return { sha256: outer.digest('hex'), sizeBytes };
}
