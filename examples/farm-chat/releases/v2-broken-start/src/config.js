// BROKEN ON PURPOSE (release v2-broken-start): this config also requires SATSHOT_REGION, which the
// production env file does not set and which .safe-deploy.json forgot to declare in requiredEnv.
// So safe-deploy's pre-checks pass, and after the restart the process logs
// "missing required environment variable(s): SATSHOT_REGION; refusing to start" and exits 1:
// /health never answers and the restart step fails.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

export class ConfigError extends Error {}

/**
 * Reads the settings the app cannot run without. Throws ConfigError (the server logs it and
 * exits 1) rather than starting half-configured: tokens signed without a secret are worthless.
 */
export function loadConfig(env = process.env) {
  const missing = ['SESSION_SECRET', 'DATABASE_URL', 'SATSHOT_REGION'].filter((key) => !env[key]);
  if (missing.length) throw new ConfigError(`missing required environment variable(s): ${missing.join(', ')}`);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`PORT must be a TCP port, got "${env.PORT}"`);
  return {
    version: pkg.version, port, sessionSecret: env.SESSION_SECRET, databaseUrl: env.DATABASE_URL, env,
    satshotRegion: env.SATSHOT_REGION,
    // Set by the supervisor (appctl): the flag file whose presence pauses writes, and the token that passes anyway.
    maintenanceFile: env.FARM_CHAT_MAINTENANCE_FILE, maintenanceBypassToken: env.MAINTENANCE_BYPASS_TOKEN,
  };
}
