import type { DeployRequest } from '../config/schema.js';
import { migrationGate } from '../plan/migrationGate.js';
import { requiredEnvNames } from '../plan/preflight.js';
import { riskGate } from '../plan/riskGate.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { call, changing, quick } from './activities.js';
import { eachHost, onHost, sameTarget, type Host } from './hosts.js';
import { checkMigrationFixes } from './migrationFixes.js';
import type { RunState } from './runState.js';
import { formatBytes } from '../shared/humanize.js';

const stop = (what: string, remedy: string) =>
  deployFailure(FailureType.MigrationStateBad, { step: 'inspect-migrations', what, remedy, retryable: false });

/**
 * The runbook's pre-checks, none of which changes anything: on every host its tools, the release
 * and the env vars it needs; on the first host the database, the disk, Prisma's own hazards, the
 * migration history, schema drift and the lint of every pending migration. Ends with what must
 * stop the deployment and what a person must approve.
 */
export async function runPreChecks(run: RunState, o: { deploymentId: string; request: DeployRequest; hosts: Host[] }) {
  const { deploymentId, request, hosts } = o;
  const first = hosts[0]!;
  const t = first.target;
  const what = `${t.app} ${t.environment}`;
  let pgDumpMajor = 0;
  await eachHost(hosts, 'one-at-a-time', async (h) => {
    const on = onHost(hosts, h);
    const tools = await run.step(
      'check-tools',
      `Check git, npm, pg_dump and pg_restore${on}`,
      () => call(h, quick.checkTools, `Check git, npm, pg_dump and pg_restore${on}`, { target: h.target }),
      (r) => r.versions.pg_dump ?? '',
    );
    if (h === first) pgDumpMajor = tools.pgDumpMajor;
  });
  const db = await run.step(
    'check-database',
    `Check the ${what} database`,
    () => call(first, quick.checkDatabase, `Check the ${what} database`, { target: t, pgDumpMajor }),
    (r) => `PostgreSQL ${r.serverVersion}, ${formatBytes(r.sizeBytes)}, ${r.tables} tables`,
  );
  await eachHost(hosts, 'one-at-a-time', async (h) => {
    const on = onHost(hosts, h);
    h.release = await run.step(
      'resolve-release',
      `Resolve ${request.ref}${on}`,
      () => call(h, quick.resolveRelease, `Resolve ${request.ref}${on}`, { target: h.target, ref: request.ref }),
      (r) => `${r.current.name} → ${r.target.name}`,
    );
    await run.step(
      'check-environment',
      `Check the env vars ${h.release.target.name} needs${on}`,
      () =>
        call(h, quick.checkEnvironment, `Check the env vars ${h.release!.target.name} needs${on}`, {
          target: h.target,
          names: requiredEnvNames(h.target, h.release!.target.manifest),
        }),
      (r) => `${r.present.length} present`,
    );
  });
  sameTarget(hosts);
  const release = first.release!;
  run.report.release = {
    from: { commit: release.current.commit, name: release.current.name },
    to: { commit: release.target.commit, name: release.target.name },
  };
  await run.step(
    'check-disk',
    'Check room for the backup',
    () => call(first, quick.checkDisk, 'Check room for the backup', { target: t, databaseBytes: db.sizeBytes }),
    (r) => `${formatBytes(r.freeBytes)} free`,
  );

  const targetCommit = release.target.commit;
  await run.step(
    'check-prisma',
    "Check Prisma's hazards: CLI version, migration lock, pooler",
    () => call(first, quick.checkPrismaHazards, "Check Prisma's hazards", { deploymentId, target: t, targetCommit }),
    (r) => `Prisma ${r.prisma.version}, no lock held, direct connection`,
  );
  const history = await run.step(
    'inspect-migrations',
    'Read the migration history (_prisma_migrations and the release)',
    () =>
      call(first, quick.inspectMigrationHistory, 'Read the migration history', {
        deploymentId,
        target: t,
        targetCommit,
      }),
    (r) => `${r.status}; to apply: ${r.pendingForTarget.join(', ') || 'none'}`,
  );
  run.report.migrations = { statusBefore: history.status, pending: history.pendingForTarget, applied: [] };
  const drift = await run.step(
    'check-drift',
    'Replay the applied migrations on a scratch database and compare schemas',
    () =>
      call(first, changing.detectSchemaDrift, 'Compare the schema with its migrations', {
        deploymentId,
        target: t,
        currentCommit: release.current.commit,
      }),
    (r) =>
      r.drift
        ? `drift: ${r.differences.length} differences`
        : `no drift${r.warnings.length ? ` (${r.warnings.length} warnings)` : ''}`,
  );
  const lint = await run.step(
    'lint-migrations',
    'Lint the pending migrations',
    () =>
      call(first, quick.lintPendingMigrations, 'Lint the pending migrations', {
        migrations: history.pendingSql.filter((m) => history.pendingForTarget.includes(m.name)),
        target: t, // the live database's catalog: table sizes, function volatility (an input only: no new command)
      }),
    (r) => r.migrations.map((m) => `${m.name}: ${m.severity}`).join(', ') || 'nothing to lint',
  );
  run.report.lint = lint.migrations.map((m) => ({
    name: m.name,
    severity: m.severity,
    findings: m.findings.map(({ rule, severity, line, statement, message, removesRowsOf }) => ({
      rule,
      severity,
      line,
      statement,
      message,
      ...(removesRowsOf ? { removesRowsOf } : {}),
    })),
  }));

  const gate = await checkMigrationFixes(
    run,
    { deploymentId, first, history, drift, targetCommit },
    riskGate(migrationGate({ ...history, drift }), lint),
  );
  if (gate.blockers.length > 0)
    throw stop(gate.blockers.map((b) => b.what).join('; '), gate.blockers.map((b) => b.remedy).join('; '));
  return { release, history, gate };
}
