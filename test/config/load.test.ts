import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfigPath, readConfigFile } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-config-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

describe('readConfigFile: YAML by extension, JSON otherwise', () => {
  it('reads YAML with comments and flow arrays as the JSON it stands for', () => {
    const path = file(
      'a.yaml',
      '# a comment\napps:\n  shop:\n    production:\n      commands: { restart: [systemctl, restart, shop] }\n',
    );
    expect(readConfigFile(path)).toEqual({
      apps: { shop: { production: { commands: { restart: ['systemctl', 'restart', 'shop'] } } } },
    });
  });

  it('refuses a key given twice in YAML (JSON.parse would keep the last silently)', () => {
    const path = file('twice.yml', 'apps: {}\napps: { shop: {} }\n');
    expect(() => readConfigFile(path)).toThrow(/Map keys must be unique/);
  });

  it('a .json file stays strict JSON: a YAML comment in it is an error', () => {
    const path = file('b.json', '# not JSON\n{"apps": {}}');
    expect(() => readConfigFile(path)).toThrow(SyntaxError);
  });
});

describe('defaultConfigPath', () => {
  it('SAFE_DEPLOY_CONFIG first, then safe-deploy.config.json, then safe-deploy.config.yaml', () => {
    const here = mkdtempSync(join(dir, 'cwd-'));
    expect(defaultConfigPath({}, here)).toBe(join(here, 'safe-deploy.config.json'));
    writeFileSync(join(here, 'safe-deploy.config.yaml'), 'apps: {}\n');
    expect(defaultConfigPath({}, here)).toBe(join(here, 'safe-deploy.config.yaml'));
    writeFileSync(join(here, 'safe-deploy.config.json'), '{"apps": {}}');
    expect(defaultConfigPath({}, here)).toBe(join(here, 'safe-deploy.config.json'));
    expect(defaultConfigPath({ SAFE_DEPLOY_CONFIG: 'etc/x.yaml' }, here)).toBe(join(here, 'etc/x.yaml'));
  });
});
