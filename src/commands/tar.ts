import type { Cmd } from '../exec/run.js';

/** Unpacks a tar archive into `dir` (which must exist). */
export const tarExtract = (file: string, dir: string): Cmd => ({ file: 'tar', args: ['-x', '-f', file, '-C', dir] });
