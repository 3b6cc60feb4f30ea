// @ts-check
'use strict';
/**
 * The reaper: every command safe-deploy runs is started through this tiny process, so that the
 * command dies with the worker that started it, even when the worker is SIGKILLed (an orphaned
 * `prisma migrate deploy` keeps Prisma's advisory lock and the retry fails with P1002).
 *
 * run.ts starts it with `process.execPath`, detached: it leads a new process group, and the
 * command it spawns (and everything that command spawns) joins that group.
 *
 *  - fd 0 (stdin), from the worker: one JSON line `{ file, args, cwd, env, graceMs }`, then
 *    nothing. End of file means the worker is gone: SIGTERM to the whole group, SIGKILL after
 *    `graceMs` (or as soon as the command has exited).
 *  - fd 1 and 2: inherited by the command, so its output goes straight to the worker.
 *  - fd 3, to the worker: one JSON line saying how the command ended, `{ "exit": { code, signal } }`,
 *    or that it could not be started, `{ "spawnError": "ENOENT", "message": … }`.
 *  - a SIGTERM to the group (the worker's timeout or cancel) reaches the command directly; the
 *    reaper waits for the command, then SIGKILLs what is left of the group.
 *
 * Nothing but node:child_process and node:fs (both already loaded by Node at start-up), so it
 * starts as fast as Node can. It reads no environment: the command's env arrives on stdin, and
 * the reaper itself runs with an empty one (an app's NODE_OPTIONS never reaches it).
 */
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');

/** @type {import('node:child_process').ChildProcess | undefined} */
let child;
let input = '';
let started = false;
/** The worker asked the group to stop (SIGTERM), or is gone: nothing of the group may outlive the command. */
let ending = false;
let orphaned = false;
let graceMs = 3000;

/** The whole group, this process included; the command alone if this process leads no group (started by hand). */
const signalGroup = (/** @type {NodeJS.Signals} */ signal) => {
  try {
    process.kill(-process.pid, signal);
  } catch {
    try {
      child?.kill(signal);
    } catch {
      /* gone */
    }
  }
  if (signal === 'SIGKILL') process.exit(137);
};
const report = (/** @type {object} */ message) => {
  try {
    writeSync(3, JSON.stringify(message) + '\n');
  } catch {
    /* the worker is gone */
  }
};

// The group's SIGTERM is meant for the command, which gets it too: wait for it to end.
process.on('SIGTERM', () => {
  ending = true;
});

function start(
  /** @type {{ file: string; args: string[]; cwd?: string; env: Record<string, string>; graceMs?: number }} */ request,
) {
  started = true;
  if (request.graceMs !== undefined) graceMs = request.graceMs;
  const command = spawn(request.file, request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ['ignore', 'inherit', 'inherit'],
    shell: false,
  });
  child = command;
  command.on('error', (/** @type {NodeJS.ErrnoException} */ e) => {
    report({ spawnError: e.code ?? 'UNKNOWN', message: e.message });
    process.exit(127);
  });
  command.on('exit', (code, signal) => {
    report({ exit: { code, signal } });
    if (ending || orphaned) return signalGroup('SIGKILL'); // what the command left behind; this process too
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(1), 1000); // a signal Node ignores (SIGPIPE): the report says which
      return;
    }
    process.exit(code ?? 1);
  });
}

function orphan() {
  orphaned = true;
  if (!child || child.exitCode !== null || child.signalCode !== null) return signalGroup('SIGKILL');
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), graceMs);
}

process.stdin.on('data', (chunk) => {
  if (started) return;
  input += chunk.toString('utf8');
  const newline = input.indexOf('\n');
  if (newline >= 0) start(JSON.parse(input.slice(0, newline)));
});
process.stdin.on('end', () => {
  if (!started) process.exit(126); // the worker went away before saying what to run
  if (!orphaned) orphan();
});
process.stdin.on('error', () => {
  if (started && !orphaned) orphan();
});
