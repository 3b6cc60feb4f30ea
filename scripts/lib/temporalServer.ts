import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onPath } from './pypiTool.js';

/**
 * The Temporal server `npm run cluster` builds, and the tag docker-compose.yml pins for
 * temporalio/server and temporalio/admin-tools (test/compose checks that they agree).
 */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32.2's go.mod wants Go ≥ 1.26.10; with this, an older `go` fetches that toolchain through the module proxy. */
export const GO_TOOLCHAIN = 'go1.26.10';
const MODULE = 'go.temporal.io/server';
const PACKAGES = { 'temporal-server': 'cmd/server', 'temporal-sql-tool': 'cmd/tools/sql' } as const;

/**
 * The built server, laid out as the images have it: `bin/temporal-server` (temporalio/server),
 * `bin/temporal-sql-tool` and `schema/` (temporalio/admin-tools, /etc/temporal/schema).
 */
export interface TemporalServerTools {
  version: string;
  dir: string;
  server: string;
  sqlTool: string;
  /** The PostgreSQL schemas: `<schemaDir>/{temporal,visibility}/versioned`. */
  schemaDir: string;
}

/** Why the server could not be had: no Go, or the module proxy did not answer. Not an error in the project. */
export class TemporalServerUnavailable extends Error {}

export function temporalServerTools(projectRoot: string, version = TEMPORAL_SERVER_VERSION): TemporalServerTools {
  const dir = join(projectRoot, '.tools', `temporal-server-v${version}`);
  return {
    version,
    dir,
    server: join(dir, 'bin', 'temporal-server'),
    sqlTool: join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: join(dir, 'schema', 'postgresql', 'v12'),
  };
}

const complete = (t: TemporalServerTools) =>
  existsSync(t.server) &&
  existsSync(t.sqlTool) &&
  existsSync(join(t.schemaDir, 'temporal', 'versioned')) &&
  existsSync(join(t.schemaDir, 'visibility', 'versioned'));

const lastLines = (text: string, n = 4) => text.trim().split('\n').slice(-n).join(' | ');

/**
 * The server and SQL tool of `go.temporal.io/server` at the pinned version, built once with
 * `go install` into `.tools/temporal-server-v<version>` (git-ignored) and found there afterwards.
 * The schemas are copied from the module cache beside them. Built in a staging folder and renamed
 * into place, so a build cut short is never taken for a finished one. Throws
 * TemporalServerUnavailable, with what was missing, when Go or the module proxy is not there.
 */
export async function ensureTemporalServer(
  projectRoot: string,
  log: (line: string) => void = () => {},
): Promise<TemporalServerTools> {
  const tools = temporalServerTools(projectRoot);
  if (complete(tools)) return tools;
  const go = onPath('go');
  if (!go)
    throw new TemporalServerUnavailable(
      `Go is not installed (no \`go\` on PATH): the Temporal server v${tools.version} is built from the Go module proxy. Install Go ≥ 1.21 (it fetches ${GO_TOOLCHAIN} itself).`,
    );

  const staging = `${tools.dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: join(staging, 'bin') };
  const started = Date.now();
  log(
    `building ${MODULE} v${tools.version} (temporal-server, temporal-sql-tool) with go install into ${tools.dir}: minutes the first time`,
  );
  try {
    const targets = Object.values(PACKAGES).map((p) => `${MODULE}/${p}@v${tools.version}`);
    await promisify(execFile)(go, ['install', ...targets], {
      env,
      cwd: staging,
      timeout: 1_800_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const [name, pkg] of Object.entries(PACKAGES))
      renameSync(join(staging, 'bin', pkg.split('/').at(-1)!), join(staging, 'bin', name));
    const modCache = spawnSync(go, ['env', 'GOMODCACHE'], { env, encoding: 'utf8' }).stdout.trim();
    const schema = join(modCache, `${MODULE}@v${tools.version}`, 'schema', 'postgresql', 'v12');
    if (!existsSync(schema)) throw new Error(`no PostgreSQL schema in the module cache at ${schema}`);
    cpSync(schema, join(staging, 'schema', 'postgresql', 'v12'), { recursive: true });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const e = err as Error & { stderr?: string; killed?: boolean };
    const why = e.killed ? 'timed out after 30 minutes' : lastLines(e.stderr || e.message);
    throw new TemporalServerUnavailable(
      `could not build ${MODULE} v${tools.version} with GOTOOLCHAIN=${GO_TOOLCHAIN} go install (is the Go module proxy reachable? GOPROXY=${process.env.GOPROXY ?? 'default'}): ${why}`,
    );
  }
  rmSync(tools.dir, { recursive: true, force: true });
  renameSync(staging, tools.dir);
  log(`built Temporal server v${tools.version} in ${Math.round((Date.now() - started) / 1000)} s`);
  return tools;
}
