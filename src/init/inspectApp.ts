import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

/** Something `init` found, and where: the comment the config carries beside it says so. */
export interface Found<T> {
  value: T;
  source: string;
}

/** What `safe-deploy init` learns from an app's files alone (no process started, nothing written). */
export interface AppFacts {
  /** The app's directory, symlinks resolved. */
  appDir: string;
  /** A config slug from package.json's name (scope dropped), e.g. `@acme/shop-api` → `shop-api`. */
  name: Found<string> | undefined;
  packageManager: 'npm' | 'yarn' | 'pnpm';
  lockfile: string;
  /** The Prisma schema (file or multi-file folder), relative to appDir. */
  schema: Found<string>;
  migrationsDir: Found<string>;
  /** How many migration folders migrationsDir holds now. */
  migrationCount: number;
  /**
   * Extra arguments the app's Prisma CLI needs to find its schema
   * (`--schema …`, `--config …`); none at the default places.
   */
  prismaArgs: string[];
  databaseUrlEnv: Found<string>;
  build: Found<string[][]>;
  /** The web process in the foreground (for the rehearsal's start of the previous release). */
  start: Found<string[]> | undefined;
  procfile: Record<string, string> | undefined;
  /** GET paths seen in the app's source (string literals), for the health path when nothing answers. */
  routes: string[];
  /** PORT-like variable names the source reads. */
  portEnv: string;
}

/** A problem with the app's files that stops `init`; the message names the file and what to do. */
export class AppInspectionError extends Error {}

const MAX_TEXT_BYTES = 1024 * 1024;
const MAX_SOURCE_FILES = 3000;
const MAX_SOURCE_DEPTH = 8;

/**
 * A small regular file's text, or undefined when there is none. A FIFO, a device (a link to
 * /dev/zero), a directory or a huge file is refused by what the opened descriptor is, before any read.
 */
function readSmallText(path: string, what: string): string | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new AppInspectionError(`${what} ${path} is a symlink loop`);
    throw new AppInspectionError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new AppInspectionError(`${what} ${path} is not a regular file`);
    if (st.size > MAX_TEXT_BYTES)
      throw new AppInspectionError(`${what} ${path} is ${st.size} bytes, more than ${MAX_TEXT_BYTES}: not read`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Whether `path` exists as a file or a directory (a broken or looping link is neither). */
function kindOf(path: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** A path inside appDir as the config writes it (posix, relative); undefined when it leaves appDir. */
function insideApp(appDir: string, path: string): string | undefined {
  const rel = relative(appDir, resolve(appDir, path));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join(posix.sep);
}

interface PackageJson {
  name?: unknown;
  scripts?: Record<string, unknown>;
  prisma?: { schema?: unknown };
  workspaces?: unknown;
}

function readPackageJson(dir: string, required: boolean): PackageJson | undefined {
  const path = join(dir, 'package.json');
  const text = readSmallText(path, 'package.json');
  if (text === undefined) {
    if (!required) return undefined;
    throw new AppInspectionError(
      `no package.json in ${dir}: init needs the root of a Node.js app (the folder with package.json and the lockfile)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new AppInspectionError(`${path} is not JSON (${(e as Error).message}): fix it, npm cannot read it either`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new AppInspectionError(`${path} is not a JSON object: fix it, npm cannot read it either`);
  return parsed as PackageJson;
}

/** `@acme/Shop_API` → `shop-api`: the slug the config's app names use, or undefined when nothing is left. */
export function appSlug(name: string): string | undefined {
  const slug = name
    .replace(/^@[^/]*\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return /^[a-z0-9][a-z0-9-]*$/.test(slug) ? slug : undefined;
}

const PRISMA_CONFIG_NAMES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.js', 'prisma.config.mjs'];

/** `schema` and `migrations.path` of a prisma.config.*, read as text (never run: it is the app's code). */
function readPrismaConfig(path: string): { schema?: string; migrations?: string; envNames: string[] } {
  const text = readSmallText(path, 'Prisma config') ?? '';
  const str = `["'\`]([^"'\`\\n]+)["'\`]`;
  const schema = new RegExp(`\\bschema\\s*:\\s*${str}`).exec(text)?.[1];
  const migrations = new RegExp(`\\bmigrations\\s*:\\s*\\{[^}]*?\\bpath\\s*:\\s*${str}`, 's').exec(text)?.[1];
  const envNames = [
    ...text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)|\benv\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]/g),
  ].map((m) => (m[1] ?? m[2])!);
  return { schema, migrations, envNames };
}

/** The variable a datasource's `url = env("…")` names, in a schema file or any .prisma file of a schema folder. */
function datasourceUrlEnv(schemaPath: string): string | undefined {
  const files =
    kindOf(schemaPath) === 'dir'
      ? readdirSync(schemaPath)
          .filter((f) => f.endsWith('.prisma'))
          .map((f) => join(schemaPath, f))
      : [schemaPath];
  for (const file of files) {
    const text = readSmallText(file, 'Prisma schema') ?? '';
    const block = /datasource\s+\w+\s*\{([^}]*)\}/s.exec(text)?.[1];
    const name = block && /\burl\s*=\s*env\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/.exec(block)?.[1];
    if (name) return name;
  }
  return undefined;
}

interface SchemaCandidate {
  /** Absolute path of the schema file or folder. */
  schema: string;
  source: string;
  /** A prisma.config.* that names it (its paths are relative to it). */
  prismaConfig?: string;
  migrations?: string;
  configEnvNames: string[];
}

/**
 * Where Prisma's CLI looks, run from `dir`: package.json
 * `prisma.schema`, prisma.config.*, prisma/schema.prisma, schema.prisma.
 */
function schemaIn(dir: string, pkg: PackageJson | undefined, where: string): SchemaCandidate | undefined {
  for (const name of PRISMA_CONFIG_NAMES) {
    const configPath = join(dir, name);
    if (kindOf(configPath) !== 'file') continue;
    const c = readPrismaConfig(configPath);
    const schema = c.schema ? resolve(dir, c.schema) : join(dir, 'prisma', 'schema.prisma');
    if (!kindOf(schema)) continue;
    return {
      schema,
      source: c.schema ? `${where}${name} schema` : `${where}${name} (Prisma's default schema place)`,
      prismaConfig: configPath,
      migrations: c.migrations ? resolve(dir, c.migrations) : undefined,
      configEnvNames: c.envNames,
    };
  }
  const declared = pkg?.prisma?.schema;
  if (typeof declared === 'string' && kindOf(resolve(dir, declared)))
    return { schema: resolve(dir, declared), source: `${where}package.json prisma.schema`, configEnvNames: [] };
  for (const rel of ['prisma/schema.prisma', 'prisma/schema', 'schema.prisma']) {
    const path = join(dir, rel);
    const kind = kindOf(path);
    if ((kind === 'file' && rel.endsWith('.prisma')) || (kind === 'dir' && rel === 'prisma/schema'))
      return { schema: path, source: `${where}${rel} (Prisma's default place)`, configEnvNames: [] };
  }
  return undefined;
}

/** Workspace folders: package.json `workspaces` patterns of the form `dir/*` or `dir`, else packages/* and apps/*. */
function workspaceDirs(appDir: string, pkg: PackageJson): string[] {
  const raw = pkg.workspaces;
  const patterns = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object' && Array.isArray((raw as { packages?: unknown }).packages)
      ? (raw as { packages: unknown[] }).packages
      : ['packages/*', 'apps/*'];
  const dirs: string[] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern.includes('..') || isAbsolute(pattern)) continue;
    if (!pattern.endsWith('/*')) {
      if (kindOf(join(appDir, pattern)) === 'dir') dirs.push(join(appDir, pattern));
      continue;
    }
    const parent = join(appDir, pattern.slice(0, -2));
    if (kindOf(parent) !== 'dir') continue;
    // One level, each entry stat'ed: a link loop is `undefined` here, never followed further.
    for (const entry of readdirSync(parent).sort())
      if (kindOf(join(parent, entry)) === 'dir') dirs.push(join(parent, entry));
  }
  return dirs;
}

function findSchema(appDir: string, pkg: PackageJson): SchemaCandidate {
  const atRoot = schemaIn(appDir, pkg, '');
  if (atRoot) return atRoot;
  const inWorkspaces = workspaceDirs(appDir, pkg).flatMap((dir) => {
    const rel = insideApp(appDir, dir);
    const found = rel && schemaIn(dir, readPackageJson(dir, false), `${rel}/`);
    return found ? [found] : [];
  });
  if (inWorkspaces.length === 1) return inWorkspaces[0]!;
  if (inWorkspaces.length > 1)
    throw new AppInspectionError(
      `several Prisma schemas in ${appDir}: ${inWorkspaces.map((c) => insideApp(appDir, c.schema)).join(', ')}; ` +
        'run init with --schema <path> to choose the one this app deploys',
    );
  throw new AppInspectionError(
    `no Prisma schema in ${appDir} (looked at package.json prisma.schema, prisma.config.ts, prisma/schema.prisma, ` +
      ('schema.prisma, and packages/*/ and apps/*/ for monorepos): safe-deploy deploys Prisma apps; pass ' +
        '--schema <path> if it is elsewhere'),
  );
}

const LOCKFILES: [string, AppFacts['packageManager']][] = [
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
];

/** A command line that is plain words (no quotes, variables, pipes, globs or `VAR=` prefix) as argv; else undefined. */
export function plainArgv(line: string): string[] | undefined {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (!words.length || words.some((w) => /[;&|<>$`"'*?(){}[\]\\~!#]/.test(w)) || /^[A-Za-z_]\w*=/.test(words[0]!))
    return undefined;
  return words;
}

export function parseProcfile(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_-]+):\s*(.+?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * The web process as argv: the Procfile's `web:`, or the `start` script; `npm start` is followed to the script it runs.
 */
function startCommand(
  pkg: PackageJson,
  procfile: Record<string, string> | undefined,
  pm: string,
): Found<string[]> | undefined {
  const script = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start : undefined;
  const web = procfile?.web;
  const fromScript = (how: string): Found<string[]> | undefined => {
    if (!script) return undefined;
    const argv = plainArgv(script);
    return argv
      ? { value: argv, source: `${how}package.json scripts.start ("${script}")` }
      : { value: [pm, 'start'], source: `${how}package.json scripts.start (not plain words: run through ${pm} start)` };
  };
  if (web) {
    if (/^(npm|yarn|pnpm)\s+(run\s+)?start$/.test(web.trim()))
      return fromScript(`the Procfile's web: ${web.trim()} → `) ?? undefined;
    const argv = plainArgv(web);
    if (argv) return { value: argv, source: `the Procfile's web: ${web}` };
  }
  return fromScript('');
}

const SOURCE_EXT = /\.(c|m)?(j|t)sx?$/;

/** String literals that look like GET routes (express/koa/fastify `.get('/x'`, or `path: '/x'` route tables). */
function scanRoutes(appDir: string): { routes: string[]; portEnv: string } {
  const routes = new Set<string>();
  const portNames = new Set<string>();
  let files = 0;
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_SOURCE_DEPTH || files >= MAX_SOURCE_FILES) return;
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry === 'node_modules' || entry.startsWith('.') || entry === 'dist' || entry === 'build') continue;
      const path = join(dir, entry);
      let st;
      try {
        st = lstatSync(path); // links are not followed: no loop, nothing outside the app
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(path, depth + 1);
      else if (st.isFile() && SOURCE_EXT.test(entry) && st.size <= MAX_TEXT_BYTES && files++ < MAX_SOURCE_FILES) {
        let text: string | undefined;
        try {
          text = readSmallText(path, 'source file');
        } catch {
          continue;
        }
        for (const m of text?.matchAll(/\.(?:get|all)\(\s*["'`](\/[^"'`\s]*)["'`]/g) ?? []) routes.add(m[1]!);
        for (const m of text?.matchAll(/\bpath\s*:\s*["'`](\/[^"'`\s]*)["'`]/g) ?? []) routes.add(m[1]!);
        for (const m of text?.matchAll(/process\.env\.([A-Z_]*PORT)\b/g) ?? []) portNames.add(m[1]!);
      }
    }
  };
  walk(appDir, 0);
  return {
    routes: [...routes].sort(),
    portEnv: portNames.has('PORT') || !portNames.size ? 'PORT' : [...portNames][0]!,
  };
}

/** Reads an app's folder the way `safe-deploy init` needs it. Throws AppInspectionError naming the file and the fix. */
export function inspectApp(dir: string, o: { schema?: string } = {}): AppFacts {
  let appDir: string;
  try {
    appDir = realpathSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppInspectionError(
      code === 'ELOOP'
        ? `${dir} is a symlink loop: give init the app's real directory`
        : code === 'ENOENT'
          ? `${dir} does not exist`
          : `cannot open ${dir}: ${(e as Error).message}`,
    );
  }
  if (kindOf(appDir) !== 'dir') throw new AppInspectionError(`${dir} is not a directory: give init the app's folder`);
  const pkg = readPackageJson(appDir, true)!;

  const lock = LOCKFILES.find(([file]) => kindOf(join(appDir, file)) === 'file');
  if (!lock)
    throw new AppInspectionError(
      `no lockfile in ${appDir} (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock): a deployment ` +
        'installs exactly what the lockfile says (npm ci needs one); run npm install once and commit package-lock.json',
    );
  const [lockfile, packageManager] = lock;

  let candidate: SchemaCandidate;
  if (o.schema) {
    const schema = resolve(appDir, o.schema);
    if (!insideApp(appDir, schema) || !kindOf(schema))
      throw new AppInspectionError(`--schema ${o.schema}: no such file or folder inside ${appDir}`);
    candidate = { schema, source: '--schema', configEnvNames: [] };
  } else candidate = findSchema(appDir, pkg);
  const schemaRel = insideApp(appDir, candidate.schema);
  if (!schemaRel) throw new AppInspectionError(`the Prisma schema ${candidate.schema} is outside ${appDir}`);
  const schemaDir = kindOf(candidate.schema) === 'dir' ? candidate.schema : dirname(candidate.schema);
  const migrationsAbs = candidate.migrations ?? join(schemaDir, 'migrations');
  const migrationsRel = insideApp(appDir, migrationsAbs);
  if (!migrationsRel) throw new AppInspectionError(`the migrations folder ${migrationsAbs} is outside ${appDir}`);
  const migrationCount =
    kindOf(migrationsAbs) === 'dir'
      ? readdirSync(migrationsAbs).filter((m) => kindOf(join(migrationsAbs, m, 'migration.sql')) === 'file').length
      : 0;

  // Prisma's CLI, run from appDir, finds a root prisma.config.* or the default places by itself.
  const rootConfig = candidate.prismaConfig && dirname(candidate.prismaConfig) === appDir;
  const defaultPlace =
    !candidate.prismaConfig && ['prisma/schema.prisma', 'prisma/schema', 'schema.prisma'].includes(schemaRel);
  const prismaArgs =
    rootConfig || defaultPlace
      ? []
      : candidate.prismaConfig
        ? ['--config', insideApp(appDir, candidate.prismaConfig)!]
        : ['--schema', schemaRel];

  const urlFromSchema = datasourceUrlEnv(candidate.schema);
  const urlFromConfig = candidate.configEnvNames.find((n) => /URL/.test(n));
  const databaseUrlEnv: Found<string> = urlFromSchema
    ? { value: urlFromSchema, source: `${schemaRel}: datasource url = env("${urlFromSchema}")` }
    : urlFromConfig
      ? { value: urlFromConfig, source: `${insideApp(appDir, candidate.prismaConfig!)} reads ${urlFromConfig}` }
      : { value: 'DATABASE_URL', source: "not named in the schema: Prisma's usual name" };

  const procfileText = readSmallText(join(appDir, 'Procfile'), 'Procfile');
  const procfile = procfileText === undefined ? undefined : parseProcfile(procfileText);
  const build: Found<string[][]> =
    typeof pkg.scripts?.build === 'string'
      ? { value: [[packageManager, 'run', 'build']], source: `package.json scripts.build ("${pkg.scripts.build}")` }
      : { value: [], source: 'package.json has no build script' };
  const { routes, portEnv } = scanRoutes(appDir);
  const name = typeof pkg.name === 'string' ? appSlug(pkg.name) : undefined;

  return {
    appDir,
    name: name ? { value: name, source: `package.json name ("${String(pkg.name)}")` } : undefined,
    packageManager,
    lockfile,
    schema: { value: schemaRel, source: candidate.source },
    migrationsDir: {
      value: migrationsRel,
      source: candidate.migrations
        ? `${insideApp(appDir, candidate.prismaConfig!)} migrations.path`
        : 'beside the schema',
    },
    migrationCount,
    prismaArgs,
    databaseUrlEnv,
    build,
    start: startCommand(pkg, procfile, packageManager),
    procfile,
    routes,
    portEnv,
  };
}

/** The folder's name, for messages when package.json has no usable name. */
export const folderName = (dir: string) => basename(dir);
