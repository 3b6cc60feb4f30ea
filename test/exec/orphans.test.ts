import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandFailed, run, startService } from '../../src/exec/run.js';

/**
 * A command must die with the process that ran it, even when that process is SIGKILLed: these
 * tests run `run()` (and `startService()`) in a separate Node process — src/exec compiled as it is
 * now into a temp folder — whose command starts a grandchild; they SIGKILL that process and
 * nothing else, and then look for the command and the grandchild.
 */
const execDir = fileURLToPath(new URL('../../src/exec/', import.meta.url));
let dir: string;
/** Every pid a test saw, SIGKILLed at the end: a failing test must not leave its orphans behind. */
const seen: number[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'safe-deploy-orphans-'));
  mkdirSync(join(dir, 'exec'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  for (const name of ['run', 'redact']) {
    const source = readFileSync(join(execDir, `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, 'exec', `${name}.js`), outputText);
  }
  copyFileSync(join(execDir, 'reaper.cjs'), join(dir, 'exec', 'reaper.cjs'));
});
afterAll(() => {
  for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Alive and not a zombie (a dead child whose parent has not reaped it yet is gone for our purpose). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

async function gone(pids: number[], withinMs: number): Promise<number> {
  const started = Date.now();
  while (pids.some(alive)) {
    if (Date.now() - started > withinMs)
      throw new Error(`still running after ${withinMs} ms: ${pids.filter(alive).join(', ')}`);
    await sleep(50);
  }
  return Date.now() - started;
}

async function waitForFile(file: string, owner: ChildProcess, withinMs = 15_000): Promise<string> {
  const started = Date.now();
  while (!existsSync(file) || !readFileSync(file, 'utf8').endsWith('\n')) {
    if (owner.exitCode !== null) throw new Error(`the runner exited (${owner.exitCode}) before the command started`);
    if (Date.now() - started > withinMs) throw new Error(`${file} never appeared`);
    await sleep(50);
  }
  const text = readFileSync(file, 'utf8');
  seen.push(...text.trim().split(' ').map(Number));
  return text;
}

/**
 * The command: writes "<its pid> <its grandchild's pid>" to `pidFile` and waits forever, as does
 * the grandchild. `stubborn`: both ignore SIGTERM, so only a SIGKILL ends them.
 */
function command(pidFile: string, stubborn: boolean): { file: string; args: string[] } {
  const ignore = stubborn ? "process.on('SIGTERM', () => {});" : '';
  const grandchild = `${ignore} setInterval(() => {}, 1000)`;
  const script = `${ignore}
    const g = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
    require('fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + g.pid + '\\n');
    setInterval(() => {}, 1000);`;
  return { file: process.execPath, args: ['-e', script] };
}

/** A separate Node process that runs the command through the compiled runner (`run` or `startService`) and waits. */
function startRunner(how: 'run' | 'startService', cmd: { file: string; args: string[] }): ChildProcess {
  const driver = `import { ${how} } from ${JSON.stringify(join(dir, 'exec', 'run.js'))};
    const cmd = ${JSON.stringify(cmd)};
    ${how === 'run' ? 'run(cmd).catch(() => {})' : 'startService(cmd)'};
    setInterval(() => {}, 1000);`;
  const runner = spawn(process.execPath, ['--input-type=module', '-e', driver], { stdio: 'ignore' });
  seen.push(runner.pid!);
  return runner;
}

describe('a command dies with the process that ran it', () => {
  for (const how of ['run', 'startService'] as const) {
    it(`${how}: SIGKILL of the runner ends the command and its grandchild within seconds`, async () => {
      const pidFile = join(dir, `${how}.pids`);
      const runner = startRunner(how, command(pidFile, false));
      const [child, grandchild] = (await waitForFile(pidFile, runner)).trim().split(' ').map(Number) as [
        number,
        number,
      ];
      expect(alive(child) && alive(grandchild)).toBe(true);
      await sleep(300);
      expect(alive(child) && alive(grandchild)).toBe(true); // nothing ends them but the kill below
      runner.kill('SIGKILL');
      expect(await gone([child, grandchild], 2_000)).toBeLessThan(2_000);
    }, 30_000);
  }

  it('a command and grandchild that ignore SIGTERM are SIGKILLed after the grace', async () => {
    const pidFile = join(dir, 'stubborn.pids');
    const runner = startRunner('run', command(pidFile, true));
    const [child, grandchild] = (await waitForFile(pidFile, runner)).trim().split(' ').map(Number) as [number, number];
    runner.kill('SIGKILL');
    const ms = await gone([child, grandchild], 8_000);
    expect(ms).toBeGreaterThan(2_000); // they outlived the SIGTERM: the grace was waited for
  }, 30_000);
});

describe('the reaper reports the command, not itself', () => {
  it('a command killed by a signal reads as killed by that signal', async () => {
    const err = await run({ file: process.execPath, args: ['-e', "process.kill(process.pid, 'SIGKILL')"] }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(CommandFailed);
    expect(err.exitCode).toBeNull();
    expect(err.signal).toBe('SIGKILL');
  });

  it("the exit code is the command's", async () => {
    const err = await run({ file: process.execPath, args: ['-e', 'process.exit(42)'] }).catch((e) => e);
    expect(err.exitCode).toBe(42);
  });

  it("the command's environment reaches the command, never the reaper (an app's NODE_OPTIONS would run in it)", async () => {
    const r = await run({
      file: 'printenv',
      args: ['NODE_OPTIONS'],
      env: { NODE_OPTIONS: '--require /nonexistent/preload.js' },
    });
    expect(r.stdout.trim()).toBe('--require /nonexistent/preload.js');
  });

  it('a service that exits on its own tells how', async () => {
    const s = startService({ file: process.execPath, args: ['-e', 'console.log("bye"); process.exit(3)'] });
    for (let i = 0; i < 100 && !s.exited(); i++) await sleep(50);
    expect(s.exited()).toEqual({ code: 3, signal: null });
    expect(s.output()).toContain('bye');
  });

  it('a service whose program is missing says so', async () => {
    const s = startService({ file: 'definitely-not-a-command-xyz', args: [] });
    for (let i = 0; i < 100 && !s.exited(); i++) await sleep(50);
    expect(s.exited()?.signal).toMatch(/definitely-not-a-command-xyz was not found on PATH/);
  });
});
