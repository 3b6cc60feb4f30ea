/** What the benchmark found: figures, goals, the printed table, the README table and the eight closing lines. */
import type { DeploymentReport, StepRecord } from '../../src/shared/report.js';
import type { LintFigures } from './lint.js';
import type { Machine } from './machine.js';
import type { RecoveryMethod, RecoveryRow, StrategyRow } from './recovery.js';

export interface RollbackRun {
  method: 'dump' | 'snapshot';
  layout: string;
  /** From the failed verification to the previous release healthy and verified again. */
  failureToVerifiedMs: number;
  workflowMs: number;
  restoredFrom?: string;
  steps: { name: string; ms: number; result?: string }[];
}

export interface HappyRun {
  method: 'dump' | 'snapshot';
  layout: string;
  /** The round whose workflow/bare ratio is the median (each round runs its pair back to back). */
  workflowMs: number;
  bareMs: number;
  overhead: number;
  /** Each round; `activityMs`: its activities' time, scheduled to completed, within the workflow's span `workflowSpanMs`. */
  rounds: {
    workflowMs: number;
    bareMs: number;
    activityMs: number;
    workflowSpanMs: number;
    steps: { name: string; ms: number }[];
    bareSteps: { name: string; ms: number }[];
  }[];
  steps: { name: string; ms: number }[];
  bareSteps: { name: string; ms: number }[];
  /** How long the app could not reach its database while the snapshot was taken. */
  snapshotClosedMs?: number;
  /** Writes paused in the median round: stop-writes starts → resume-writes ends. */
  pausedMs: number;
  /** The steps that ran inside that pause, with how much of it each took. */
  pauseSteps: { name: string; ms: number }[];
}

/** One happy deployment at one database size: what the pause and the whole deployment cost. */
export interface ScalingRun {
  sizeMb: number;
  databaseBytes: number;
  method: 'dump' | 'snapshot';
  pausedMs: number;
  deploymentMs: number;
  pauseSteps: { name: string; ms: number }[];
}

/** A happy deployment under writes policy `detect` (writes never paused): what its readings of others' writes cost. */
export interface DetectRun {
  workflowMs: number;
  /** Time its write readings slept for PostgreSQL's statistics (goal: 0). */
  statisticsWaitMs: number;
  /** How many readings of others' writes it made. */
  readings: number;
  steps: { name: string; ms: number }[];
}

export interface BenchResults {
  startedAt: string;
  durationMs: number;
  options: { sizeMb: number; sizes: number[]; scaling?: number[]; skipWorkflow: boolean };
  machine: Machine;
  postgres: { version: string; settings: Record<string, string> };
  recovery: RecoveryRow[];
  strategies: StrategyRow[];
  workflow?: {
    sizeMb: number;
    databaseBytes: number;
    happy: HappyRun;
    rollbacks: RollbackRun[];
    workerPeakRssBytes: number;
    detect?: DetectRun;
    scaling?: ScalingRun[];
  };
  lint: LintFigures;
  summary: Summary;
}

export interface Summary {
  bestRecovery: { method: RecoveryMethod; ms: number };
  runbookRecoveryMs: number;
  speedUp: number;
  fullRollback?: { method: string; layout: string; ms: number };
  overhead?: number;
  lintPerSecond: number;
  workerPeakRssMb?: number;
  detectWaitMs?: number;
  /** The happy deployment's write pause and wall time at --size-mb (snapshot method). */
  pausedMs?: number;
  deploymentMs?: number;
  goals: { goal: string; target: string; measured: string; met: boolean }[];
}

const end = (s: StepRecord) => Date.parse(s.startedAt) + (s.durationMs ?? 0);

/**
 * How long writes were paused (the report's `writes.stoppedAt`, when stop-writes starts pausing —
 * its CHECKPOINT before runs with writes flowing — → the last resume-writes ends) and which steps
 * ran inside that window, each clipped to it (steps beside each other both count).
 */
export function writePause(report: DeploymentReport): { ms: number; steps: { name: string; ms: number }[] } {
  const deploy = report.steps.filter((s) => s.phase === 'deploy');
  const stop = deploy.find((s) => s.name === 'stop-writes');
  const resumed = deploy.filter((s) => s.name === 'resume-writes').at(-1);
  if (!stop || !resumed) return { ms: 0, steps: [] };
  const pausing = report.writes?.stoppedAt ? Date.parse(report.writes.stoppedAt) : Number.NaN;
  const from = Math.max(Date.parse(stop.startedAt), Number.isNaN(pausing) ? 0 : pausing);
  const to = end(resumed);
  const steps = deploy
    .map((s) => ({ name: s.name, ms: Math.min(end(s), to) - Math.max(Date.parse(s.startedAt), from) }))
    .filter((s) => s.ms > 0);
  return { ms: to - from, steps };
}

export function stepTimes(report: DeploymentReport, phase: 'deploy' | 'rollback') {
  return report.steps
    .filter((s) => s.phase === phase)
    .map((s) => ({ name: s.name, ms: s.durationMs ?? 0, result: s.result }));
}

/** Failure (the failed verify ends) → the previous release verified (verify-rollback ends). */
export function rollbackRun(
  report: DeploymentReport,
  method: 'dump' | 'snapshot',
  layout: string,
  wallMs: number,
): RollbackRun {
  if (report.outcome !== 'rolled-back')
    throw new Error(`expected a rollback, got ${report.outcome}: ${report.error?.message}`);
  const failed = report.steps.find((s) => s.phase === 'deploy' && s.name === 'verify' && s.status === 'failed');
  const verified = report.steps.find((s) => s.name === 'verify-rollback' && s.status === 'ok');
  if (!failed || !verified) throw new Error('the report lacks the failed verify or the verified rollback');
  if (report.rollback?.restoredFrom !== method)
    throw new Error(`the rollback restored from ${report.rollback?.restoredFrom}, expected the ${method}`);
  // The steps inside the window: what the rollback spent its time on (resuming writes comes after).
  const steps = stepTimes(report, 'rollback').filter(
    (_, i, all) => i <= all.findIndex((s) => s.name === 'verify-rollback'),
  );
  return {
    method,
    layout,
    failureToVerifiedMs: end(verified) - end(failed),
    workflowMs: wallMs,
    restoredFrom: report.rollback.restoredFrom,
    steps,
  };
}

export function summarise(r: Omit<BenchResults, 'summary'>): Summary {
  const atSize = r.recovery.filter((x) => x.sizeMb === r.options.sizeMb);
  const runbook = atSize.find((x) => x.method === 'runbook')!;
  const best = atSize.filter((x) => x.method !== 'runbook').sort((a, b) => a.recoveryMs - b.recoveryMs)[0]!;
  const speedUp = runbook.recoveryMs / best.recoveryMs;
  const bestRollback = r.workflow?.rollbacks.slice().sort((a, b) => a.failureToVerifiedMs - b.failureToVerifiedMs)[0];
  const rssMb = r.workflow ? Math.round(r.workflow.workerPeakRssBytes / 1048576) : undefined;
  const goals: Summary['goals'] = [
    {
      goal: 'recovery speed-up vs psql restore',
      target: '≥ 10×',
      measured: `${speedUp.toFixed(1)}× (${best.method})`,
      met: speedUp >= 10,
    },
  ];
  if (bestRollback)
    goals.push({
      goal: `full rollback at ${r.options.sizeMb} MB`,
      target: '≤ 3 s',
      measured: `${(bestRollback.failureToVerifiedMs / 1000).toFixed(1)} s (${bestRollback.method}, ${bestRollback.layout})`,
      met: bestRollback.failureToVerifiedMs <= 3_000,
    });
  const happy = r.workflow?.happy;
  if (happy) {
    goals.push({
      goal: `writes paused at ${r.options.sizeMb} MB (snapshot)`,
      target: '≤ 5 s',
      measured: `${(happy.pausedMs / 1000).toFixed(1)} s`,
      met: happy.pausedMs <= 5_000,
    });
    goals.push({
      goal: `happy deployment at ${r.options.sizeMb} MB`,
      target: '≤ 20 s',
      measured: `${(happy.workflowMs / 1000).toFixed(1)} s`,
      met: happy.workflowMs <= 20_000,
    });
  }
  const scaled = (r.workflow?.scaling ?? []).filter((x) => x.method === 'snapshot').sort((a, b) => a.sizeMb - b.sizeMb);
  if (scaled.length >= 2) {
    const [small, large] = [scaled[0]!, scaled.at(-1)!];
    const perGb = (large.pausedMs - small.pausedMs) / ((large.databaseBytes - small.databaseBytes) / 1024 ** 3);
    goals.push({
      goal: `pause growth, ${small.sizeMb} → ${large.sizeMb} MB (snapshot)`,
      target: '≤ ~1 s per GB',
      measured: `${(perGb / 1000).toFixed(2)} s per GB`,
      met: perGb <= 1_100,
    });
  }
  if (r.workflow)
    goals.push({
      goal: 'orchestration overhead',
      target: '≤ 1.10×',
      measured: `${r.workflow.happy.overhead.toFixed(3)}×`,
      met: r.workflow.happy.overhead <= 1.1,
    });
  goals.push({
    goal: 'migration lint',
    target: '≥ 10,000 statements/s',
    measured: `${r.lint.statementsPerSecond} statements/s`,
    met: r.lint.statementsPerSecond >= 10_000,
  });
  if (rssMb !== undefined)
    goals.push({ goal: 'worker peak RSS', target: '≤ 250 MB', measured: `${rssMb} MB`, met: rssMb <= 250 });
  const detect = r.workflow?.detect;
  if (detect)
    goals.push({
      goal: 'detect waits (sleeping for statistics)',
      target: '0 s',
      measured: `${(detect.statisticsWaitMs / 1000).toFixed(1)} s over ${detect.readings} readings`,
      met: detect.statisticsWaitMs === 0,
    });
  return {
    bestRecovery: { method: best.method, ms: best.recoveryMs },
    runbookRecoveryMs: runbook.recoveryMs,
    speedUp,
    fullRollback: bestRollback && {
      method: bestRollback.method,
      layout: bestRollback.layout,
      ms: bestRollback.failureToVerifiedMs,
    },
    overhead: r.workflow?.happy.overhead,
    lintPerSecond: r.lint.statementsPerSecond,
    workerPeakRssMb: rssMb,
    detectWaitMs: detect?.statisticsWaitMs,
    pausedMs: happy?.pausedMs,
    deploymentMs: happy?.workflowMs,
    goals,
  };
}

const s1 = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const mb = (bytes: number) => `${Math.round(bytes / 1048576)}`;
const METHOD_NAMES: Record<RecoveryMethod, string> = {
  runbook: 'runbook: pg_dump + psql',
  dump: 'dump: pg_dump -Fd -j2 / pg_restore -j2',
  snapshot: 'snapshot: template copy / rename',
};

/** The tables, for the terminal and (as markdown) for the README. */
export function tables(r: BenchResults): string[] {
  const lines: string[] = [];
  lines.push(
    '| database | method | backup (before deploying) | recovery (after a failure) | dump size | database closed |',
    '|---|---|---|---|---|---|',
  );
  for (const x of r.recovery) {
    const closed =
      x.method === 'snapshot'
        ? `${x.backupClosedMs} ms to copy, ${x.recoveryClosedMs} ms to swap`
        : x.method === 'dump'
          ? `${x.recoveryClosedMs} ms to swap`
          : '—';
    lines.push(
      `| ${mb(x.databaseBytes)} MB | ${METHOD_NAMES[x.method]} | ${s1(x.backupMs)} s | **${s1(x.recoveryMs)} s** | ${x.dumpBytes ? `${mb(x.dumpBytes)} MB` : '—'} | ${closed} |`,
    );
  }
  const where = (p?: Record<string, number>) =>
    p
      ? Object.entries(p)
          .filter(([, v]) => v >= 10)
          .map(([k, v]) => `${k} ${s1(v)}`)
          .join(', ')
      : '';
  const largest = Math.max(...r.recovery.map((x) => x.sizeMb));
  lines.push('', `| where the time goes (${largest} MB, seconds) | backup | recovery |`, '|---|---|---|');
  for (const x of r.recovery.filter((y) => y.sizeMb === largest && y.method !== 'runbook'))
    lines.push(`| ${x.method} | ${where(x.backupPhasesMs)} | ${where(x.recoveryPhasesMs)} |`);
  lines.push('', '| database | CREATE DATABASE … STRATEGY | copy | WAL written |', '|---|---|---|---|');
  for (const x of r.strategies)
    lines.push(`| ${x.sizeMb} MB | ${x.strategy} | ${s1(x.copyMs)} s | ${mb(x.walBytes)} MB |`);
  if (r.workflow) {
    const w = r.workflow;
    lines.push(
      '',
      `| through the workflow (${mb(w.databaseBytes)} MB) | method | layout | time | where it goes |`,
      '|---|---|---|---|---|',
    );
    for (const x of w.rollbacks) {
      const top = [...x.steps]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 3)
        .map((s) => `${s.name} ${s1(s.ms)} s`)
        .join(', ');
      lines.push(
        `| full rollback: failed verification → previous release verified | ${x.method} | ${x.layout} | **${s1(x.failureToVerifiedMs)} s** | ${top} |`,
      );
    }
    const h = w.happy;
    const top = [...h.steps]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((s) => `${s.name} ${s1(s.ms)} s`)
      .join(', ');
    lines.push(`| happy deployment v1 → v2, workflow | ${h.method} | ${h.layout} | ${s1(h.workflowMs)} s | ${top} |`);
    const inRun = h.rounds.map((x) => `${s1(x.workflowSpanMs - x.activityMs)} s`).join(', ');
    lines.push(
      `| the same activity calls as a bare script | ${h.method} | ${h.layout} | ${s1(h.bareMs)} s | overhead **${h.overhead.toFixed(2)}×**, the median of ${h.rounds.length} rounds (workflow/bare: ${h.rounds.map((x) => `${s1(x.workflowMs)}/${s1(x.bareMs)} s`).join(', ')}); time outside activities within each workflow run: ${inRun} |`,
    );
    if (w.detect) {
      const d = w.detect;
      const top = [...d.steps]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 3)
        .map((s) => `${s.name} ${s1(s.ms)} s`)
        .join(', ');
      lines.push(
        `| happy deployment v1 → v2, writes policy detect (never paused) | ${h.method} | ${h.layout} | ${s1(d.workflowMs)} s | ${top}; ${d.readings} readings of others' writes slept **${s1(d.statisticsWaitMs)} s** |`,
      );
    }
    lines.push(
      `| writes paused in that deployment: stop-writes → writes resumed | ${h.method} | ${h.layout} | **${s1(h.pausedMs)} s** | ${h.pauseSteps.map((x) => `${x.name} ${s1(x.ms)}`).join(', ')} |`,
    );
    lines.push(`| worker peak RSS (backups, restores, deployments) | | | **${mb(w.workerPeakRssBytes)} MB** | |`);
    if (w.scaling?.length) {
      lines.push(
        '',
        '| database | method | writes paused | happy deployment | the pause, step by step (s; steps beside each other both count) |',
        '|---|---|---|---|---|',
      );
      for (const x of [...w.scaling].sort((a, b) => a.sizeMb - b.sizeMb || a.method.localeCompare(b.method))) {
        lines.push(
          `| ${mb(x.databaseBytes)} MB | ${x.method} | **${s1(x.pausedMs)} s** | ${s1(x.deploymentMs)} s | ${x.pauseSteps.map((y) => `${y.name} ${s1(y.ms)}`).join(', ')} |`,
        );
      }
    }
  }
  lines.push(
    '',
    `Migration lint: ${r.lint.statements} statements in ${r.lint.migrations} migrations, ${r.lint.statementsPerSecond} statements/s (runs: ${r.lint.runsMs.join(', ')} ms); \`safe-deploy lint\` starts in ${(r.lint.startMs / 1000).toFixed(2)} s and lints ${r.lint.tenThousand.migrations} small migrations (${r.lint.tenThousand.statements} statements) in ${(r.lint.tenThousand.ms / 1000).toFixed(2)} s.`,
  );
  return lines;
}

export function goalLines(s: Summary): string[] {
  return [
    '| goal | target | measured | |',
    '|---|---|---|---|',
    ...s.goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'met' : '**missed**'} |`),
  ];
}

export function machineLine(r: BenchResults): string {
  const m = r.machine;
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM, disk ${m.disk}; ${m.kernel}, Node ${m.node}, PostgreSQL ${r.postgres.version} (fsync on); load average ${m.load.start} at the start, ${m.load.end} at the end`;
}

/** The closing lines, exactly as the issues ask (the last three: issue 14). */
export function finalLines(r: BenchResults): string[] {
  const s = r.summary;
  const na = 'n/a (--skip-workflow)';
  return [
    `recovery speed-up vs psql restore: ${s.speedUp.toFixed(1)}x`,
    `full rollback (${r.options.sizeMb} MB): ${s.fullRollback ? `${(s.fullRollback.ms / 1000).toFixed(1)} s` : na}`,
    `orchestration overhead: ${s.overhead !== undefined ? `${s.overhead.toFixed(2)}x` : na}`,
    `lint throughput: ${s.lintPerSecond} statements/s`,
    `worker peak RSS: ${s.workerPeakRssMb !== undefined ? `${s.workerPeakRssMb} MB` : na}`,
    `detect waits: ${s.detectWaitMs !== undefined ? `${(s.detectWaitMs / 1000).toFixed(1)} s` : na}`,
    `writes paused (${r.options.sizeMb} MB): ${s.pausedMs !== undefined ? `${(s.pausedMs / 1000).toFixed(1)} s` : na}`,
    `deployment (${r.options.sizeMb} MB): ${s.deploymentMs !== undefined ? `${(s.deploymentMs / 1000).toFixed(1)} s` : na}`,
  ];
}
