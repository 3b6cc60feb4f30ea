import { describeInventory } from '../plan/migrationFixGate.js';
import { formatBytes } from '../shared/humanize.js';
import type { DeploymentReport, Progress, StepRecord, WaitingFor } from '../shared/report.js';

const secs = (ms?: number) => (ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)} s)`);

/** One line per step event, plain text (for logs, CI and pipes). */
export function stepLine(s: StepRecord): string {
  const arrow = s.phase === 'rollback' ? '↩' : '→';
  if (s.status === 'running') return `${arrow} ${s.name}: ${s.summary} …`;
  if (s.status === 'ok') return `${arrow} ${s.name}: ok${secs(s.durationMs)}${s.result ? ` — ${s.result}` : ''}`;
  // Nothing to do (e.g. no writes to lose): not a failure, and the why is the result.
  if (s.status === 'skipped')
    return `${arrow} ${s.name}: skipped${secs(s.durationMs)}${s.result ? ` — ${s.result}` : ''}`;
  return `${arrow} ${s.name}: FAILED${secs(s.durationMs)} — ${s.error ?? ''}`;
}

/** What a deployment waits for, and the command that answers it. */
export function waitingLines(workflowId: string, w: WaitingFor): string[] {
  const head = `⏸ waiting for ${w.kind} since ${w.since}: ${w.detail}`;
  if (w.kind === 'approval') {
    const plain = w.actionRequired ? [] : [`  approve: safe-deploy approve ${workflowId} --reason "<why>"`];
    const actions = (w.actions ?? []).map(
      (a) => `  approve: safe-deploy approve ${workflowId} --action ${a} --reason "<why>"`,
    );
    return [head, ...plain, ...actions, `  reject:  safe-deploy reject ${workflowId} --reason "<why>"`];
  }
  return [head, `  stop it: safe-deploy cancel ${workflowId}`];
}

/** Something that shows progress as it is polled: plain lines (ProgressPrinter) or a live TTY line (LiveProgress). */
export interface ProgressView {
  update(p: Progress): void;
  /** Stops any animation; the view prints nothing more. */
  close(): void;
  /** Takes what `p` shows as already printed (following from the middle). */
  prime?(p: Progress): void;
}

/** Prints a waiting state once per wait (a new `since` is a new wait). */
export class WaitingNotice {
  private last?: string;
  constructor(
    private readonly workflowId: string,
    private readonly out: (line: string) => void,
  ) {}
  update(w: WaitingFor | undefined): void {
    const key = w && `${w.kind}@${w.since}`;
    if (key && key !== this.last) waitingLines(this.workflowId, w).forEach((l) => this.out(l));
    this.last = key;
  }
}

const isFinished = (p: Progress) => p.status !== 'running' && p.status !== 'rolling-back';

/** Remembers what was printed so that polling progress prints each transition once (logs, CI, pipes). */
export class ProgressPrinter implements ProgressView {
  private seen = new Map<number, StepRecord['status']>();
  private readonly waiting: WaitingNotice;
  constructor(
    private readonly out: (line: string) => void,
    workflowId = '<workflowId>',
    /** A line under each step that begins ("step 7 of ~24 · …"); none when absent. */
    private readonly pace?: (p: Progress) => string,
  ) {
    this.waiting = new WaitingNotice(workflowId, out);
  }
  update(p: Progress): void {
    let began = false;
    p.steps.forEach((s, i) => {
      const before = this.seen.get(i);
      if (before === s.status) return;
      if (before === undefined && s.status !== 'running') this.out(stepLine({ ...s, status: 'running' }));
      this.out(stepLine(s));
      if (before === undefined && s.status === 'running') began = true;
      this.seen.set(i, s.status);
    });
    if (began && this.pace && !isFinished(p)) this.out(`  ${this.pace(p)}`);
    this.waiting.update(p.waitingFor);
  }
  /** Counts what `p` shows as already printed: following from the middle (a rollback) prints only what comes next. */
  prime(p: Progress): void {
    p.steps.forEach((s, i) => this.seen.set(i, s.status));
  }
  close(): void {}
}

/** Runbook Option B: what production held (for a DBA), and the reset when one was approved. */
function driftLines(d: NonNullable<DeploymentReport['drift']>): string[] {
  const reset = d.reset
    ? `reset approved by ${d.reset.by}: ${d.reset.reason}`
    : d.resetOffered
      ? 'a reset was offered'
      : `no reset offered (drift.resetMaxRows ${d.inventory.maxRows})`;
  return [`  drift data: ${describeInventory(d.inventory)}`, `              ${reset}`];
}

/** A failed migration's triage: each statement's effect, the proposal, the resolution. */
function failedMigrationLines(f: NonNullable<DeploymentReport['failedMigration']>): string[] {
  const resolved = f.resolved ? `; resolved ${f.resolved.action} by ${f.resolved.by} (${f.resolved.via})` : '';
  return [
    `  failed migration: ${f.migration}: ` +
      `${f.proposal ? `proposal ${f.proposal}` : 'no resolution proposed'} (${f.grounds})${resolved}`,
    ...f.statements.map((x) => `    ${x.index}. line ${x.line} ${x.kind}: ${x.effect} (${x.evidence.join('; ')})`),
  ];
}

/** Each pending migration's lint: its risk, then one line per finding (rule, line, why). */
function lintLines(lint: NonNullable<DeploymentReport['lint']>): string[] {
  return [
    `  lint:       ${lint.map((m) => `${m.name} ${m.severity}`).join(', ')}`,
    ...lint.flatMap((m) => m.findings.map((f) => `    ${m.name}:${f.line} ${f.rule} (${f.severity}): ${f.message}`)),
  ];
}

export function renderReport(r: DeploymentReport): string {
  // The header names the id every command takes; the deployment id names its backups.
  const lines = [`deployment ${r.workflowId ?? r.deploymentId}: ${r.app} ${r.environment} → ${r.ref}`];
  if (r.workflowId) lines.push(`  id:         ${r.deploymentId} (names its backups and scratch databases)`);
  if (r.release)
    lines.push(
      `  release:    ${r.release.from.name} (${r.release.from.commit.slice(0, 12)}) → ${r.release.to.name} ` +
        `(${r.release.to.commit.slice(0, 12)})`,
    );
  if (r.backup) {
    if (r.backup.snapshot)
      lines.push(
        `  snapshot:   ${r.backup.snapshot.database} (${formatBytes(r.backup.snapshot.sizeBytes)}; database ` +
          `closed ${r.backup.snapshot.closedMs} ms while copying)`,
      );
    if (r.backup.path)
      lines.push(
        `  backup:     ${r.backup.path}`,
        `              ${r.backup.sizeBytes === undefined ? '?' : formatBytes(r.backup.sizeBytes)} ` +
          `(${r.backup.sizeBytes} bytes), sha256 ${r.backup.sha256}`,
      );
    lines.push(`              ${r.backup.tables.map((t) => `${t.name}=${t.rows}`).join(', ')}`);
  }
  if (r.migrations)
    lines.push(
      `  migrations: status before ${r.migrations.statusBefore}; pending ` +
        `${r.migrations.pending.join(', ') || 'none'}; applied ${r.migrations.applied.join(', ') || 'none'}`,
    );
  if (r.lint?.length) lines.push(...lintLines(r.lint));
  if (r.outcome === 'dry-run') {
    // What a real run would stop and ask, and how it would undo: the dry run's answers in text, not only in --json.
    const asked = r.decisions.filter((d) => d.decision === 'timed-out');
    lines.push(
      asked.length ? '  would ask:' : '  would ask: nothing (no approval needed)',
      ...asked.map((d) => `    ${d.gate}: ${d.asked}`),
    );
  }
  if (r.rollbackPlan) lines.push(`  rollback plan: ${r.rollbackPlan.strategy} — ${r.rollbackPlan.why}`);
  if (r.drift) lines.push(...driftLines(r.drift));
  if (r.failedMigration) lines.push(...failedMigrationLines(r.failedMigration));
  if (r.checks.length)
    lines.push(
      `  checks:     ${r.checks.filter((c) => c.ok).length}/${r.checks.length} passed`,
      ...r.checks.map((c) => `    ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    );
  if (r.approvedDataLoss?.length)
    lines.push(
      `  approved:   rows removed by the release, approved by ` +
        `${[...new Set(r.approvedDataLoss.map((l) => l.approvedBy))].join(', ')}: ` +
        r.approvedDataLoss
          .map((l) => l.table + (l.rowsAtBackup === undefined ? '' : ` (${l.rowsAtBackup} rows at the backup)`))
          .join(', '),
    );
  if (r.rehearsal?.existingDataChanges?.length)
    lines.push(
      `  rehearsal:  the migration changed existing data on the copy: ` +
        `${r.rehearsal.existingDataChanges.map((c) => `${c.table}: ${c.what}`).join('; ')}`,
    );
  if (r.error) lines.push(`  failure:    ${r.error.type} at ${r.error.step ?? '?'}: ${r.error.message}`);
  if (r.rollback) {
    lines.push(
      `  rollback:   ${r.rollback.verified ? 'verified' : 'NOT verified'}${
        r.rollback.databaseRestored
          ? `; database restored from the ${r.rollback.restoredFrom ?? 'backup'} (failed one kept as ` +
            `${r.rollback.failedDatabaseKeptAs})`
          : ''
      }`,
    );
    lines.push(...r.rollback.checks.map((c) => `    ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`));
    if (r.rollback.leftForHumans.length)
      lines.push('  LEFT TO DO BY HAND:', ...r.rollback.leftForHumans.map((s, i) => `    ${i + 1}. ${s}`));
  }
  lines.push(`  took ${(r.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** The last line scripts grep for. */
export const outcomeLine = (workflowId: string, outcome: string) => `deployment ${workflowId} outcome: ${outcome}`;
