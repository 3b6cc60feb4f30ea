import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end: the built CLI (`npm test` builds first) on real Prisma migrations folders.
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/client.js');
const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-cli-'));

const safeDeploy = (...args: string[]) => node([], args);

function node(nodeArgs: string[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No Temporal address anywhere: the lint must not connect.
    execFile(
      process.execPath,
      [...nodeArgs, cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: '127.0.0.1:1' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function migration(folder: string, name: string, sql: string): void {
  mkdirSync(join(folder, name), { recursive: true });
  writeFileSync(join(folder, name, 'migration.sql'), sql);
}

const init = `-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safe-deploy lint', () => {
  it("rates the sample app's migrations additive and exits 0", async () => {
    const r = await safeDeploy('lint', join(root, 'examples/farm-chat/base/prisma/migrations'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      migrations: [{ name: '20260101000000_init', severity: 'additive', findings: [] }],
    });
  });

  it("prints each migration's severity and findings in the JSON shape, exit 0 without destructive ones", async () => {
    const folder = join(dir, 'risky');
    migration(folder, '20260101000000_init', init);
    migration(
      folder,
      '20260201000000_body_index',
      '-- CreateIndex\nCREATE INDEX "messages_body_idx" ON "messages"("body");\n',
    );
    writeFileSync(join(folder, 'migration_lock.toml'), 'provider = "postgresql"\n');
    const r = await safeDeploy('lint', folder, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      migrations: { name: string; severity: string; findings: Record<string, unknown>[] }[];
    };
    expect(report.migrations.map((m) => Object.keys(m))).toEqual([
      ['name', 'severity', 'findings'],
      ['name', 'severity', 'findings'],
    ]);
    expect(report.migrations.map((m) => [m.name, m.severity])).toEqual([
      ['20260101000000_init', 'additive'],
      ['20260201000000_body_index', 'risky'],
    ]);
    expect(report.migrations[1]?.findings).toEqual([
      expect.objectContaining({
        rule: 'create-index-without-concurrently',
        severity: 'risky',
        line: 2,
        statement: 'CREATE INDEX "messages_body_idx" ON "messages"("body")',
        message: expect.stringMatching(/without CONCURRENTLY/),
      }),
      expect.objectContaining({ rule: 'missing-lock-timeout', severity: 'notice', line: 2 }),
    ]);
  });

  it('exits 1 when a migration is destructive, and says why in text', async () => {
    const folder = join(dir, 'destructive');
    migration(folder, '20260101000000_init', init);
    migration(
      folder,
      '20260301000000_drop_name',
      'SET lock_timeout = \'5s\';\n\n-- AlterTable\nALTER TABLE "users" DROP COLUMN "name";\n',
    );
    const r = await safeDeploy('lint', folder);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('20260301000000_drop_name  destructive');
    expect(r.stdout).toContain('line 4  destructive  drop-column');
    expect(r.stdout).toContain('why:   drops column users.name and its data');
    expect(r.stdout).toContain('2 migrations: 1 destructive, 0 risky, 1 additive, 0 invalid');
  });

  it('exits 1 when a migration does not parse, naming file and line', async () => {
    const folder = join(dir, 'invalid');
    migration(folder, '20260101000000_init', init);
    migration(
      folder,
      '20260401000000_typo',
      'ALTER TABLE "users" ADD COLUMN "age" INTEGER;\nCREATE INDX "users_age_idx" ON "users"("age");\n',
    );
    const r = await safeDeploy('--json', 'lint', folder);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      migrations: { severity: string; findings: { rule: string; file: string; line: number }[] }[];
    };
    expect(report.migrations[1]).toMatchObject({
      severity: 'invalid',
      findings: [{ rule: 'parse-error', file: join(folder, '20260401000000_typo', 'migration.sql'), line: 2 }],
    });
  });

  it('exits 2 with a clear message for a missing folder', async () => {
    const r = await safeDeploy('lint', join(dir, 'nope'), '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no migrations folder at .*nope/);
  });

  it('starts without loading the Temporal client (nor gRPC, nor protobufjs)', async () => {
    // A preload that lists, at exit, every CommonJS module the process loaded (the Temporal packages are CommonJS).
    const preload = join(dir, 'loaded-modules.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n",
    );
    const r = await node(['--require', preload], ['lint', join(root, 'examples/farm-chat/base/prisma/migrations')]);
    expect(r.code).toBe(0);
    const loaded = JSON.parse(/LOADED (.*)/.exec(r.stderr)?.[1] ?? 'null') as string[];
    expect(loaded.some((m) => m.includes('libpg-query'))).toBe(true); // the preload sees what the lint loads
    expect(loaded.filter((m) => /node_modules\/(@temporalio|@grpc|protobufjs)\//.test(m))).toEqual([]);
  });

  describe('big migrations (generated here, never committed)', () => {
    type Report = {
      migrations: {
        name: string;
        severity: string;
        findings: { rule: string; severity: string; line: number; message: string }[];
      }[];
    };
    const big = join(dir, 'big');
    // The case: a 43 MB data migration, one INSERT of many rows, that ran the parser out of memory.
    beforeAll(() => {
      const rows: string[] = [];
      for (let i = 0; rows.length * 48 < 43_000_000; i++) rows.push(`(${i}, 'name ${i}', 'a note on row ${i} 🚜')`);
      migration(big, '20260101000000_init', init);
      migration(
        big,
        '20260501000000_seed',
        `-- a data migration\nINSERT INTO "seed" ("id", "name", "note") VALUES\n${rows.join(',\n')};\n`,
      );
    });

    it('a 43 MB statement gets one clear invalid finding, and stdout stays JSON', async () => {
      const r = await safeDeploy('lint', big, '--json');
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.migrations[1]).toEqual({
        name: '20260501000000_seed',
        severity: 'invalid',
        findings: [
          expect.objectContaining({
            rule: 'migration-too-large',
            severity: 'error',
            line: 2,
            message: expect.stringMatching(/^statement at line 2 too large to parse \(4\d MB > 8 MB\)$/),
          }),
        ],
      });
    });

    it('over --max-migration-mb, a migration is not even read: "migration too large to parse"', async () => {
      const r = await safeDeploy('--json', 'lint', big, '--max-migration-mb', '32');
      expect(r.code).toBe(1);
      expect((JSON.parse(r.stdout) as Report).migrations[1]?.findings).toEqual([
        expect.objectContaining({
          rule: 'migration-too-large',
          severity: 'error',
          line: 1,
          message: expect.stringMatching(/^migration too large to parse \(4\d MB > 32 MB\)$/),
        }),
      ]);
      expect((await safeDeploy('lint', big, '--max-migration-mb', 'lots')).code).toBe(2);
    });

    it('a 3 MB migration of many statements is parsed piece by piece, each finding at its line', async () => {
      const folder = join(dir, 'many');
      const inserts = Array.from(
        { length: 30_000 },
        (_, i) => `INSERT INTO "seed" VALUES (${i}, 'row ${i}; not a statement end');`,
      );
      migration(folder, '20260601000000_many', `${inserts.join('\n')}\nDROP TABLE "legacy";\n`);
      const r = await safeDeploy('lint', folder, '--json');
      expect(r.code).toBe(1);
      const [m] = (JSON.parse(r.stdout) as Report).migrations;
      expect(m?.severity).toBe('destructive');
      expect(m?.findings.find((f) => f.rule === 'drop-table')).toMatchObject({ line: 30_001 });
    });
  });
});
