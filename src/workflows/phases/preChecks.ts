import { migrationGate } from '../../plan/migrationGate.js';
import { requiredEnvNames } from '../../plan/preflight.js';
import { riskGate } from '../../plan/riskGate.js';
import { deployFailure, FailureType } from '../../shared/errors.js';
import { formatBytes } from '../../shared/humanize.js';
import { changing, quick } from '../activities.js';
import type { Deployment } from '../deployment.js';
import { eachHost, onHost, sameTarget } from '../hosts.js';
import { triageMigrationFixes } from './migrationTriage.js';

const stop = (what: string, remedy: string) =>
  deployFailure(FailureType.MigrationStateBad, { step: 'inspect-migrations', what, remedy, retryable: false });

/**
 * The runbook's pre-checks, none of which changes anything: on every host its tools, the release
 * and the env vars it needs; on the first host the database, the disk, Prisma's own hazards, the
 * migration history, schema drift and the lint of every pending migration. Ends with what must
 * stop the deployment and what a person must approve.
 */
export async function runPreChecks(deployment: Deployment) {
  const { deploymentId, request, hosts, run, step } = deployment;
  const first = hosts[0]!;
  const target = first.target;
  let pgDumpMajor = 0;
  await eachHost(hosts, 'one-at-a-time', async (host) => {
    const on = onHost(hosts, host);
    const summary = `Check git, npm, pg_dump and pg_restore${on}`;
    const tools = await step(
      host,
      'check-tools',
      summary,
      quick.checkTools,
      { target: host.target },
      (found) => found.versions.pg_dump ?? '',
    );
    if (host === first) pgDumpMajor = tools.pgDumpMajor;
  });
  const database = await step(
    first,
    'check-database',
    `Check the ${target.app} ${target.environment} database`,
    quick.checkDatabase,
    { target, pgDumpMajor },
    (db) => `PostgreSQL ${db.serverVersion}, ${formatBytes(db.sizeBytes)}, ${db.tables} tables`,
  );
  await eachHost(hosts, 'one-at-a-time', async (host) => {
    const on = onHost(hosts, host);
    const input = { target: host.target, ref: request.ref };
    host.release = await step(
      host,
      'resolve-release',
      `Resolve ${request.ref}${on}`,
      quick.resolveRelease,
      input,
      (resolved) => `${resolved.current.name} → ${resolved.target.name}`,
    );
    const names = requiredEnvNames(host.target, host.release.target.manifest);
    const summary = `Check the env vars ${host.release.target.name} needs${on}`;
    await step(
      host,
      'check-environment',
      summary,
      quick.checkEnvironment,
      { target: host.target, names },
      (env) => `${env.present.length} present`,
    );
  });
  sameTarget(hosts);
  const release = first.release!;
  run.report.release = {
    from: { commit: release.current.commit, name: release.current.name },
    to: { commit: release.target.commit, name: release.target.name },
  };
  const disk = { target, databaseBytes: database.sizeBytes };
  await step(
    first,
    'check-disk',
    'Check room for the backup',
    quick.checkDisk,
    disk,
    (free) => `${formatBytes(free.freeBytes)} free`,
  );

  const targetCommit = release.target.commit;
  await step(
    first,
    'check-prisma',
    { step: "Check Prisma's hazards: CLI version, migration lock, pooler", activity: "Check Prisma's hazards" },
    quick.checkPrismaHazards,
    { deploymentId, target, targetCommit },
    (hazards) => `Prisma ${hazards.prisma.version}, no lock held, direct connection`,
  );
  const history = await step(
    first,
    'inspect-migrations',
    { step: 'Read the migration history (_prisma_migrations and the release)', activity: 'Read the migration history' },
    quick.inspectMigrationHistory,
    { deploymentId, target, targetCommit },
    (read) => `${read.status}; to apply: ${read.pendingForTarget.join(', ') || 'none'}`,
  );
  run.report.migrations = { statusBefore: history.status, pending: history.pendingForTarget, applied: [] };
  const drift = await step(
    first,
    'check-drift',
    {
      step: 'Replay the applied migrations on a scratch database and compare schemas',
      activity: 'Compare the schema with its migrations',
    },
    changing.detectSchemaDrift,
    { deploymentId, target, currentCommit: release.current.commit },
    (found) =>
      found.drift
        ? `drift: ${found.differences.length} differences`
        : `no drift${found.warnings.length ? ` (${found.warnings.length} warnings)` : ''}`,
  );
  const lint = await step(
    first,
    'lint-migrations',
    'Lint the pending migrations',
    quick.lintPendingMigrations,
    {
      migrations: history.pendingSql.filter((m) => history.pendingForTarget.includes(m.name)),
      target, // the live database's catalog: table sizes, function volatility (an input only: no new command)
    },
    (linted) => linted.migrations.map((m) => `${m.name}: ${m.severity}`).join(', ') || 'nothing to lint',
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

  const risks = riskGate(migrationGate({ ...history, drift }), lint);
  const gate = await triageMigrationFixes(deployment, { history, drift, targetCommit }, risks);
  if (gate.blockers.length > 0)
    throw stop(gate.blockers.map((b) => b.what).join('; '), gate.blockers.map((b) => b.remedy).join('; '));
  return { release, history, gate };
}
