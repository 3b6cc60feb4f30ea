#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, Option } from 'commander';
import { CliError, DEFAULT_GLOBALS, EXIT, type GlobalOptions } from './cli/exit.js';

/**
 * `safe-deploy`: parses argv and hands each command to src/cli/; the steps themselves run on the worker.
 * Each command's module is imported when that command runs, not before: `lint` starts fast and never
 * loads the Temporal client (nor zod, nor the config schema) it does not use.
 */
const program = new Command('safe-deploy')
  .description('Durable, safe production deployments of Node.js + Prisma + PostgreSQL apps, run as a Temporal workflow')
  .option(
    '--address <host:port>',
    'Temporal frontend (default: TEMPORAL_ADDRESS or temporal.toml, else localhost:7233)',
  )
  .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or temporal.toml, else "default")')
  .option('--profile <name>', 'temporal.toml profile (default: TEMPORAL_PROFILE, else "default")')
  .option('--task-queue <name>', 'task queue of the safe-deploy worker', DEFAULT_GLOBALS.taskQueue)
  .option('--json', 'print JSON instead of text (every command)')
  // package.json beside dist/: in the clone and wherever npm installed the package.
  .version(
    (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  )
  .showHelpAfterError()
  // A usage error is a refusal (exit 2), as for any bad argument; --help still exits 0. Inherited by every command.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.refused))
  .addHelpText(
    'after',
    `
Exit codes: 0 deployed or dry-run (or done), 1 unexpected error, 2 refused (bad arguments, invalid
request, update refused), 3 aborted, 4 rolled back, 5 rollback failed, 6 no such deployment or schedule.

Connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, and temporal.toml
profiles (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), as the Temporal CLI reads them.

Examples:
  safe-deploy start --app farm-chat --env production --ref v2
  safe-deploy list --app farm-chat --outcome rolled-back
  safe-deploy schedule create --app farm-chat --env production --ref v2 --at "sun 03:00" --time-zone Europe/Madrid
  TEMPORAL_PROFILE=cloud safe-deploy status deploy-farm-chat-production-v2-3f9a1c --json`,
  );

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;
const done = (code: number) => {
  process.exitCode = code;
};

program
  .command('start')
  .description('start a deployment and follow it step by step; the exit code tells the outcome')
  .requiredOption('--app <name>', 'app name in the worker config')
  .requiredOption('--env <name>', 'environment, e.g. production')
  .requiredOption('--ref <ref>', 'git tag, branch or commit to deploy')
  .option('--dry-run', 'run the pre-checks only')
  .option('--monitor-minutes <n>', "minutes of monitoring after verification (default: the environment's)")
  .option('--window <spec>', 'wait for a low-traffic window first: "[days] HH:MM-HH:MM [time zone]"')
  .option('--reason <text>', 'why (kept in the workflow history)')
  .option('--requested-by <name>', 'who asks (default: $USER)')
  .option('--workflow-id <id>', 'workflow id (default: deploy-<app>-<env>-<ref>-<random>)')
  .addOption(new Option('--no-follow', 'print the workflow id and return'))
  .addHelpText(
    'after',
    examples(
      'safe-deploy start --app farm-chat --env production --ref v2',
      'safe-deploy start --app farm-chat --env production --ref v2 --dry-run --json',
      'safe-deploy start --app farm-chat --env production --ref v2 --window "sun 03:00-05:00 Europe/Madrid" ' +
        '--monitor-minutes 30',
    ),
  )
  .action(async (o) => done(await (await import('./cli/start.js')).runStart(globals(), o)));

program
  .command('status <workflowId>')
  .description("show a deployment's progress (and what it waits for), or its report once finished")
  .addHelpText(
    'after',
    examples(
      'safe-deploy status deploy-farm-chat-production-v2-3f9a1c',
      'safe-deploy status deploy-farm-chat-production-v2-3f9a1c --json',
    ),
  )
  .action(async (id: string) => done(await (await import('./cli/status.js')).runStatus(globals(), id)));

program
  .command('list')
  .description('list deployments, newest first, by app, environment and outcome')
  .option('--app <name>', 'only this app (search attribute DeployApp)')
  .option('--env <name>', 'only this environment (DeployEnvironment)')
  .option(
    '--outcome <outcome>',
    'only this outcome: deployed, dry-run, aborted, rolled-back, rollback-failed (DeployOutcome)',
  )
  .option('--limit <n>', 'at most this many', '20')
  .addHelpText(
    'after',
    examples(
      'safe-deploy list',
      'safe-deploy list --app farm-chat --env production --limit 5',
      'safe-deploy list --outcome rolled-back --json',
    ),
  )
  .action(async (o) => done(await (await import('./cli/list.js')).runList(globals(), o)));

program
  .command('current')
  .description('what is live on an app+environment: release, commit, since when, by whom, from which deployment')
  .requiredOption('--app <name>', 'app name (search attribute DeployApp)')
  .requiredOption('--env <name>', 'environment (DeployEnvironment)')
  .addHelpText(
    'after',
    examples(
      'safe-deploy current --app farm-chat --env production',
      'safe-deploy current --app farm-chat --env production --json',
    ),
  )
  .action(async (o) => done(await (await import('./cli/current.js')).runCurrent(globals(), o)));

program
  .command('history')
  .description('the deployments of an app+environment, newest first: who, why, from → to, approvals, outcome, duration')
  .requiredOption('--app <name>', 'app name (search attribute DeployApp)')
  .requiredOption('--env <name>', 'environment (DeployEnvironment)')
  .option('--limit <n>', 'at most this many', '20')
  .addHelpText(
    'after',
    examples(
      'safe-deploy history --app farm-chat --env production',
      'safe-deploy history --app farm-chat --env production --limit 5 --json',
    ),
  )
  .action(async (o) => done(await (await import('./cli/history.js')).runHistory(globals(), o)));

program
  .command('freeze')
  .description(
    'refuse every deployment and scheduled run of an app+environment until unfreeze (dry runs still run); ' +
      'kept in Temporal',
  )
  .requiredOption('--app <name>', 'app name in the worker config')
  .requiredOption('--env <name>', 'environment, e.g. production')
  .requiredOption('--reason <text>', 'why (shown to every deployment it refuses)')
  .option('--by <name>', 'who freezes (default: $USER)')
  .addHelpText(
    'after',
    examples('safe-deploy freeze --app farm-chat --env production --reason "quarter close until Monday"'),
  )
  .action(async (o) => done(await (await import('./cli/freeze.js')).runFreeze(globals(), o)));

program
  .command('unfreeze')
  .description('end the freeze of an app+environment (who and why are kept in its history)')
  .requiredOption('--app <name>', 'app name in the worker config')
  .requiredOption('--env <name>', 'environment, e.g. production')
  .option('--reason <text>', "why (kept in the freeze's history)")
  .option('--by <name>', 'who unfreezes (default: $USER)')
  .addHelpText('after', examples('safe-deploy unfreeze --app farm-chat --env production --reason "quarter closed"'))
  .action(async (o) => done(await (await import('./cli/freeze.js')).runUnfreeze(globals(), o)));

for (const [name, what] of [
  ['approve', 'let a deployment that waits for approval go on'],
  ['reject', 'stop a deployment that waits for approval'],
] as const) {
  const command = program
    .command(`${name} <workflowId>`)
    .description(`${what} (refused, exit 2, unless it is waiting)`)
    .requiredOption('--reason <text>', 'why (kept in the workflow history)')
    .option('--by <name>', 'who decides (default: $USER)');
  // Only approve chooses among the actions a gate offers (status and the waiting notice list them).
  if (name === 'approve')
    command.option(
      '--action <action>',
      'an action the gate offers: reset (drifted database, runbook Option B), resolve-rolled-back or ' +
        'resolve-applied (failed migration)',
    );
  command
    .addHelpText(
      'after',
      examples(
        ...(name === 'approve'
          ? [
              'safe-deploy approve deploy-farm-chat-production-v2-3f9a1c --reason "drop of legacy_sessions reviewed"',
              'safe-deploy approve deploy-farm-chat-production-v2-3f9a1c --action resolve-rolled-back ' +
                '--reason "none of its statements took effect"',
            ]
          : ['safe-deploy reject deploy-farm-chat-production-v2-3f9a1c --reason "wait for the data fix"']),
      ),
    )
    .action(async (id: string, o) => {
      const { runApprove, runReject } = await import('./cli/approve.js');
      done(await (name === 'approve' ? runApprove : runReject)(globals(), id, o));
    });
}

program
  .command('rollback <workflowId>')
  .description('roll a running deployment back now; returns when the rollback ended, exit code by its outcome')
  .requiredOption('--reason <text>', 'why (kept in the workflow history)')
  .option('--by <name>', 'who decides (default: $USER)')
  .addHelpText(
    'after',
    examples('safe-deploy rollback deploy-farm-chat-production-v2-3f9a1c --reason "login errors since the deploy"'),
  )
  .action(async (id: string, o) => done(await (await import('./cli/rollback.js')).runRollback(globals(), id, o)));

program
  .command('cancel <workflowId>')
  .description('cancel a deployment: it rolls back what it changed')
  .option('--wait', 'follow the rollback and exit with the outcome code')
  .option('--by <name>', 'who cancels (default: $USER); the report says "cancelled by <name>"')
  .option('--reason <text>', 'why (kept in the workflow history)')
  .addHelpText(
    'after',
    examples(
      'safe-deploy cancel deploy-farm-chat-production-v2-3f9a1c --reason "wrong ref"',
      'safe-deploy cancel deploy-farm-chat-production-v2-3f9a1c --wait',
    ),
  )
  .action(async (id: string, o) => done(await (await import('./cli/cancel.js')).runCancel(globals(), id, o)));

const schedule = program
  .command('schedule')
  .description('deploy in a low-traffic window with a Temporal Schedule (overlap policy SKIP)')
  .addHelpText(
    'after',
    examples(
      'safe-deploy schedule create --app farm-chat --env production --ref v2 --at "sun 03:00" --time-zone ' +
        'Europe/Madrid --once',
      'safe-deploy schedule list',
      'safe-deploy schedule pause deploy-farm-chat-production --note "release freeze"',
    ),
  );

schedule
  .command('create')
  .description(
    'create a schedule whose action starts safeDeployment (default id deploy-<app>-<env>), once the worker ' +
      'confirms it has the app and environment',
  )
  .requiredOption('--app <name>', 'app name in the worker config')
  .requiredOption('--env <name>', 'environment, e.g. production')
  .requiredOption('--ref <ref>', 'git tag, branch or commit to deploy')
  .requiredOption(
    '--at <calendar>',
    'when: "[days] HH:MM [time zone]", e.g. "sun 03:00", "mon,thu 02:30", "mon-fri 22:00", "daily 04:00"',
  )
  .option('--time-zone <zone>', 'IANA time zone of --at (default: UTC)')
  .option('--note <text>', 'a note shown by list and describe (also the deployment reason)')
  .option('--catchup-window <duration>', 'after an outage, still start if at most this late', '1 hour')
  .option('--once', 'take the action once, then stay idle (remaining actions 1)')
  .option('--dry-run', 'the scheduled deployments run the pre-checks only')
  .option('--monitor-minutes <n>', 'minutes of monitoring after verification')
  .option('--window <spec>', 'the deployment also waits for this window: "[days] HH:MM-HH:MM [time zone]"')
  .option('--id <scheduleId>', 'schedule id (default: deploy-<app>-<env>)')
  .option(
    '--validate-timeout <duration>',
    'how long the worker on the task queue has to confirm it has the app and environment',
    '15s',
  )
  .addOption(
    new Option(
      '--no-validate',
      'create it without asking a worker (its runs fail at load-config if none has the app and environment)',
    ),
  )
  .addHelpText(
    'after',
    examples(
      'safe-deploy schedule create --app farm-chat --env production --ref v2 --at "sun 03:00" --time-zone ' +
        'Europe/Madrid --once --note "Satshot release"',
      'safe-deploy schedule create --app farm-chat --env staging --ref main --at "mon-fri 22:00 ' +
        'Europe/Madrid" --catchup-window 30m',
    ),
  )
  .action(async (o) => done(await (await import('./cli/schedule/create.js')).runScheduleCreate(globals(), o)));

schedule
  .command('list')
  .description(
    'list the schedules that start safe deployments, with their next run in their own time zone and how ' +
      'their last run ended',
  )
  .addHelpText('after', examples('safe-deploy schedule list', 'safe-deploy schedule list --json'))
  .action(async () => done(await (await import('./cli/schedule/list.js')).runScheduleList(globals())));

schedule
  .command('describe <scheduleId>')
  .description('show a schedule: calendar, state, policies, action, next and recent runs')
  .addHelpText('after', examples('safe-deploy schedule describe deploy-farm-chat-production'))
  .action(async (id: string) =>
    done(await (await import('./cli/schedule/describe.js')).runScheduleDescribe(globals(), id)),
  );

schedule
  .command('pause <scheduleId>')
  .description(
    'stop a schedule from starting deployments (its note is kept after the pause note; trigger then needs --force)',
  )
  .option('--note <text>', 'why (default: "paused by $USER")')
  .addHelpText(
    'after',
    examples('safe-deploy schedule pause deploy-farm-chat-production --note "release freeze until Monday"'),
  )
  .action(async (id: string, o) =>
    done(await (await import('./cli/schedule/pause.js')).runSchedulePause(globals(), id, o)),
  );

schedule
  .command('unpause <scheduleId>')
  .description('let a paused schedule start deployments again (its note goes back to the one it was created with)')
  .option('--note <text>', 'why (default: "unpaused by $USER")')
  .addHelpText('after', examples('safe-deploy schedule unpause deploy-farm-chat-production'))
  .action(async (id: string, o) =>
    done(await (await import('./cli/schedule/unpause.js')).runScheduleUnpause(globals(), id, o)),
  );

schedule
  .command('trigger <scheduleId>')
  .description('start the scheduled deployment now (skipped while one of its deployments runs; refused while paused)')
  .option('--force', 'trigger it even though it is paused (a release freeze)')
  .addHelpText(
    'after',
    examples(
      'safe-deploy schedule trigger deploy-farm-chat-production',
      'safe-deploy schedule trigger deploy-farm-chat-production --force',
    ),
  )
  .action(async (id: string, o) =>
    done(await (await import('./cli/schedule/trigger.js')).runScheduleTrigger(globals(), id, o)),
  );

schedule
  .command('delete <scheduleId>')
  .description('delete a schedule (deployments it started go on)')
  .addHelpText('after', examples('safe-deploy schedule delete deploy-farm-chat-production'))
  .action(async (id: string) =>
    done(await (await import('./cli/schedule/delete.js')).runScheduleDelete(globals(), id)),
  );

program
  .command('init [appDir]')
  .description(
    'write a commented worker config for an existing Prisma app (default: this folder); never overwrites a file',
  )
  .option('--config <file>', 'the config to write (.yaml with comments, or .json)', 'safe-deploy.config.yaml')
  .option('--name <app>', "the app's name in the config (default: from package.json)")
  .option('--environment <name>', 'the environment', 'production')
  .option('--base-url <url>', 'where the app answers on this host (default: from PORT in its env file)')
  .option('--env-file <file>', "the app's KEY=VALUE env file (default: appDir/.env if there is one)")
  .option('--backup-dir <dir>', 'where backups go (default: /var/backups/safe-deploy/<app>)')
  .option('--restart <argv...>', 'the restart command, as words or a JSON array (init cannot guess it)')
  .option('--schema <path>', 'the Prisma schema, when the app has several')
  .addHelpText(
    'after',
    examples(
      'safe-deploy init /srv/shop --env-file /etc/shop.env --restart systemctl restart shop',
      'safe-deploy init . --config /etc/safe-deploy/shop.yaml --restart \'["pm2","reload","shop"]\'',
    ),
  )
  .action(async (dir: string | undefined, o) => done(await (await import('./cli/init.js')).runInit(globals(), dir, o)));

program
  .command('doctor')
  .description(
    'check a worker config against this host and the Temporal server (database, privileges, commands, ' +
      'health, search attributes); changes nothing',
  )
  .option('--config <file>', 'the worker config (default: SAFE_DEPLOY_CONFIG, else ./safe-deploy.config.json or .yaml)')
  .option('--app <name>', 'only this app')
  .option('--env <name>', 'only this environment')
  .option('--restart', 'also run the restart command and wait until the app is healthy (restarts the app)')
  .addHelpText(
    'after',
    `\nOne line per check: ok|FAIL <check>: <detail> — fix: <what to do>. Exit code 1 when a check fails.${examples(
      'safe-deploy doctor --config safe-deploy.config.yaml',
      'safe-deploy doctor --config /etc/safe-deploy/config.yaml --restart --json',
    )}`,
  )
  .action(async (o) => done(await (await import('./cli/doctor.js')).runDoctor(globals(), o)));

program
  .command('worker')
  .description('run the safe-deploy worker on this host (runs the deployments; stops on SIGINT/SIGTERM)')
  .option('--config <file>', 'the worker config (default: SAFE_DEPLOY_CONFIG, else ./safe-deploy.config.json or .yaml)')
  .addHelpText('after', examples('safe-deploy worker --config /etc/safe-deploy/config.yaml'))
  .action(async (o: { config?: string }) => {
    // --task-queue given, else SAFE_DEPLOY_TASK_QUEUE, else the default (as `npm run worker`).
    const given = program.getOptionValueSource('taskQueue') !== 'default';
    await (
      await import('./worker.js')
    ).runWorker({ configPath: o.config, taskQueue: given ? globals().taskQueue : undefined });
  });

program
  .command('server')
  .description(
    'run a Temporal dev server in the foreground for your own app: persisted in a file, with the Deploy* ' +
      'search attributes',
  )
  .option(
    '--db-file <path>',
    'where the history is kept (default: $XDG_DATA_HOME or ~/.local/share, safe-deploy/temporal.db)',
  )
  .option('--ip <address>', 'address to listen on', '127.0.0.1')
  .option('--port <n>', 'frontend port', '7233')
  .option('--ui-port <n>', 'Web UI port', '8233')
  .option('--headless', 'no Web UI')
  .addHelpText(
    'after',
    examples('safe-deploy server', 'safe-deploy server --db-file /var/lib/safe-deploy/temporal.db --headless'),
  )
  .action(async (o) => done(await (await import('./cli/server.js')).runServer(globals(), o)));

program
  .command('namespace')
  .description('prepare a Temporal namespace for safe-deploy')
  .command('setup')
  .description(
    'register the Deploy* search attributes on the namespace the connection settings name (dev server, ' +
      'self-hosted cluster; Temporal Cloud: prints the tcld commands)',
  )
  .addHelpText(
    'after',
    examples(
      'safe-deploy namespace setup',
      'TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=deploys safe-deploy namespace setup',
      'TEMPORAL_PROFILE=cloud safe-deploy namespace setup --json',
    ),
  )
  .action(async () => done(await (await import('./cli/namespace.js')).runNamespaceSetup(globals())));

program
  .command('lint <migrations-dir>')
  .description(
    'risk of each migration in a Prisma migrations folder (additive, risky, destructive, invalid), each on ' +
      'top of the ones before it; no Temporal needed',
  )
  .option(
    '--max-migration-mb <n>',
    'a bigger migration is not parsed: it is invalid, "migration too large to parse" (default 64)',
  )
  .option(
    '--database-url-env <NAME>',
    "also read the live database's catalog (function volatility, table sizes, constraints, server version) " +
      'from the URL in env var NAME; read-only',
  )
  .addHelpText(
    'after',
    '\nExit code 1 when a migration is destructive or invalid (does not parse, or cannot run as Prisma runs it).' +
      examples(
        'safe-deploy lint prisma/migrations',
        'safe-deploy lint prisma/migrations --json',
        'safe-deploy lint prisma/migrations --max-migration-mb 128',
        'safe-deploy lint prisma/migrations --database-url-env DATABASE_URL',
      ),
  )
  .action(async (dir: string, o: { maxMigrationMb?: string; databaseUrlEnv?: string }) => {
    // V8 would compile the parser's hottest WebAssembly functions with TurboFan after a few
    // statements: ~0.2 s of CPU a lint never earns back (measured: no faster on 50,000 statements).
    // A bigger tiering budget leaves them in Liftoff; set before the parser's module is compiled.
    setFlagsFromString('--wasm-tiering-budget=200000000');
    done(
      await (
        await import('./cli/lint.js')
      ).runLint(dir, { json: globals().json, maxMigrationMb: o.maxMigrationMb, databaseUrlEnv: o.databaseUrlEnv }),
    );
  });

program.parseAsync().catch(async (err: unknown) => {
  // context.js explains Temporal's errors; a command that talked to Temporal has loaded it already.
  const known = err instanceof CliError ? err : (await import('./cli/context.js')).explainTemporalError(err);
  const message = known ? known.message : `safe-deploy: ${(err as Error).message}`;
  console.error(message);
  if (globals().json) console.log(JSON.stringify({ error: message }, null, 2));
  process.exitCode = known ? known.exitCode : EXIT.failed;
});
