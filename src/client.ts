#!/usr/bin/env node
import { Command, Option } from 'commander';
import { DEFAULT_GLOBALS, type GlobalOptions } from './cli/context.js';
import { runLint } from './cli/lint.js';
import { InvalidRequestError, runStart } from './cli/start.js';
import { runStatus } from './cli/status.js';

/** `safe-deploy`: starts and watches deployments; the steps themselves run on the worker. */
const program = new Command('safe-deploy')
  .description('Durable, safe production deployments of Node.js + Prisma + PostgreSQL apps, run as a Temporal workflow')
  .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS or temporal.toml, else localhost:7233)')
  .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or "default")')
  .option('--profile <name>', 'temporal.toml profile (TEMPORAL_PROFILE)')
  .option('--task-queue <name>', 'task queue of the safe-deploy worker', DEFAULT_GLOBALS.taskQueue)
  .option('--json', 'print JSON instead of text')
  .showHelpAfterError();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

program
  .command('start')
  .description('start a deployment and follow it step by step')
  .requiredOption('--app <name>', 'app name in the worker config')
  .requiredOption('--env <name>', 'environment, e.g. production')
  .requiredOption('--ref <ref>', 'git tag, branch or commit to deploy')
  .option('--dry-run', 'run the pre-checks only')
  .option('--reason <text>', 'why (kept in the workflow history)')
  .option('--workflow-id <id>', 'workflow id (default: deploy-<app>-<env>-<ref>-<random>)')
  .addOption(new Option('--no-follow', 'print the workflow id and return'))
  .addHelpText('after', '\nExamples:\n  safe-deploy start --app farm-chat --env production --ref v2\n  safe-deploy start --app farm-chat --env production --ref v2 --dry-run --json')
  .action(async (o) => { process.exitCode = await runStart(globals(), o); });

program
  .command('status <workflowId>')
  .description("show a deployment's progress, or its report once finished")
  .action(async (id: string) => { process.exitCode = await runStatus(globals(), id); });

program
  .command('lint <migrations-dir>')
  .description('risk of each migration in a Prisma migrations folder (additive, risky, destructive); no Temporal needed')
  .addHelpText('after', '\nExit code 1 when a migration is destructive or does not parse.\nExample:\n  safe-deploy lint prisma/migrations --json')
  .action(async (dir: string) => { process.exitCode = await runLint(dir, { json: globals().json }); });

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof InvalidRequestError ? err.message : `safe-deploy: ${(err as Error).message}`);
  process.exitCode = err instanceof InvalidRequestError ? 2 : 1;
});
