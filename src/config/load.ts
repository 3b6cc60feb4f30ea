import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_FILE } from '../shared/constants.js';

/** The worker config files a worker looks for, in this order, when SAFE_DEPLOY_CONFIG is not set. */
export const CONFIG_FILE_NAMES = ['safe-deploy.config.json', 'safe-deploy.config.yaml'] as const;

/** A YAML config (`safe-deploy init` writes one, with comments) or JSON: chosen by the file's extension. */
export const isYamlConfig = (path: string): boolean => /\.ya?ml$/i.test(path);

/**
 * The worker config file's content, not yet validated (workerConfigSchema does that). YAML for
 * `.yaml`/`.yml` (JSON is YAML too, but a `.json` file stays strict JSON), else JSON. Throws with
 * the parser's message, which names the line.
 */
export function readConfigFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  // uniqueKeys: a key given twice is an error, not "the last one wins" as JSON.parse would have it.
  return isYamlConfig(path) ? parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) : JSON.parse(text);
}

/** SAFE_DEPLOY_CONFIG, else the first of safe-deploy.config.json / .yaml in `dir` that exists (else the JSON name). */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env, dir = process.cwd()): string {
  if (env.SAFE_DEPLOY_CONFIG) return resolve(dir, env.SAFE_DEPLOY_CONFIG);
  const found = CONFIG_FILE_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path));
  return found ?? join(dir, DEFAULT_CONFIG_FILE);
}
