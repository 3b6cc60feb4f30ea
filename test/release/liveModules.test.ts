import { describe, expect, it } from 'vitest';
import {
  installedDiffersFromLock,
  installInputsDiffer,
  lockfileForInstall,
  type InstallInputs,
} from '../../src/release/liveModules.js';

const lock = (version: string, packages: Record<string, Record<string, unknown>> = {}) =>
  JSON.stringify({
    name: 'farm-chat',
    version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'farm-chat', version, dependencies: { pg: '8.16.3' } },
      'node_modules/pg': { version: '8.16.3', integrity: 'sha512-pg' },
      ...packages,
    },
  });
const tree = (o: Partial<InstallInputs> = {}): InstallInputs => ({
  packageJson: { name: 'farm-chat', version: '1.0.0', dependencies: { pg: '8.16.3' }, scripts: { build: 'x' } },
  lockfile: lock('1.0.0'),
  ...o,
});

describe('whether a release installs exactly what the live tree has installed', () => {
  it('the same dependencies: yes, whatever the root version, scripts or formatting of the lockfile', () => {
    expect(installInputsDiffer(tree(), tree())).toBeUndefined();
    const bumped = tree({
      packageJson: { name: 'farm-chat', version: '3.0.0', dependencies: { pg: '8.16.3' }, scripts: { start: 'y' } },
      lockfile: JSON.stringify(JSON.parse(lock('3.0.0')), null, 4),
    });
    expect(installInputsDiffer(tree(), bumped)).toBeUndefined();
  });

  it.each([
    [
      'a dependency added',
      { packageJson: { dependencies: { pg: '8.16.3', xml2js: '0.6.2' } } },
      /dependencies changed/,
    ],
    ['an override', { packageJson: { dependencies: { pg: '8.16.3' }, overrides: { a: '1' } } }, /overrides changed/],
    ['a locked version', { lockfile: lock('1.0.0', { 'node_modules/pg': { version: '8.16.4' } }) }, /lock.*changed/],
    ['an .npmrc', { npmrc: 'omit=dev\n' }, /\.npmrc changed/],
    ['no lockfile', { lockfile: undefined }, /release has no package-lock\.json/],
    ['a shrinkwrap', { shrinkwrap: '{}' }, /npm-shrinkwrap\.json/],
    ['a lockfile that is not JSON', { lockfile: '{"packages": ' }, /not valid JSON/],
  ])('%s: no, and says why', (_, release, why) => {
    const r = { ...tree(), ...release } as InstallInputs;
    if (!('packageJson' in release)) r.packageJson = tree().packageJson;
    expect(installInputsDiffer(tree(), r)).toMatch(why);
  });

  it('the root entry keeps its dependencies; only its name and version are dropped', () => {
    const l = lockfileForInstall(lock('2.0.0'));
    expect(l).not.toHaveProperty('version');
    expect(l.packages!['']).toEqual({ dependencies: { pg: '8.16.3' } });
  });
});

describe("whether the live node_modules is its lockfile's install (node_modules/.package-lock.json)", () => {
  const locked = JSON.parse(
    lock('1.0.0', {
      'node_modules/fsevents': { version: '2.3.3', optional: true },
      'node_modules/vitest': { version: '4.0.0', dev: true },
    }),
  );
  const hidden = (packages: Record<string, Record<string, unknown>>) => ({
    name: 'farm-chat',
    version: '1.0.0',
    packages,
  });
  it('every locked package installed as locked, an optional one may be left out: yes', () => {
    const installed = {
      'node_modules/pg': locked.packages['node_modules/pg'],
      'node_modules/vitest': locked.packages['node_modules/vitest'],
    };
    expect(installedDiffersFromLock(locked, hidden(installed))).toBe(undefined);
  });
  it.each([
    [
      'another version installed',
      { 'node_modules/pg': { version: '8.0.0', integrity: 'sha512-pg' } },
      /pg is installed as 8\.0\.0, the lockfile says 8\.16\.3/,
    ],
    [
      'a package that is not locked',
      {
        'node_modules/pg': { version: '8.16.3', integrity: 'sha512-pg' },
        'node_modules/left-pad': { version: '1.3.0' },
      },
      /left-pad is installed but not in the lockfile/,
    ],
    ['a required package missing', {}, /node_modules\/pg is locked but not installed/],
    [
      'a dev package missing (installed with --omit=dev: npm ci would install it)',
      { 'node_modules/pg': { version: '8.16.3', integrity: 'sha512-pg' } },
      /vitest \(a dev dependency\) is locked but not installed: the live tree omitted dev dependencies/,
    ],
  ])('%s: no', (_, packages, why) => expect(installedDiffersFromLock(locked, hidden(packages))).toMatch(why));
});
