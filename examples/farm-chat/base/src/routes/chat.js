import { HttpError } from '../http.js';

const PAGE_SIZE = 50;
const MAX_BODY = 2000;

async function listMessages({ prisma }) {
  const rows = await prisma.message.findMany({
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: PAGE_SIZE,
    include: { user: { select: { name: true } } },
  });
  const messages = rows.map((m) => ({ id: m.id, body: m.body, author: m.user.name, createdAt: m.createdAt.toISOString() }));
  return [200, { messages }];
}

async function postMessage({ body, user, prisma }) {
  const text = typeof body.body === 'string' ? body.body.trim() : '';
  if (text.length === 0 || text.length > MAX_BODY) throw new HttpError(400, `body must be 1 to ${MAX_BODY} characters`);
  const message = await prisma.message.create({ data: { userId: user.id, body: text } });
  return [201, { id: message.id, body: message.body }];
}

export const chatRoutes = [
  { method: 'GET', path: '/chat/messages', auth: true, handler: listMessages },
  { method: 'POST', path: '/chat/messages', auth: true, handler: postMessage },
];
