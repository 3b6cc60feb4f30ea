import { hashPassword, signToken, verifyPassword } from '../auth.js';
import { HttpError } from '../http.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const publicUser = (u) => ({ id: u.id, email: u.email, name: u.name });

function credentials(body, { withName }) {
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!EMAIL.test(email) || email.length > 254) throw new HttpError(400, 'a valid email is required');
  if (password.length < 8 || password.length > 200) throw new HttpError(400, 'password must be 8 to 200 characters');
  if (withName && (name.length === 0 || name.length > 100)) throw new HttpError(400, 'name must be 1 to 100 characters');
  return { email, password, name };
}

async function register({ body, prisma }) {
  const { email, password, name } = credentials(body, { withName: true });
  try {
    const user = await prisma.user.create({ data: { email, name, passwordHash: await hashPassword(password) } });
    return [201, publicUser(user)];
  } catch (err) {
    if (err.code === 'P2002') throw new HttpError(409, 'email already registered'); // unique violation
    throw err;
  }
}

async function login({ body, prisma, config }) {
  let creds;
  try {
    creds = credentials(body, { withName: false });
  } catch {
    throw new HttpError(401, 'invalid email or password');
  }
  const user = await prisma.user.findUnique({ where: { email: creds.email } });
  const ok = await verifyPassword(creds.password, user?.passwordHash);
  if (!user || !ok) throw new HttpError(401, 'invalid email or password');
  return [200, { token: signToken(user.id, config.sessionSecret), user: publicUser(user) }];
}

export const authRoutes = [
  { method: 'POST', path: '/auth/register', handler: register },
  { method: 'POST', path: '/auth/login', handler: login },
];
