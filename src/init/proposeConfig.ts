import { Document, isMap, isSeq, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { AppFacts, Found } from './inspectApp.js';

/** What `init` knows beyond the app's files: flags, and the health probe's answer. */
export interface ConfigChoices {
  app: string;
  environment: string;
  baseUrl: Found<string>;
  health: Found<string>;
  envFile: Found<string> | undefined;
  backupDir: Found<string>;
  restart: Found<string[]>;
}

/** One environment's config as `init` proposes it, and a comment per field saying where it came from. */
export function proposeEnvironment(facts: AppFacts, c: ConfigChoices) {
  const prisma = (...args: string[]) => ['npx', '--no-install', 'prisma', ...args, ...facts.prismaArgs];
  const install =
    facts.packageManager === 'npm'
      ? ['npm', 'ci', '--no-audit', '--no-fund']
      : [facts.packageManager, 'install', '--frozen-lockfile'];
  const environment = {
    appDir: facts.appDir,
    database: { urlEnv: facts.databaseUrlEnv.value, appEnvName: facts.databaseUrlEnv.value },
    ...(c.envFile ? { envFile: c.envFile.value } : {}),
    backup: { dir: c.backupDir.value },
    commands: {
      install,
      build: facts.build.value,
      migrateDeploy: prisma('migrate', 'deploy'),
      migrateStatus: prisma('migrate', 'status'),
      migrateReset: prisma('migrate', 'reset', '--force', '--skip-seed'),
      restart: c.restart.value,
    },
    commandEnv: { CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    baseUrl: c.baseUrl.value,
    health: { path: c.health.value, timeout: '60 seconds' },
    writes: { policy: 'detect' },
    ...(facts.start
      ? { rehearsal: { startPrevious: { command: facts.start.value, portEnv: facts.portEnv, timeout: '30 seconds' } } }
      : {}),
    migrationsDir: facts.migrationsDir.value,
  };

  const comments: [string[], string][] = [
    [['appDir'], `The production working copy (a git clone): checked out at the target ref, reinstalled, rebuilt.`],
    [
      ['database', 'urlEnv'],
      `NAME of the variable holding the database URL (never the URL itself), read from envFile, else the\n` +
        `worker's environment. Found: ${facts.databaseUrlEnv.source}.`,
    ],
    [['database', 'appEnvName'], 'The name under which the app and its Prisma CLI get that URL.'],
    ...(c.envFile ? [[['envFile'], `The app's KEY=VALUE env file (${c.envFile.source}).`] as [string[], string]] : []),
    [
      ['backup', 'dir'],
      `${c.backupDir.source}. Dumps go here (mode 0700): room for twice the database is checked before each ` +
        `deployment.`,
    ],
    [['commands', 'install'], `Found ${facts.lockfile}: installs exactly what it says.`],
    [['commands', 'build'], `${facts.build.source}.`],
    [
      ['commands', 'migrateDeploy'],
      `The app's own Prisma CLI (${facts.schema.value}: ${facts.schema.source}; migrations in ` +
        `${facts.migrationsDir.value}, ` +
        `${facts.migrationCount} now).`,
    ],
    [
      ['commands', 'restart'],
      `${c.restart.source}\n` +
        'It must RETURN once the new release is started (a service manager, pm2, a start/stop script), within\n' +
        'commandTimeouts.restart (default 2 minutes); the app must then answer health.path.' +
        (facts.procfile?.web ? `\nThe Procfile's web process: ${facts.procfile.web}` : ''),
    ],
    [
      ['commandEnv'],
      "Non-secret variables for the app's commands. Prisma's CLI asks the internet for updates: not from a server.",
    ],
    [['baseUrl'], `Where the app answers on this host (${c.baseUrl.source}).`],
    [['health', 'path'], `${c.health.source}.`],
    [
      ['writes', 'policy'],
      'detect: the app keeps serving during the deployment; before restoring the backup, writes made since it\n' +
        'are counted and a restore that would lose them waits for an approval. Needs nothing from the app.\n' +
        "stop: writes paused for the deployment's critical part; needs writes.stop and writes.resume commands\n" +
        '(a maintenance mode on/off), e.g. stop: [/srv/app/bin/maintenance, on].',
    ],
    ...(facts.start
      ? [
          [
            ['rehearsal', 'startPrevious'],
            `Before changing anything, the migration runs on a copy of production and the previous release is\n` +
              `started on the migrated copy (${facts.start.source}; a free port in ${facts.portEnv}): if it runs,\n` +
              'a rollback of an additive migration keeps the data (code only). Remove this block to skip that.',
          ] as [string[], string],
        ]
      : []),
    [['migrationsDir'], `Relative to appDir (${facts.migrationsDir.source}).`],
  ];
  return { environment, comments };
}

function pairAt(doc: Document, path: string[]): Pair<Scalar, Node> | undefined {
  let map: unknown = doc.contents;
  let pair: Pair<Scalar, Node> | undefined;
  for (const key of path) {
    if (!isMap(map)) return undefined;
    pair = (map as YAMLMap<Scalar, Node>).items.find((p) => p.key?.value === key);
    map = pair?.value;
  }
  return pair;
}

/** argv arrays on one line (`[npm, run, build]`), as a command reads. */
function flowArgv(node: unknown): void {
  if (isSeq(node)) {
    if (node.items.every((i) => !isSeq(i) && !isMap(i))) node.flow = true;
    else node.items.forEach(flowArgv);
  } else if (isMap(node)) node.items.forEach((p) => flowArgv(p.value));
}

/** The whole worker config as commented YAML. */
export function renderConfigYaml(
  o: { app: string; environment: string; header: string },
  env: ReturnType<typeof proposeEnvironment>,
): string {
  const doc = new Document({ apps: { [o.app]: { [o.environment]: env.environment } } });
  flowArgv(doc.contents);
  doc.commentBefore = o.header;
  for (const [path, text] of env.comments) {
    const pair = pairAt(doc, ['apps', o.app, o.environment, ...path]);
    if (pair) pair.key.commentBefore = text.replace(/^/gm, ' ');
  }
  return doc.toString({ lineWidth: 0 });
}
