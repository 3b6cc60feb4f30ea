import type { TargetConfig } from '../config/schema.js';
import type { RollbackStep } from '../shared/steps.js';

export interface ManualContext {
  target: Pick<TargetConfig, 'appDir' | 'commands' | 'database' | 'app' | 'environment'>;
  previousCommit?: string;
  backupPath?: string;
}

/** The commands a person runs to finish a rollback that stopped at `remaining[0]`. */
export function manualSteps(remaining: RollbackStep[], ctx: ManualContext): string[] {
  const t = ctx.target;
  const argv = (a: readonly string[]) => a.map((x) => (/^[\w@%+=:,./-]+$/.test(x) ? x : `'${x.replaceAll("'", "'\\''")}'`)).join(' ');
  const steps: Record<RollbackStep, string> = {
    'restore-database': `restore the database from ${ctx.backupPath ?? 'the backup'}: createdb <fresh>; pg_restore --no-owner --exit-on-error --dbname=<fresh> ${ctx.backupPath ?? '<dump>'}; then rename the current database aside and <fresh> to its name (URL in $${t.database.urlEnv})`,
    'reactivate-release': `put the code back: git -C ${t.appDir} checkout --detach ${ctx.previousCommit ?? '<previous commit>'}`,
    'reinstall-dependencies': `reinstall dependencies: cd ${t.appDir} && ${argv(t.commands.install)}${t.commands.build.map((b) => ` && ${argv(b)}`).join('')}`,
    'restart-previous': `restart the app: ${argv(t.commands.restart)}`,
    'verify-rollback': `check the app by hand (health, login, chat, integrations) and prisma migrate status`,
  };
  return remaining.map((s) => steps[s]);
}
