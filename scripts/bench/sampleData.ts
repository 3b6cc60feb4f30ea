/**
 * A farm-chat database of a given size for the benchmark: the sample app's own migrations, then
 * users and messages written by INSERT … SELECT generate_series (no row crosses the wire), with
 * chat text drawn from a few thousand generated sentences, until pg_database_size reaches the target.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { FARM_CHAT_DIR } from '../lib/farmChat.js';

const CROPS = ['corn', 'soybeans', 'wheat', 'barley', 'canola', 'alfalfa', 'sunflowers', 'sorghum', 'oats', 'cotton'];
const PLACES = [
  'north pivot',
  'east block',
  'creek field',
  'home quarter',
  'river bottom',
  'west 80',
  'hill field',
  'south section',
  'old orchard',
  'grain yard',
];
const MACHINES = [
  'sprayer 2',
  'the planter',
  'combine 1',
  'the grain cart',
  'tractor 4',
  'the seed tender',
  'the drone',
  'the swather',
  'pivot 3',
  'the fuel truck',
];
const PEOPLE = ['Ana', 'Ben', 'Carla', 'Diego', 'Emma', 'Felipe', 'Grace', 'Hugo', 'Iris', 'Jonas', 'Lucía', 'Mateo'];
const STATES = [
  'patchy',
  'good',
  'dry',
  'waterlogged',
  'ahead of schedule',
  'behind',
  'yellowing at the edges',
  'even',
  'stressed',
  'ready',
];
const TEMPLATES: ((w: (list: string[]) => string, n: () => number) => string)[] = [
  (w, n) => `Moisture at the ${w(PLACES)} is down to ${10 + (n() % 25)}%.`,
  (w) => `${cap(w(MACHINES))} is back from the shop.`,
  (w, n) => `NDVI looks ${w(STATES)} on field ${1 + (n() % 40)}, can someone check it?`,
  (w) => `Harvest of the ${w(CROPS)} starts Monday if the weather holds.`,
  (w, n) => `Who has the key to grain bin ${1 + (n() % 12)}?`,
  (w) => `Soil samples from the ${w(PLACES)} went out today.`,
  (w) => `Frost warning tonight, cover the ${w(CROPS)} seedlings near the ${w(PLACES)}.`,
  (w) => `${cap(w(MACHINES))} lost GPS again near the ${w(PLACES)}.`,
  (w, n) => `${w(PEOPLE)}, can you move ${w(MACHINES)} to the ${w(PLACES)} before ${5 + (n() % 7)} pm?`,
  (w, n) => `Yield on the ${w(PLACES)} came in at ${40 + (n() % 180)} bu/ac for the ${w(CROPS)}.`,
  (w, n) =>
    `Ordered ${2 + (n() % 30)} tons of fertilizer for the ${w(CROPS)}, delivery on ${['Tuesday', 'Thursday', 'Friday'][n() % 3]}.`,
  (w) => `The ${w(CROPS)} on the ${w(PLACES)} look ${w(STATES)} after the rain.`,
  (w, n) => `Rain gauge at the ${w(PLACES)} says ${1 + (n() % 60)} mm since last night.`,
  (w) => `${w(PEOPLE)} says ${w(MACHINES)} needs new tires before spraying the ${w(CROPS)}.`,
  (w, n) => `John Deere Operations Center shows ${w(MACHINES)} idle for ${1 + (n() % 9)} hours, is it stuck?`,
  (w) => `Auravant flagged a weed patch in the ${w(CROPS)} on the ${w(PLACES)}.`,
  (w, n) => `Scouting report: ${1 + (n() % 20)} aphids per plant in the ${w(CROPS)}, below threshold for now.`,
  (w) => `Thanks ${w(PEOPLE)}, the ${w(PLACES)} is done.`,
];
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Deterministic sentences (mulberry32), so every run writes the same text. */
export function chatSentences(count: number, seed = 7): string[] {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return (x ^ (x >>> 14)) >>> 0;
  };
  const pick = (list: string[]) => list[next() % list.length]!;
  return Array.from({ length: count }, () => TEMPLATES[next() % TEMPLATES.length]!(pick, next));
}

/** The sample app's migrations, in the order Prisma applies them (v1's: users, messages, indexes, foreign key). */
export function farmChatMigrationSql(): string[] {
  const dir = join(FARM_CHAT_DIR, 'base', 'prisma', 'migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => readFileSync(join(dir, name, 'migration.sql'), 'utf8'));
}

export async function applyFarmChatSchema(client: pg.ClientBase): Promise<void> {
  for (const sql of farmChatMigrationSql()) await client.query(sql);
}

export interface FillResult {
  users: number;
  messages: number;
  sizeBytes: number;
  durationMs: number;
}

const databaseSize = async (c: pg.ClientBase) =>
  Number((await c.query<{ s: string }>('SELECT pg_database_size(current_database()) AS s')).rows[0]!.s);

const MESSAGE_BATCH_SQL = `INSERT INTO messages ("userId", body, "createdAt")
  SELECT $1::int + (g * 7919) % ($2::int - $1::int + 1),
         CASE g % 4 WHEN 0 THEN s[1 + (g * 104729) % n] || ' ' || s[1 + (g * 1299709) % n]
                    WHEN 1 THEN s[1 + (g * 104729) % n] || ' ' || s[1 + (g * 15485863) % n] || ' ' || s[1 + (g * 7927) % n]
                    ELSE s[1 + (g * 104729) % n] END,
         timestamp '2024-06-01' + g * interval '3 seconds'
    FROM generate_series($3::bigint, $4::bigint) g, (SELECT $5::text[] AS s, array_length($5::text[], 1) AS n) v`;

/**
 * Adds users (about one per 12 kB of target size) and messages (one to three sentences each,
 * spread over the users and over two years) until the database is `targetBytes`, then VACUUM
 * ANALYZE so that every method reads the same settled pages. The userId index and the foreign
 * key are dropped while most rows load (random inserts into that index and a lookup per row are
 * what makes a bulk load slow) and rebuilt from the migration's own definitions.
 */
export async function fillFarmChatDatabase(
  c: pg.ClientBase,
  o: { targetBytes: number; onProgress?: (sizeBytes: number, messages: number) => void },
): Promise<FillResult> {
  const started = Date.now();
  await c.query('SET synchronous_commit = off');
  await c.query("SET maintenance_work_mem = '256MB'");
  const sentences = chatSentences(4000);
  const userCount = Math.max(50, Math.round(o.targetBytes / 12_000));
  const { rows } = await c.query<{ lo: number; hi: number }>(
    `WITH ins AS (
       INSERT INTO users (email, name, "passwordHash", "createdAt", "johnDeereConnected", "auravantConnected")
       SELECT 'grower' || g || '@bench.farm-chat.example',
              ($2::text[])[1 + g % array_length($2::text[], 1)] || ' ' || ($3::text[])[1 + (g / 7) % array_length($3::text[], 1)],
              'scrypt$' || md5(g::text) || '$' || md5(g::text || 'a') || md5(g::text || 'b') || md5(g::text || 'c') || md5(g::text || 'd'),
              timestamp '2024-01-01' + g * interval '11 minutes', g % 3 = 0, g % 4 = 0
         FROM generate_series(1, $1::int) g
       RETURNING id)
     SELECT min(id) AS lo, max(id) AS hi FROM ins`,
    [
      userCount,
      PEOPLE,
      ['Miller', 'Souza', 'Schmidt', 'García', 'Olsen', 'Rossi', 'Nguyen', 'Keller', 'Duarte', 'Haddad', 'Novak'],
    ],
  );
  const { lo, hi } = rows[0]!;
  const deferred = await c.query<{ name: string; def: string; kind: 'index' | 'constraint' }>(
    `SELECT indexname AS name, indexdef AS def, 'index' AS kind FROM pg_indexes WHERE tablename = 'messages' AND indexdef LIKE '%("userId")%'
     UNION ALL
     SELECT conname, 'ALTER TABLE messages ADD CONSTRAINT "' || conname || '" ' || pg_get_constraintdef(oid), 'constraint' FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f'`,
  );
  for (const d of deferred.rows)
    await c.query(d.kind === 'index' ? `DROP INDEX "${d.name}"` : `ALTER TABLE messages DROP CONSTRAINT "${d.name}"`);

  let messages = 0;
  let size = await databaseSize(c);
  let bytesPerMessage = 250;
  const load = async (until: number) => {
    while (size < until) {
      const batch = Math.max(10_000, Math.min(500_000, Math.ceil((until - size) / bytesPerMessage)));
      await c.query(MESSAGE_BATCH_SQL, [lo, hi, messages + 1, messages + batch, sentences]);
      messages += batch;
      const grown = await databaseSize(c);
      bytesPerMessage = Math.max(50, (grown - size) / batch);
      size = grown;
      o.onProgress?.(size, messages);
    }
  };
  // The userId index is about a twentieth of the whole: stop short of the target, rebuild, top up.
  await load(o.targetBytes * 0.95);
  for (const d of deferred.rows) await c.query(d.def);
  size = await databaseSize(c);
  await load(o.targetBytes);
  await c.query('VACUUM (ANALYZE) users');
  await c.query('VACUUM (ANALYZE) messages');
  return { users: hi - lo + 1, messages, sizeBytes: await databaseSize(c), durationMs: Date.now() - started };
}
