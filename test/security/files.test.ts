import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/activities/config.js';
import type { DriftReport } from '../../src/shared/migrationFacts.js';
import { createActivities } from '../../src/activities/index.js';
import { ensurePrivateDir, makePrivate, writePrivateFile } from '../../src/release/privateFiles.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * Issue 12.2 and 12.4: the drift check wrote schema dumps to predictable names in /tmp (a local
 * user's symlinks there made the root worker overwrite a 0600 file), dumps and their JSON were
 * 0644 in a 0755 folder, and a rehearsing dry run left a full dump of production behind.
 */
const mode = (path: string) => (lstatSync(path).mode & 0o777).toString(8);

/** Every file and folder under `path`, with its mode. */
function modes(path: string): Record<string, string> {
  const out: Record<string, string> = { '.': mode(path) };
  if (lstatSync(path).isDirectory())
    for (const name of readdirSync(path))
      for (const [k, v] of Object.entries(modes(join(path, name)))) out[k === '.' ? name : `${name}/${k}`] = v;
  return out;
}

describe('private files (no PostgreSQL)', () => {
  const root = mkdtempSync(join(tmpdir(), 'safe-deploy-files-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes a file 0600 whatever the umask, replacing a planted symlink instead of following it', async () => {
    const victim = join(root, 'victim');
    writeFileSync(victim, 'root-only secret', { mode: 0o600 });
    const path = join(root, 'backup.dump.json');
    symlinkSync(victim, path);
    const umask = process.umask(0);
    try {
      await writePrivateFile(path, '{"ok":true}');
    } finally {
      process.umask(umask);
    }
    expect(readFileSync(victim, 'utf8')).toBe('root-only secret');
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('{"ok":true}');
    expect(mode(path)).toBe('600');
    expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder other users may write to, or that belongs to another user; tightens its own', async () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    await expect(
      ensurePrivateDir(shared, { field: 'backup.dir', step: 'backup', tighten: false }),
    ).rejects.toMatchObject({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: expect.stringContaining(`backup.dir ${shared} can be written by other users (mode 1777)`),
    });
    const others = join(root, 'others');
    mkdirSync(others, { mode: 0o700 });
    chownSync(others, 65534, 65534);
    await expect(ensurePrivateDir(others, { field: 'workDir', step: 'rehearse', tighten: true })).rejects.toMatchObject(
      { type: 'InvalidConfig', message: expect.stringContaining('belongs to uid 65534') },
    );
    expect(mode(others)).toBe('700');
    const mine = join(root, 'mine');
    mkdirSync(mine, { mode: 0o755 });
    chmodSync(mine, 0o755);
    await ensurePrivateDir(mine, { field: 'workDir', step: 'rehearse', tighten: true });
    expect(mode(mine)).toBe('700');
    const created = join(root, 'new', 'deeper');
    await ensurePrivateDir(created, { field: 'backup.dir', step: 'backup', tighten: true });
    expect(mode(created)).toBe('700');
  });

  it('makes a directory-format dump private: folders 0700, files 0600', async () => {
    const dump = join(root, 'x.dir');
    mkdirSync(dump, { mode: 0o755 });
    writeFileSync(join(dump, 'toc.dat'), 'x', { mode: 0o644 });
    writeFileSync(join(dump, '3001.dat.gz'), 'y', { mode: 0o666 });
    chmodSync(join(dump, '3001.dat.gz'), 0o666);
    await makePrivate(dump);
    expect(modes(dump)).toEqual({ '.': '700', 'toc.dat': '600', '3001.dat.gz': '600' });
  });
});

describe('on a real farm-chat production', () => {
  let s: Scenario;
  let target: TargetConfig;
  let acts: ReturnType<typeof createActivities>;
  const work = () => join(s.backupDir, 'work');

  beforeAll(async () => {
    s = await createScenario('files');
    acts = createActivities({ configPath: s.configPath, env: {} });
    ({ target } = (await new MockActivityEnvironment().run(acts.loadConfig, {
      app: 'farm-chat',
      environment: s.environment,
      ref: 'v2',
    })) as LoadedConfig);
  }, 600_000);
  afterAll(async () => s?.close());

  it('the drift check writes nothing in /tmp: symlinks planted under the names it used to write leave their target untouched', async () => {
    const deploymentId = `test-files-${randomUUID().slice(0, 8)}`;
    // The names the drift check wrote before: /tmp/<db[0:40]>_sd_<sha256(id)[0:8]>_drift-{production,replayed}.sql
    const old = `${s.database.slice(0, 40)}_sd_${createHash('sha256').update(deploymentId).digest('hex').slice(0, 8)}_drift`;
    const victim = join(s.root, 'victim');
    writeFileSync(victim, 'root-only secret\n', { mode: 0o600 });
    const planted = ['production', 'replayed'].map((k) => join(tmpdir(), `${old}-${k}.sql`));
    for (const p of planted) symlinkSync(victim, p);
    try {
      const report = (await new MockActivityEnvironment().run(acts.detectSchemaDrift, {
        deploymentId,
        target,
        currentCommit: s.head(),
      })) as DriftReport;
      expect(report).toMatchObject({ drift: false, complete: true });
      expect(report.schemaDumpSha256.expected).toMatch(/^[0-9a-f]{64}$/);
      expect(readFileSync(victim, 'utf8')).toBe('root-only secret\n');
      expect(mode(victim)).toBe('600');
      // Its private folder (under the work folder, 0700) is gone again.
      expect(mode(work())).toBe('700');
      expect(readdirSync(work())).toEqual([]);
    } finally {
      for (const p of planted) rmSync(p, { force: true });
    }
  });

  it('a rehearsing dry run and a rehearsal that fails leave no dump of production behind', async () => {
    const dry = await s.deploy(s.request('v2', { dryRun: true }));
    expect(dry.report.outcome).toBe('dry-run');
    expect(dry.report.steps.map((x) => x.name)).toContain('rehearse');
    expect(readdirSync(work())).toEqual([]);
    const broken = await s.deploy(s.request('v2-broken-migration', { dryRun: true }));
    expect(broken.report.outcome).toBe('aborted');
    expect(broken.report.error).toMatchObject({ step: 'rehearse', type: 'RehearsalFailed' });
    expect(readdirSync(work())).toEqual([]);
  }, 300_000);

  it("a deployment leaves its dump and description readable by the worker's user only, in a 0700 folder", async () => {
    chmodSync(s.backupDir, 0o755); // as an operator might have made it
    const { report } = await s.deploy(s.request('v2'));
    expect(report.outcome).toBe('deployed');
    const dump = report.backup!.path!;
    expect(existsSync(dump)).toBe(true);
    expect(mode(s.backupDir)).toBe('700');
    expect(statSync(dump).isFile()).toBe(true); // the scenario's custom format; a directory dump is made private like x.dir above
    expect(mode(dump)).toBe('600');
    expect(mode(`${dump}.json`)).toBe('600');
    expect(JSON.parse(readFileSync(`${dump}.json`, 'utf8'))).toMatchObject({
      app: 'farm-chat',
      environment: s.environment,
    });
  }, 300_000);
});
