/**
 * `npm run build && node dist/scripts/bench/prismaStart.js [--rounds 10]`: what starting the app's
 * Prisma CLI costs, through npx (the config's default argv as configured) and directly (what the
 * activities now start when the app has its own CLI installed: `node <app>/node_modules/prisma/
 * build/index.js`), on farm-chat v1 in a throwaway PostgreSQL cluster. Each round runs `migrate
 * status` both ways, alternately, through the worker's own runner (src/exec/run.ts, with its
 * reaper); it prints every time, the medians of the wall time and of the CPU time the started
 * processes used, and the load. Up to date: both exit 0 with the same answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prismaCommand } from '../../src/activities/prismaCli.js';
import { run, type Cmd } from '../../src/exec/run.js';
import { appCommand } from '../../src/commands/app.js';
import { buildFarmChatOrigin, checkoutFarmChat, installFarmChat, migrateFarmChat } from '../lib/farmChat.js';
import { startPgCluster } from '../lib/pgCluster.js';
import { git } from '../lib/sampleApp.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);
const STATUS = ['npx', '--no-install', 'prisma', 'migrate', 'status'];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * CPU time (user + system, ms) of this process's waited-for children and their descendants
 * (/proc/self/stat cutime + cstime, in clock ticks of 10 ms): less moved by a busy machine than
 * the wall time. Every command here is waited for by its parent (reaper, npm, sh).
 */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of proc(5), after pid and comm
}

async function timed(cmd: Cmd): Promise<{ ms: number; cpuMs: number; answer: string }> {
  const cpu = childrenCpuMs();
  const started = process.hrtime.bigint();
  const r = await run(cmd);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, cpuMs: childrenCpuMs() - cpu, answer: r.stdout.trim().split('\n').at(-1) ?? '' };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'safe-deploy-prisma-start-'));
  const cluster = await startPgCluster();
  try {
    const origin = await buildFarmChatOrigin(join(root, 'origin.git'));
    const appDir = join(root, 'app');
    await git(['clone', '-q', origin.dir, appDir]);
    await checkoutFarmChat(appDir, 'v1');
    await installFarmChat(appDir);
    const url = await cluster.createAppDatabase('farm_chat_start', 'farm_start', 'pw-start-bench');
    await migrateFarmChat(appDir, url);

    const o = {
      cwd: appDir,
      commandEnv: { CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      database: { envName: 'DATABASE_URL', url, password: 'pw-start-bench' },
    };
    const viaNpx = appCommand(STATUS, o);
    const direct = await prismaCommand(STATUS, o);
    if (direct.started !== 'directly')
      throw new Error('farm-chat has no Prisma CLI of its own installed: nothing to compare');
    console.log(`npx:    ${[viaNpx.file, ...viaNpx.args].join(' ')}`);
    console.log(`direct: ${[direct.file, ...direct.args].join(' ')}`);
    await timed(viaNpx); // warm the file cache for both before measuring
    await timed(direct);
    const times = { npx: [] as number[], direct: [] as number[], npxCpu: [] as number[], directCpu: [] as number[] };
    for (let i = 1; i <= rounds; i++) {
      // Alternate which goes first, so neither always runs on the other's warm caches.
      const npxFirst = i % 2 === 1;
      const one = await timed(npxFirst ? viaNpx : direct);
      const other = await timed(npxFirst ? direct : viaNpx);
      const [a, b] = npxFirst ? [one, other] : [other, one];
      if (a.answer !== b.answer) throw new Error(`different answers: npx "${a.answer}", direct "${b.answer}"`);
      times.npx.push(a.ms);
      times.direct.push(b.ms);
      times.npxCpu.push(a.cpuMs);
      times.directCpu.push(b.cpuMs);
      console.log(
        `round ${String(i).padStart(2)}: npx ${a.ms.toFixed(0).padStart(5)} ms (CPU ${a.cpuMs} ms), direct ${b.ms.toFixed(0).padStart(5)} ms (CPU ${b.cpuMs} ms) (${a.answer})`,
      );
    }
    const line = (what: string, n: number, d: number) =>
      `${what}: npx ${n.toFixed(0)} ms, direct ${d.toFixed(0)} ms: ${(n - d).toFixed(0)} ms (${((1 - d / n) * 100).toFixed(0)} %) less per Prisma start`;
    console.log(line(`median of ${rounds}, wall`, median(times.npx), median(times.direct)));
    console.log(
      line(`median of ${rounds}, CPU of the started processes`, median(times.npxCpu), median(times.directCpu)),
    );
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} cores`,
    );
  } finally {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
