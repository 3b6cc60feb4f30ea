import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, inject, it } from 'vitest';
import { isScalar, parse, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { COMPOSE_SCRIPTS, serverEnvironment } from '../../scripts/lib/cluster.js';
import { SEARCH_ATTRIBUTES } from '../../scripts/lib/devServer.js';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/lib/temporalServer.js';
import { DEFAULT_TASK_QUEUE } from '../../src/shared/constants.js';

/**
 * There is no Docker engine here: docker-compose.yml and the Dockerfile are checked as files —
 * against the Compose Specification's JSON schema, and against the code they must agree with.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  secrets?: string[];
  configs?: { source: string; target: string }[];
  volumes?: string[];
  restart?: string;
  entrypoint?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets: Record<string, { file?: string; environment?: string }>;
  configs: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parse(composeText) as ComposeFile;
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

// --- the schema, with the Compose formats it names (ajv ignores unknown formats only when told to)
const ipv4 = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
const portRange = String.raw`\d{1,5}(?:-\d{1,5})?`;
const composeFormats: Record<string, RegExp> = {
  duration: /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/,
  // [[host_ip:]host_port[-range]:]container_port[-range][/protocol]
  ports: new RegExp(
    String.raw`^(?:(?:${ipv4}|\[[0-9A-Fa-f:]+\]):)?(?:(?:${portRange})?:)?${portRange}(?:/(?:tcp|udp|sctp))?$`,
  ),
  expose: new RegExp(String.raw`^${portRange}(?:/(?:tcp|udp|sctp))?$`),
  subnet_ip_address: new RegExp(String.raw`^(?:${ipv4}/\d{1,2}|[0-9A-Fa-f:]+/\d{1,3})$`),
};

/** Drops draft-04 `id` annotations (`"id": "#/definitions/service"`): ajv 8 refuses the keyword. No property is named `id`. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
      .map(([k, v]) => [k, withoutDraft4Ids(v)]),
  );
}

function composeValidator() {
  const schema = withoutDraft4Ids(JSON.parse(read('test/fixtures/compose-spec.json'))) as Record<string, unknown>;
  // The file names the 2019-09 meta-schema by its old http URI; ajv knows it by the https one.
  schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
  const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true }); // the schema uses type: [string, number]
  for (const [name, re] of Object.entries(composeFormats))
    ajv.addFormat(name, { type: 'string', validate: (v: string) => re.test(v) });
  return ajv.compile(schema);
}
const validate = composeValidator();
const errorsOf = (doc: unknown): string => (validate(doc) ? '' : JSON.stringify(validate.errors, null, 2));

describe('docker-compose.yml against the Compose Specification', () => {
  it('parses as YAML and validates against the schema', () => {
    expect(errorsOf(compose)).toBe('');
  });

  it.each([
    [
      'a string where ports must be a list',
      (c: ComposeFile) => {
        (c.services.worker as Record<string, unknown>).ports = 'abc';
      },
    ],
    [
      'a port that is not a port',
      (c: ComposeFile) => {
        c.services['temporal-ui']!.ports = ['abc'];
      },
    ],
    [
      'an unknown top-level key',
      (c: ComposeFile) => {
        (c as unknown as Record<string, unknown>).servicez = {};
      },
    ],
    [
      'an unknown service key',
      (c: ComposeFile) => {
        (c.services.worker as Record<string, unknown>).helthcheck = {};
      },
    ],
    [
      'a health check interval that is not a duration',
      (c: ComposeFile) => {
        c.services['app-db']!.healthcheck = { test: ['CMD', 'true'], interval: 'soon' } as never;
      },
    ],
  ])('rejects %s', (_what, breakIt) => {
    const broken = structuredClone(compose);
    breakIt(broken);
    expect(errorsOf(broken)).not.toBe('');
  });
});

describe('docker-compose.yml services', () => {
  it('has the services the issue asks for, each image pinned to a version', () => {
    expect(Object.keys(services).sort()).toEqual([
      'app-db',
      'temporal',
      'temporal-db',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    expect(service('temporal').image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(service('temporal').environment?.DB).toBe('postgres12');
    for (const [name, s] of Object.entries(services)) {
      if (s.image) expect(s.image, name).toMatch(/^[\w./-]+:\d+(\.\d+)+$/); // no :latest, no bare name
    }
    expect(service('worker').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(service('app-db').image).toMatch(/^postgres:15\./); // the worker image's pg_dump is 15
  });

  it('gives every long-running service a health check, and says why a one-shot has none', () => {
    const doc = parseDocument(composeText);
    const servicesNode = doc.get('services', true) as YAMLMap;
    for (const pair of servicesNode.items as Pair[]) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const s = service(name);
      if (s.healthcheck) {
        expect(s.healthcheck.test.length, name).toBeGreaterThan(1);
        expect(s.restart, name).toBe('unless-stopped');
        continue;
      }
      // A one-shot: documented above its key, never restarted, and awaited to completion.
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? '';
      expect(comment, `${name} has no health check and no comment saying why`).toMatch(/one-shot/i);
      expect(comment, name).toMatch(/no health check/i);
      expect(s.restart, name).toBe('no');
      const awaitedBy = Object.values(services).filter(
        (o) => o.depends_on?.[name]?.condition === 'service_completed_successfully',
      );
      expect(awaitedBy.length, `nobody waits for ${name} to complete`).toBeGreaterThan(0);
    }
  });

  it('waits for health only on services that have a health check', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        if (condition === 'service_healthy')
          expect(service(dep).healthcheck, `${name} waits for ${dep}'s health`).toBeDefined();
      }
    }
  });

  it('uses named volumes for all data, and bind-mounts only files that exist in the repository', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const volume of s.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('./')) expect(existsSync(join(root, source!)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: ${source} is not a named volume`).toContain(source);
      }
    }
    expect(service('temporal-db').volumes).toContain('temporal-db-data:/var/lib/postgresql/data');
    expect(service('app-db').volumes).toContain('app-db-data:/var/lib/postgresql/data');
  });

  it('mounts shell scripts that parse', () => {
    for (const script of readdirSync(join(root, 'compose')).filter((f) => f.endsWith('.sh'))) {
      const r = spawnSync('sh', ['-n', join(root, 'compose', script)], { encoding: 'utf8' });
      expect(r.status, `${script}: ${r.stderr}`).toBe(0);
    }
    for (const name of ['temporal-schema', 'temporal-setup']) {
      const script = service(name).entrypoint?.at(-1) ?? '';
      expect(existsSync(join(root, 'compose', script.replace(/^\/scripts\//, ''))), `${name} runs ${script}`).toBe(
        true,
      );
    }
    expect(parse(read('compose/dynamicconfig.yaml'))).toHaveProperty(['limit.maxIDLength']);
  });
});

describe('docker-compose.yml agrees with the code', () => {
  const worker = service('worker');
  const env = worker.environment ?? {};

  it("points the worker, the UI and the setup job at the temporal service's frontend port", () => {
    const published = service('temporal').ports ?? [];
    expect(published.some((p) => p.endsWith(':7233'))).toBe(true);
    for (const name of ['worker', 'temporal-ui', 'temporal-setup']) {
      expect(service(name).environment?.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
  });

  it('runs the worker on the task queue the client starts workflows on', () => {
    expect(env.SAFE_DEPLOY_TASK_QUEUE).toBe(DEFAULT_TASK_QUEUE);
  });

  it('registers exactly the search attributes the demo dev server registers', () => {
    const registered = (service('temporal-setup').environment?.SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    expect(registered).toEqual(SEARCH_ATTRIBUTES);
    expect(service('temporal-setup').environment?.TEMPORAL_NAMESPACE).toBe(env.TEMPORAL_NAMESPACE);
  });

  it('publishes the Web UI on 8233, as the README says', () => {
    expect(service('temporal-ui').ports).toContain('127.0.0.1:8233:8080');
    expect(read('README.md')).toContain('8233');
  });

  it('sets exactly the variables the worker reads', () => {
    const workerTs = read('src/worker.ts');
    const readByWorker = new Set([...workerTs.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1]!));
    // Where the worker's config file is, read by src/config/load.ts (the CLI's doctor reads it the same way).
    for (const m of read('src/config/load.ts').matchAll(/\benv\.(SAFE_DEPLOY_[A-Z_]+)/g)) readByWorker.add(m[1]!);
    // The connection comes from @temporalio/envconfig, which reads the standard TEMPORAL_* names.
    expect(workerTs).toContain('loadClientConnectConfig()');
    const envconfigDir = join(root, 'node_modules/@temporalio/envconfig/lib');
    const envconfigJs = readdirSync(envconfigDir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(envconfigDir, f), 'utf8'))
      .join('\n');
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']) {
      expect(envconfigJs).toContain(`'${name}'`);
      readByWorker.add(name);
    }
    expect(readByWorker).toEqual(
      new Set(['SAFE_DEPLOY_CONFIG', 'SAFE_DEPLOY_TASK_QUEUE', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']),
    );
    expect(new Set(Object.keys(env))).toEqual(readByWorker);
  });

  it("mounts the worker's config where SAFE_DEPLOY_CONFIG points", () => {
    expect(worker.configs?.map((c) => c.target)).toContain(env.SAFE_DEPLOY_CONFIG);
    for (const c of worker.configs ?? []) expect(compose.configs[c.source]).toBeDefined();
  });

  it('keeps secrets out of the file: passwords come from secret files only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!/PASSWORD|PWD|SECRET|TOKEN|API_KEY/.test(key)) continue;
        expect(key, `${name}.${key} holds a secret inline`).toMatch(/_FILE$/);
        const secret = /^\/run\/secrets\/(\w+)$/.exec(value)?.[1];
        expect(secret, `${name}.${key} must point into /run/secrets`).toBeDefined();
        expect(s.secrets, `${name} must mount secret ${secret}`).toContain(secret);
      }
      for (const secret of s.secrets ?? [])
        expect(compose.secrets[secret], `${name} uses undeclared secret ${secret}`).toBeDefined();
    }
    for (const [name, secret] of Object.entries(compose.secrets)) {
      expect(secret.file, name).toMatch(/^\.\/secrets\//); // files in a git-ignored folder, nothing inline
      expect(Object.keys(secret), name).toEqual(['file']);
    }
    expect(read('.gitignore').split('\n')).toContain('secrets/');
    expect(read('.dockerignore').split('\n')).toContain('secrets');
    expect(composeText).not.toMatch(/[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:(?!<)[^\s/@]+@/i); // no user:password@ URL (a <placeholder> is fine)
  });
});

describe('docker-compose.yml agrees with `npm run cluster` (what the cluster tests run)', () => {
  it('pins the Temporal server and admin-tools to the version the cluster builds', () => {
    expect(service('temporal').image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    for (const name of ['temporal-schema', 'temporal-setup'])
      expect(service(name).image, name).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`);
  });

  it('runs the same schema and namespace scripts', () => {
    expect(service('temporal-schema').entrypoint).toEqual(['/bin/sh', `/scripts/${COMPOSE_SCRIPTS.schema}`]);
    expect(service('temporal-setup').entrypoint).toEqual(['/bin/sh', `/scripts/${COMPOSE_SCRIPTS.setup}`]);
  });

  it("starts the server with every variable compose gives it, and compose's dynamic config", () => {
    const temporal = service('temporal');
    const env = serverEnvironment({
      projectRoot: root,
      database: { host: '127.0.0.1', port: 15432, user: 'temporal' },
      ports: {
        FRONTEND_GRPC_PORT: 1,
        FRONTEND_HTTP_PORT: 2,
        FRONTEND_MEMBERSHIP_PORT: 3,
        HISTORY_GRPC_PORT: 4,
        HISTORY_MEMBERSHIP_PORT: 5,
        MATCHING_GRPC_PORT: 6,
        MATCHING_MEMBERSHIP_PORT: 7,
        WORKER_GRPC_PORT: 8,
        WORKER_MEMBERSHIP_PORT: 9,
      },
    });
    // POSTGRES_PWD is the one more: compose sets it from the secret in the entrypoint, the cluster from its password file.
    expect(Object.keys(env)).toEqual(expect.arrayContaining(Object.keys(temporal.environment ?? {})));
    expect(env.DB).toBe(temporal.environment?.DB);
    expect(env.POSTGRES_USER).toBe(temporal.environment?.POSTGRES_USER);
    expect(temporal.volumes).toContain(
      `./compose/dynamicconfig.yaml:${temporal.environment?.DYNAMIC_CONFIG_FILE_PATH}:ro`,
    );
    expect(env.DYNAMIC_CONFIG_FILE_PATH).toBe(join(root, 'compose', 'dynamicconfig.yaml'));
    expect(temporal.entrypoint?.at(-1)).toContain('POSTGRES_PWD=');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

  it('builds from a pinned Node 20 image with npm ci and the build script', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim\b/);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\b/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsconfig.build.json');
  });

  it('installs the tools the activities run: pg client 15 and git', () => {
    expect(dockerfile).toMatch(/apt-get install[^\n]*postgresql-client-15/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bgit\b/);
  });

  it('runs the compiled worker, and the health check runs a compiled module', () => {
    const cmd = instructions.find((l) => l.startsWith('CMD '));
    expect(JSON.parse(cmd!.slice(4))).toEqual(['node', 'dist/src/worker.js']);
    expect(read('package.json')).toContain('"worker": "node dist/src/worker.js"');
    expect(existsSync(join(root, 'src/worker.ts'))).toBe(true);
    expect(service('worker').healthcheck?.test).toEqual(['CMD', 'node', 'dist/src/workerHealth.js']);
    expect(existsSync(join(root, 'src/workerHealth.ts'))).toBe(true);
  });

  it('copies only paths that exist and that .dockerignore lets into the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        expect(existsSync(join(root, source)), `${copy}: ${source} is missing`).toBe(true);
        expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source.replace(/\/$/, ''));
      }
    }
  });
});

describe('compose/temporal-setup.sh on a real Temporal server', () => {
  it('creates the namespace and registers the search attributes, and can run again', () => {
    const cli = ensureTemporalCli(root, () => {});
    expect(cli, 'the Temporal CLI (npm run setup installs it)').toBeDefined();
    const namespace = `compose-${randomUUID().slice(0, 8)}`;
    const address = inject('temporalAddress');
    const runSetup = () =>
      execFileSync('sh', [join(root, 'compose/temporal-setup.sh')], {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          PATH: `${join(cli!, '..')}:${process.env.PATH}`,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          SEARCH_ATTRIBUTES: service('temporal-setup').environment!.SEARCH_ATTRIBUTES,
          SETUP_PAUSE_SECONDS: '1',
        },
      });
    expect(runSetup()).toContain(`namespace ${namespace} created`);
    expect(runSetup()).toContain(`namespace ${namespace} exists`);
    const listed = JSON.parse(
      execFileSync(
        cli!,
        ['operator', 'search-attribute', 'list', '--namespace', namespace, '--address', address, '--output', 'json'],
        { encoding: 'utf8' },
      ),
    ) as { customAttributes: Record<string, string> };
    const expected = Object.fromEntries(
      SEARCH_ATTRIBUTES.map((sa) => sa.split('=')).map(([name, type]) => [
        name,
        `INDEXED_VALUE_TYPE_${type!.toUpperCase()}`,
      ]),
    );
    expect(listed.customAttributes).toEqual(expected); // a fresh namespace: the script registered all of them
  }, 180_000);
});
