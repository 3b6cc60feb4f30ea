import type { TargetConfig } from '../config/schema.js';
import type { RollbackStep } from '../shared/steps.js';

export interface ManualContext {
  target: Pick<TargetConfig, 'appDir' | 'commands' | 'database' | 'app' | 'environment'> & {
    writes?: Pick<TargetConfig['writes'], 'policy' | 'resume' | 'stop' | 'stopAt' | 'role'>;
  };
  previousCommit?: string;
  backupPath?: string;
  /** The sealed snapshot (method `snapshot`), when one was taken: restoring is renaming it in. */
  snapshotDatabase?: string;
  /** The database the rollback kept aside (the failed deployment's), when it got that far. */
  keptAs?: string;
}

/** Arguments quoted for a POSIX shell, so a person can paste the line. */
const shellLine = (a: readonly string[]) =>
  a.map((x) => (/^[\w@%+=:,./-]+$/.test(x) ? x : `'${x.replaceAll("'", "'\\''")}'`)).join(' ');

/** The commands a person runs to finish a rollback that stopped at `remaining[0]`. */
export function manualSteps(remaining: RollbackStep[], ctx: ManualContext): string[] {
  const t = ctx.target;
  // writes.stopAt 'database': the role's setting in the app's database (names from $urlEnv unless writes.role).
  const atDatabase = t.writes?.stopAt === 'database';
  const role = t.writes?.role ? `"${t.writes.role.replaceAll('"', '""')}"` : `<the user of $${t.database.urlEnv}>`;
  const inDatabase = `ALTER ROLE ${role} IN DATABASE <the database of $${t.database.urlEnv}>`;
  const endSessions =
    `end the role's sessions so that its pools reconnect (SELECT pg_terminate_backend(pid) FROM ` +
    `pg_stat_activity WHERE usename = <role> AND datname = <database>)`;
  const steps: Record<RollbackStep, string | undefined> = {
    'stop-writes-again': atDatabase
      ? `pause the app's writes: in psql, ${inDatabase} SET default_transaction_read_only = 'oN'; then ${endSessions}`
      : t.writes?.stop
        ? `pause the app's writes: ${shellLine(t.writes.stop)}`
        : undefined,
    'check-lost-writes': undefined,
    'approve-lost-writes': undefined,
    'restore-database': ctx.snapshotDatabase
      ? `put the snapshot back: in psql on the maintenance database, ALTER DATABASE <current> WITH ` +
        `ALLOW_CONNECTIONS false; end its sessions (pg_terminate_backend); ALTER DATABASE <current> RENAME TO ` +
        `<aside>; ALTER DATABASE ${ctx.snapshotDatabase} RENAME TO <current>; ALTER DATABASE <current> WITH ` +
        `ALLOW_CONNECTIONS true (URL in ` +
        `$${t.database.urlEnv})${ctx.backupPath ? `; or restore the dump ${ctx.backupPath}` : ''}`
      : `restore the database from ${ctx.backupPath ?? 'the backup'}: createdb <fresh>; pg_restore --no-owner ` +
        `--exit-on-error --dbname=<fresh> ${ctx.backupPath ?? '<dump>'}; then rename the current database ` +
        `aside and <fresh> to its name (URL in $${t.database.urlEnv})`,
    'reactivate-release':
      `put the code back: git -C ${t.appDir} checkout --detach ` + (ctx.previousCommit ?? '<previous commit>'),
    'reinstall-dependencies':
      `reinstall dependencies: cd ${t.appDir} && ` +
      `${shellLine(t.commands.install)}${t.commands.build.map((b) => ` && ${shellLine(b)}`).join('')}`,
    'restart-previous': `restart the app: ${shellLine(t.commands.restart)}`,
    'verify-rollback': `check the app by hand (health, login, chat, integrations) and prisma migrate status`,
    'resume-writes-after-rollback': atDatabase
      ? `when the app is right again, resume its writes: in psql, ${inDatabase} RESET ` +
        `default_transaction_read_only (SET … = off instead if the setting reads 'tRuE' or 'fAlSe': it was ` +
        `off before the deployment); then ${endSessions}`
      : t.writes?.resume
        ? `when the app is right again, resume its writes: ${shellLine(t.writes.resume)}`
        : undefined,
  };
  const lines = remaining.map((s) => steps[s]).filter((s): s is string => s !== undefined);
  if (ctx.keptAs && lines.length > 0)
    lines.push(`the failed deployment's database is kept as ${ctx.keptAs}: inspect it, then drop it`);
  return lines;
}
