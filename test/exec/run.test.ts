import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandFailed, CommandNotFound, CommandTimedOut, run } from '../../src/exec/run.js';

const node = (script: string, extra: object = {}) => ({ file: process.execPath, args: ['-e', script], ...extra });

describe('run', () => {
  it('returns stdout and stderr of a successful command', async () => {
    const r = await run(node('console.log("out"); console.error("err")'));
    expect(r.stdout.trim()).toBe('out');
    expect(r.stderr.trim()).toBe('err');
  });

  it('passes arguments verbatim, never through a shell', async () => {
    const tricky = '$(touch /tmp/pwned); `id` && echo ; rm -rf /';
    const r = await run({ file: process.execPath, args: ['-e', 'console.log(process.argv[1])', tricky] });
    expect(r.stdout.trim()).toBe(tricky);
  });

  it('passes on what npm and git need to reach a registry, never other variables', async () => {
    Object.assign(process.env, {
      SAFE_DEPLOY_TEST_LEAK: 'leaked-value',
      HTTPS_PROXY: 'http://proxy:3128',
      npm_config_registry: 'https://mirror.example/',
      NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      npm_config_local_prefix: '/elsewhere',
    });
    try {
      const r = await run(node('console.log(JSON.stringify(process.env))', { env: { ADDED: 'yes' } }));
      const env = JSON.parse(r.stdout);
      expect(env).toMatchObject({
        ADDED: 'yes',
        HTTPS_PROXY: 'http://proxy:3128',
        npm_config_registry: 'https://mirror.example/',
        NODE_EXTRA_CA_CERTS: '/etc/ca.pem',
      });
      expect(env.PATH).toBeTruthy();
      expect(env.SAFE_DEPLOY_TEST_LEAK).toBeUndefined();
      expect(env.npm_config_local_prefix).toBeUndefined();
    } finally {
      for (const k of [
        'SAFE_DEPLOY_TEST_LEAK',
        'HTTPS_PROXY',
        'npm_config_registry',
        'NODE_EXTRA_CA_CERTS',
        'npm_config_local_prefix',
      ])
        delete process.env[k];
    }
  });

  it('turns a non-zero exit into CommandFailed with the redacted output', async () => {
    const err = await run(
      node('console.error("connecting to postgres://app:hunter22@db/x with hunter22"); process.exit(3)', {
        secrets: ['hunter22'],
      }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(CommandFailed);
    expect(err.exitCode).toBe(3);
    expect(err.stderr).not.toContain('hunter22');
    expect(err.message).not.toContain('hunter22');
    expect(err.stderr).toContain('postgres://app:***@db/x');
  });

  it('kills the whole process tree on timeout', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'run-test-')), 'grandchild-survived');
    // The child starts a grandchild that would write a file after 1.5 s, then waits forever.
    const grandchild = `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 1500)`;
    const script = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' }); setInterval(() => {}, 1000)`;
    const err = await run(node(script, { timeoutMs: 300 })).catch((e) => e);
    expect(err).toBeInstanceOf(CommandTimedOut);
    await new Promise((r) => setTimeout(r, 2000));
    expect(existsSync(marker)).toBe(false);
  });

  it('stops the command when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('cancelled')), 200);
    const err = await run(node('setInterval(()=>{}, 1000)'), { signal: controller.signal }).catch((e) => e);
    expect(err.message).toBe('cancelled');
    // Stopped, not run to its end (it never ends): a generous bound, the machine may be loaded.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('reports a missing program as CommandNotFound', async () => {
    const err = await run({ file: 'definitely-not-a-command-xyz', args: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandNotFound);
  });

  it('keeps only a bounded tail of a chatty command', async () => {
    const r = await run(node('for (let i = 0; i < 20000; i++) console.log("line " + i + " ".repeat(80))'));
    expect(r.stdout.length).toBeLessThanOrEqual(64 * 1024 + 200);
    expect(r.stdout).toContain('line 19999');
    expect(r.stdout).not.toContain('line 0 ');
  });

  it('calls onTick while the command runs', async () => {
    let ticks = 0;
    await run(node('setTimeout(()=>{}, 350)'), { onTick: () => ticks++, tickMs: 100 });
    expect(ticks).toBeGreaterThanOrEqual(2);
  });

  it('streams each output line to onLine as it comes, redacted, whole even across chunks', async () => {
    const lines: string[] = [];
    // Two writes split one line (and a two-byte character) across chunks; the secret is scrubbed.
    const script =
      'process.stderr.write(Buffer.from([0x74, 0xc3])); setTimeout(() => { process.stderr.write(Buffer.from([0xa9])); process.stderr.write("1 pw-xyz\\nsecond\\n"); console.log("out line"); }, 50)';
    await run(node(script, { secrets: ['pw-xyz'] }), { onLine: (l, stream) => lines.push(`${stream}:${l}`) });
    expect(lines.sort()).toEqual(['stderr:second', 'stderr:té1 ***', 'stdout:out line']);
  });
});
