#!/usr/bin/env node
// A tiny stand-in for systemd on the sample production host (it is host tooling, not part of the
// app repo): node appctl.mjs <start|stop|restart|status> --app-dir D --run-dir D --environment-file F
// `start` returns as soon as the process is spawned; whoever calls it checks /health.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const STOP_TIMEOUT_MS = 10_000;
const ACTIONS = ['start', 'stop', 'restart', 'status', 'maintenance-on', 'maintenance-off'];
const USAGE = `usage: appctl.mjs <${ACTIONS.join('|')}> --app-dir <dir> --run-dir <dir> --environment-file <file>`;

function fail(message, code = 2) {
  console.error(`appctl: ${message}`);
  process.exit(code);
}

/** KEY=VALUE lines; blank and # lines ignored; one pair of surrounding quotes stripped. */
function readEnvFile(file) {
  const env = {};
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read env file: ${err.message}`, 1);
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) fail(`${file}: not a KEY=VALUE line: ${line.slice(0, 40)}`);
    let value = line.slice(eq + 1);
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    env[line.slice(0, eq).trim()] = value;
  }
  return env;
}

/**
 * Is `pid` our app? kill(pid, 0) alone is not enough: an exited child nobody reaped is a zombie
 * that still accepts signals, and a recycled pid may belong to something else. /proc tells both
 * on Linux; elsewhere fall back to kill(pid, 0).
 */
function isAppRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  const proc = `/proc/${pid}`;
  if (!existsSync(proc)) return true;
  try {
    const stat = readFileSync(`${proc}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`${proc}/cmdline`, 'utf8').split('\0').includes('src/server.js');
  } catch {
    return false; // exited while we looked
  }
}

function readPid(pidFile) {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Signals the app's process group (it leads one: spawned detached), falling back to the pid. */
function signal(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  }
}

async function stop({ pidFile, log }) {
  const pid = readPid(pidFile);
  if (pid === null || !isAppRunning(pid)) {
    rmSync(pidFile, { force: true });
    console.log('stopped (was not running)');
    return;
  }
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAppRunning(pid) && Date.now() < deadline) await sleep(100);
  if (isAppRunning(pid)) {
    log(`pid ${pid} still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; sending SIGKILL`);
    signal(pid, 'SIGKILL');
    while (isAppRunning(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
  log(`stopped pid ${pid}`);
  console.log(`stopped (pid ${pid})`);
}

async function start({ appDir, runDir, envFile, pidFile, logFile, maintenanceFile, log }) {
  const running = readPid(pidFile);
  if (running !== null && isAppRunning(running)) {
    console.log(`already running (pid ${running})`);
    return;
  }
  // Only PATH and HOME from our own environment, the rest from the env file: like a unit file,
  // the app sees exactly what production configured, not the deployer's variables.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', ...readEnvFile(envFile), FARM_CHAT_MAINTENANCE_FILE: maintenanceFile };
  mkdirSync(runDir, { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['src/server.js'], { cwd: appDir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  await new Promise((resolveSpawn, reject) => {
    child.once('spawn', resolveSpawn);
    child.once('error', reject);
  }).catch((err) => fail(`cannot start node src/server.js in ${appDir}: ${err.message}`, 1));
  writeFileSync(pidFile, `${child.pid}\n`);
  child.unref();
  log(`started pid ${child.pid}`);
  console.log(`started (pid ${child.pid})`);
}

/** The flag survives restarts: a deployment keeps writes paused across the restart it does. */
function maintenance({ maintenanceFile, log }, on) {
  if (on) writeFileSync(maintenanceFile, `${new Date().toISOString()}\n`);
  else rmSync(maintenanceFile, { force: true });
  log(`maintenance ${on ? 'on: writes paused' : 'off: writes resumed'}`);
  console.log(`maintenance ${on ? 'on' : 'off'}`);
}

function status({ pidFile }) {
  const pid = readPid(pidFile);
  if (pid !== null && isAppRunning(pid)) {
    console.log(`running (pid ${pid})`);
    process.exit(0);
  }
  console.log('stopped');
  process.exit(3); // LSB: program is not running
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'app-dir': { type: 'string' }, 'run-dir': { type: 'string' }, 'environment-file': { type: 'string' } },
});
const action = positionals[0];
if (positionals.length !== 1 || !ACTIONS.includes(action)) fail(USAGE);
if (!values['app-dir'] || !values['run-dir'] || !values['environment-file']) fail(USAGE);

const runDir = resolve(values['run-dir']);
const ctx = {
  appDir: resolve(values['app-dir']),
  runDir,
  envFile: resolve(values['environment-file']),
  pidFile: join(runDir, 'app.pid'),
  logFile: join(runDir, 'app.log'),
  maintenanceFile: join(runDir, 'maintenance'),
  // appctl's own events go to the app log too, so one file tells the whole story.
  log: (message) => {
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'app.log'), `${new Date().toISOString()} appctl: ${message}\n`, { flag: 'a' });
  },
};

if (action === 'status') status(ctx);
if (action === 'maintenance-on' || action === 'maintenance-off') {
  mkdirSync(runDir, { recursive: true });
  maintenance(ctx, action === 'maintenance-on');
}
if (action === 'stop' || action === 'restart') await stop(ctx);
if (action === 'start' || action === 'restart') await start(ctx);
