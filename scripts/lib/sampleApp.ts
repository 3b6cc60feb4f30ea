/**
 * What the sample applications under examples/ share, whoever wrote them: their git origin built
 * from a base tree and release overlays, the subprocess and git helpers, the production env file
 * and the wait for the app to answer. Each app's own module (farmChat.ts, prismaHeroku.ts) adds
 * how it is installed, started and seeded.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandFailed, lastLines, run as runCommand } from '../../src/exec/run.js';
import { waitUntil } from './ports.js';

/**
 * examples/<name>, found by walking up from this file: it runs both from scripts/lib (tsx,
 * vitest) and compiled from dist/scripts/lib, so a fixed relative path would be wrong for one.
 */
export function findExampleDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'examples', name);
    if (existsSync(join(candidate, 'base', 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`examples/${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

// ---------------------------------------------------------------------------------------------
// Subprocesses go through safe-deploy's own runner: argv only, minimal environment, failures
// (CommandFailed) carry the command and the tail of its output.

export function run(
  file: string,
  args: string[],
  o: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
) {
  return runCommand({ file, args, cwd: o.cwd, env: o.env, timeoutMs: o.timeoutMs ?? 300_000 });
}

/** Git without the user's or system's config (no signing, hooks or templates leak in). */
const gitEnv = (extra: Record<string, string> = {}) => ({
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: devNull,
  GIT_TERMINAL_PROMPT: '0',
  ...extra,
});
/** Runs a sample app's service script (argv); `status` reports its LSB exit code (0 running, 3 stopped) instead of throwing. */
export async function runServiceScript(argv: string[], action: string): Promise<{ code: number; stdout: string }> {
  const [file, ...args] = argv;
  try {
    const { stdout } = await run(file!, args, { timeoutMs: 30_000 });
    return { code: 0, stdout };
  } catch (err) {
    if (action === 'status' && err instanceof CommandFailed && err.exitCode === 3)
      return { code: 3, stdout: err.stdout };
    throw err;
  }
}

export const git = (args: string[], cwd?: string, extra?: Record<string, string>) =>
  run('git', args, { cwd, env: gitEnv(extra) });

/** `git checkout --detach <ref>` in an app clone (tags come with the clone). */
export async function checkoutRef(appDir: string, ref: string): Promise<void> {
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', ref], appDir);
}

/** Prisma must never try to reach its update/telemetry endpoint. */
export const prismaEnv = (databaseUrl: string) => ({
  DATABASE_URL: databaseUrl,
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
});

// ---------------------------------------------------------------------------------------------
// The origin repository.

export interface SampleOrigin {
  /** Bare repository path. */
  dir: string;
  /** Tag → commit sha. */
  tags: Record<string, string>;
}

/** Who commits the sample's history, and when its first commit was made (one day per commit after it). */
export interface SampleAuthor {
  name: string;
  email: string;
  /** Seconds since the epoch, UTC. */
  firstCommitAt: number;
}

interface ReleaseSpec {
  tag: string;
  base: string;
  message: string;
  delete: string[];
  /** Optional branch moved to this release's commit (v2 advances main). */
  branch?: string;
  overlayDir: string;
}

function readReleases(exampleDir: string): ReleaseSpec[] {
  const releasesDir = join(exampleDir, 'releases');
  if (!existsSync(releasesDir)) return [];
  return readdirSync(releasesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const overlayDir = join(releasesDir, e.name);
      const spec = JSON.parse(readFileSync(join(overlayDir, 'release.json'), 'utf8')) as Partial<ReleaseSpec>;
      if (typeof spec.base !== 'string' || typeof spec.message !== 'string')
        throw new Error(`${overlayDir}/release.json needs "base" and "message"`);
      return {
        tag: e.name,
        base: spec.base,
        message: spec.message,
        delete: spec.delete ?? [],
        branch: spec.branch,
        overlayDir,
      };
    });
}

/** Parents before children; unknown bases and cycles are errors. Ties in name order (deterministic). */
function inDependencyOrder(releases: ReleaseSpec[], rootTag: string): ReleaseSpec[] {
  const ordered: ReleaseSpec[] = [];
  const done = new Set([rootTag]);
  let pending = [...releases].sort((a, b) => a.tag.localeCompare(b.tag));
  while (pending.length) {
    const ready = pending.filter((r) => done.has(r.base));
    if (ready.length === 0)
      throw new Error(
        `releases with unknown base or a cycle: ${pending.map((r) => `${r.tag} (base ${r.base})`).join(', ')}`,
      );
    for (const r of ready) {
      ordered.push(r);
      done.add(r.tag);
    }
    pending = pending.filter((r) => !done.has(r.tag));
  }
  return ordered;
}

/** Copies a tree, leaving out anything a local experiment may have left behind. */
function copyTree(from: string, to: string, skip: string[] = []): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(from.length + 1);
      return !skip.includes(rel) && !rel.split('/').includes('node_modules');
    },
  });
}

/**
 * Builds a sample app's origin: the root tag from `<exampleDir>/base/` (tag and message in
 * base.json), then each `releases/<name>/` overlay on its base tag, one commit and one annotated
 * tag each, then a bare clone into `dir`. Author, committer, dates and the git config are fixed,
 * so the same fixture always yields the same commit shas.
 */
export async function buildSampleOrigin(exampleDir: string, dir: string, author: SampleAuthor): Promise<SampleOrigin> {
  const root = JSON.parse(readFileSync(join(exampleDir, 'base.json'), 'utf8')) as { tag: string; message: string };
  const releases = inDependencyOrder(readReleases(exampleDir), root.tag);
  const work = mkdtempSync(join(tmpdir(), 'sample-origin-work-'));
  try {
    let commitNo = 0;
    const identity = () => {
      // One day apart, so `git log` reads like a real history.
      const date = `${author.firstCommitAt + commitNo++ * 86_400} +0000`;
      return {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: author.name,
        GIT_COMMITTER_EMAIL: author.email,
        GIT_COMMITTER_DATE: date,
      };
    };
    const commitAndTag = async (tag: string, message: string) => {
      const id = identity();
      await git(['add', '-A'], work);
      await git(['commit', '-q', '--no-verify', '-m', message], work, id);
      await git(['tag', '-a', tag, '-m', message.split('\n')[0]!], work, id);
    };

    await git(['init', '-q', '-b', 'main', work]);
    copyTree(join(exampleDir, 'base'), work);
    await commitAndTag(root.tag, root.message);

    for (const release of releases) {
      await checkoutRef(work, release.base);
      for (const path of release.delete) {
        const target = resolve(work, path);
        if (!target.startsWith(work + '/')) throw new Error(`${release.tag}: delete path escapes the repo: ${path}`);
        rmSync(target, { recursive: true, force: true });
      }
      copyTree(release.overlayDir, work, ['release.json']);
      await commitAndTag(release.tag, release.message);
      if (release.branch) await git(['branch', '-f', release.branch, 'HEAD'], work);
    }

    await git(['checkout', '-q', 'main'], work);
    await git(['clone', '-q', '--bare', work, dir]);
    const tags: Record<string, string> = {};
    for (const tag of [root.tag, ...releases.map((r) => r.tag)]) {
      tags[tag] = (await git(['rev-parse', `${tag}^{commit}`], dir)).stdout.trim();
    }
    return { dir, tags };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// A production copy.

/**
 * The app's KEY=VALUE env file, mode 0600 (it holds the database password). `header` is its
 * first line, a comment saying who reads it.
 */
export function writeEnvFile(file: string, env: Record<string, string>, header: string): void {
  const lines = Object.entries(env).map(([key, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/i.test(key) || /[\r\n]/.test(value))
      throw new Error(`env entry ${key} cannot be written to an env file`);
    return `${key}=${value}`;
  });
  writeFileSync(file, `# ${header}\n${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Polls `url` until it answers 200; on timeout the error includes the end of the app's log. */
export async function waitForAppAnswer(what: string, url: string, logFile: string, timeoutMs = 30_000): Promise<void> {
  try {
    await waitUntil(
      `${what} at ${url}`,
      async () => (await fetch(url, { signal: AbortSignal.timeout(5000) })).status === 200,
      timeoutMs,
    );
  } catch (err) {
    const log = existsSync(logFile) ? lastLines(readFileSync(logFile, 'utf8'), 25) : `(no ${logFile})`;
    throw new Error(`${(err as Error).message}\n${logFile}:\n${log}`);
  }
}
