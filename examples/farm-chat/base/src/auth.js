import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt);
const KEY_LENGTH = 64;
const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

/** `scrypt$<salt hex>$<key hex>`: the salt is stored with the key so each hash is self-contained. */
export async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${key.toString('hex')}`;
}

// Checked against when the email is unknown, so both failures take the same time.
const DUMMY_HASH = await hashPassword(randomBytes(16).toString('hex'));

export async function verifyPassword(password, stored = DUMMY_HASH) {
  const [scheme, saltHex, keyHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !keyHex) return false;
  const expected = Buffer.from(keyHex, 'hex');
  const actual = await scryptAsync(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

const sign = (payload, secret) => createHmac('sha256', secret).update(payload).digest('base64url');

/** Token = `<userId>.<expiry ms>.<HMAC-SHA256 of "userId.expiry">`; stateless, so no session table. */
export function signToken(userId, secret, now = Date.now()) {
  const payload = `${userId}.${now + TOKEN_TTL_MS}`;
  return `${payload}.${sign(payload, secret)}`;
}

/** The user id of a valid, unexpired token, else null. */
export function verifyToken(token, secret, now = Date.now()) {
  const match = /^(\d+)\.(\d+)\.([\w-]+)$/.exec(token ?? '');
  if (!match) return null;
  const [, userId, expiry, signature] = match;
  const expected = Buffer.from(sign(`${userId}.${expiry}`, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return Number(expiry) > now ? Number(userId) : null;
}

export function bearerToken(req) {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
}
