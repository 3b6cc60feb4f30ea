import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_LOG_MAX_BYTES, appLogTail } from '../../src/activities/appLog.js';
import type { TargetConfig } from '../../src/config/schema.js';

/**
 * The app's own words on failure (config `logs`): a real file or a real command, its last lines,
 * secrets redacted, and a log that cannot be had says why instead of throwing.
 */
let dir: string;
const password = 'pw-Sx9!hunter2-é';
const url = `postgresql://blogger:${encodeURIComponent(password)}@127.0.0.1:5432/blog`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'app-log-'));
  writeFileSync(
    join(dir, 'app.env'),
    `DATABASE_URL=${url}\nPORT=3000\nSTRIPE_SECRET_KEY=sk_live_abcdef123456\nGREETING=hello\n`,
    { mode: 0o600 },
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const target = (logs: unknown) =>
  ({
    app: 'blog',
    environment: 'test',
    appDir: dir,
    envFile: join(dir, 'app.env'),
    commandEnv: {},
    database: { urlEnv: 'DATABASE_URL' },
    requiredEnv: [],
    writes: { policy: 'detect' },
    logs,
  }) as unknown as TargetConfig;
const deps = { configPath: '/nonexistent.json', env: {} };
const tail = (logs: unknown) => appLogTail(deps, target(logs), 'restart');

describe("the app's log in a failure", () => {
  it('a file: its last 50 lines, what the app said last at the end', async () => {
    const file = join(dir, 'web.log');
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i + 1}`);
    writeFileSync(file, [...lines, "Error: Cannot find module './slugify'", ''].join('\n'));
    const text = (await tail(file))!;
    expect(text).toContain(`the last 50 lines of ${file}`);
    expect(text).toContain("    Error: Cannot find module './slugify'");
    expect(text).toContain('line 120');
    expect(text).not.toContain('line 71\n');
    expect(text.split('\n')).toHaveLength(51);
  });

  it('redacts the database URL, its password (plain and URL-encoded) and secret-named values of the env file', async () => {
    const file = join(dir, 'leaky.log');
    writeFileSync(
      file,
      [
        `connecting to ${url}`,
        `password authentication failed, tried ${password}`,
        `encoded: ${encodeURIComponent(password)}`,
        `other: postgres://admin:s3cr3t@db.internal/x`,
        'stripe: sk_live_abcdef123456',
        'greeting: hello on 3000',
      ].join('\n'),
    );
    const text = (await tail(file))!;
    expect(text).not.toContain(password);
    expect(text).not.toContain(encodeURIComponent(password));
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('sk_live_abcdef123456');
    expect(text).toContain('greeting: hello on 3000'); // not secrets: the app's words stay readable
    expect(text).toContain('***');
  });

  it('caps the bytes: one huge line keeps its end', async () => {
    const file = join(dir, 'huge.log');
    writeFileSync(file, `start ${'x'.repeat(100_000)} the end\n`);
    const text = (await tail(file))!;
    expect(Buffer.byteLength(text)).toBeLessThan(APP_LOG_MAX_BYTES + 200);
    expect(text).toContain('the end');
    expect(text).not.toContain('start');
  });

  it('a command: its output (journalctl style), and one that hangs is cut after 5 s', async () => {
    const printing = (await tail(['node', '-e', 'for (let i = 1; i <= 60; i++) console.log("entry " + i)']))!;
    expect(printing).toContain('the last 50 lines of `node -e');
    expect(printing).toContain('entry 60');
    expect(printing).not.toContain('entry 10\n');

    const started = Date.now();
    const hanging = (await tail(['node', '-e', 'console.log("waiting on a pager"); setInterval(() => {}, 1000)']))!;
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(hanging).toContain('cut: it had not finished after 5 s');
    expect(hanging).toContain('waiting on a pager');
  }, 30_000);

  it('a log that cannot be had says why, and never throws', async () => {
    expect(await tail(join(dir, 'nowhere.log'))).toBe(
      `The app's log (logs: ${join(dir, 'nowhere.log')}) does not exist.`,
    );
    expect(await tail(dir)).toContain('is not a file');
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect(await tail(empty)).toContain('is empty');
    expect(await tail(['no-such-logs-tool-here'])).toContain('cannot run');
    expect(await tail(['node', '-e', 'console.error("journal: no entries"); process.exit(1)'])).toContain(
      'journal: no entries',
    );
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.log');
      writeFileSync(locked, 'secret');
      chmodSync(locked, 0o000);
      expect(await tail(locked)).toContain('permission denied');
    }
    expect(await appLogTail(deps, target(undefined), 'restart')).toBeUndefined();
  });
});
