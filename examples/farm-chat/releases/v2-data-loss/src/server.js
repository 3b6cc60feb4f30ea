// Part of release v2-data-loss (BROKEN ON PURPOSE): the server now runs the chat retention job
// (src/jobs/retention.js, whose cutoff is wrong) before it starts listening, so by the time
// /health answers, every chat message is gone.
import { createServer } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createPrisma } from './db.js';
import { applyMessageRetention, RETENTION_DAYS } from './jobs/retention.js';
import { briefError } from './log.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`farm-chat: ${err.message}; refusing to start`);
  process.exit(1);
}

const prisma = createPrisma(config.databaseUrl);

try {
  const deleted = await applyMessageRetention(prisma);
  console.log(`farm-chat: retention (${RETENTION_DAYS} days) deleted ${deleted} chat messages`);
} catch (err) {
  console.error(`farm-chat: retention job failed: ${briefError(err)}`);
}

const server = createServer(createApp({ prisma, config }));

server.on('error', (err) => {
  console.error(`farm-chat: cannot listen on 127.0.0.1:${config.port}: ${err.message}`);
  process.exit(1);
});
server.listen(config.port, '127.0.0.1', () => {
  console.log(`farm-chat ${config.version} listening on http://127.0.0.1:${config.port}`);
});

// SIGTERM is how the supervisor stops us: finish in-flight requests, release DB connections, exit 0.
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`farm-chat: ${signal} received, shutting down`);
  setTimeout(() => {
    console.error('farm-chat: shutdown took over 5 s, exiting anyway');
    process.exit(1);
  }, 5000).unref();
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections(); // keep-alive sockets would otherwise hold close() open
  await closed;
  await prisma.$disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
