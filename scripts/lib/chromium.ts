import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium: Playwright drives it (no browser download of its own, which fails here). */
export const CHROMIUM = '/usr/bin/chromium';
/** The runbook marks in the current details (✅ ❌ ⏭) are emoji: without this font they show as boxes. */
const EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf';

/**
 * Flags for a headless Chromium on a machine whose network reaches only package registries:
 * without the background-networking ones it keeps trying Google's hosts at every start.
 * Playwright adds --headless and the fresh --user-data-dir itself (launchPersistentContext).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function aptGetInstall(packages: string[], log: (line: string) => void): void {
  log(`installing Debian ${packages.join(', ')} with apt-get (a minute or two)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    const r = spawnSync('apt-get', args, {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 900_000,
    });
    if (r.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
  }
}

/** Finds Chromium (and an emoji font), installing Debian's packages with apt-get when missing and we are root. */
export function ensureChromium(log: (line: string) => void): string {
  const missing = [
    ...(existsSync(CHROMIUM) ? [] : ['chromium']),
    ...(existsSync(EMOJI_FONT) ? [] : ['fonts-noto-color-emoji']),
  ];
  if (missing.length === 0) return CHROMIUM;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!existsSync(CHROMIUM) && !canInstall)
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  if (canInstall) aptGetInstall(missing, log);
  else
    log(`no emoji font (${EMOJI_FONT}): the runbook marks will show as boxes; apt-get install fonts-noto-color-emoji`);
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there`);
  return CHROMIUM;
}
