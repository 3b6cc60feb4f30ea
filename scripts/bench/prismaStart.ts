/**
 * `npm run build && node dist/scripts/bench/prismaStart.js [--rounds 10]`: what starting the app's
 * Prisma CLI costs, through npx (the config's default argv as configured) and directly (what the
 * activities now start when the app has its own CLI installed: `node <app>/node_modules/prisma/
 * build/index.js`), on farm-chat v1 in a throwaway PostgreSQL cluster. Each round runs `migrate
 * status` both ways, alternately, through the worker's own runner (src/exec/run.ts, with its
 * reaper); it prints every time and the medians. Up to date: both exit 0 with the same answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

async function timed(cmd: Cmd): Promise<{ ms: number; answer: string }> {
  const started = process.hrtime.bigint();
  const r = await run(cmd);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, answer: r.stdout.trim().split('\n').at(-1) ?? '' };
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

    const o = { cwd: appDir, commandEnv: { CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' }, database: { envName: 'DATABASE_URL', url, password: 'pw-start-bench' } };
    const viaNpx = appCommand(STATUS, o);
    const direct = await prismaCommand(STATUS, o);
    if (direct.started !== 'directly') throw new Error('farm-chat has no Prisma CLI of its own installed: nothing to compare');
    console.log(`npx:    ${[viaNpx.file, ...viaNpx.args].join(' ')}`);
    console.log(`direct: ${[direct.file, ...direct.args].join(' ')}`);
    await timed(viaNpx); // warm the file cache for both before measuring
    await timed(direct);
    const times = { npx: [] as number[], direct: [] as number[] };
    for (let i = 1; i <= rounds; i++) {
      const a = await timed(viaNpx);
      const b = await timed(direct);
      if (a.answer !== b.answer) throw new Error(`different answers: npx "${a.answer}", direct "${b.answer}"`);
      times.npx.push(a.ms);
      times.direct.push(b.ms);
      console.log(`round ${String(i).padStart(2)}: npx ${a.ms.toFixed(0).padStart(5)} ms, direct ${b.ms.toFixed(0).padStart(5)} ms (${a.answer})`);
    }
    const [n, d] = [median(times.npx), median(times.direct)];
    console.log(`median of ${rounds}: npx ${n.toFixed(0)} ms, direct ${d.toFixed(0)} ms: ${(n - d).toFixed(0)} ms (${((1 - d / n) * 100).toFixed(0)} %) less per Prisma start`);
  } finally {
    await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
