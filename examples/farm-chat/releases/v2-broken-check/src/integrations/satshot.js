// BROKEN ON PURPOSE (release v2-broken-check): the capabilities document is read from
// ./data/satshot-capabilities.xml, but the file was never moved there (it is still beside this
// module). Every GET /integrations/satshot then fails with ENOENT and answers 500. /health does not
// touch it, so the restart succeeds and only the post-deploy check "satshot" (declared in
// .safe-deploy.json) catches it.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import xml2js from 'xml2js';

const REQUIRED_ENV = ['SATSHOT_USERNAME', 'SATSHOT_PASSWORD', 'SATSHOT_SERVER', 'SATSHOT_MCP_PORT'];

let capabilities;
/** Capability names from the bundled XML document, parsed once (needs the xml2js package). */
async function loadCapabilities() {
  capabilities ??= readFile(new URL('./data/satshot-capabilities.xml', import.meta.url), 'utf8')
    .then((xml) => xml2js.parseStringPromise(xml))
    .then((doc) => doc.capabilities.capability.map((c) => c.$.name));
  return capabilities;
}

function mcpPort(value) {
  const port = Number(value);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/**
 * Satshot (satellite imagery, reached over MCP). Status shows the server and port but never the
 * username's password. Connecting stores a per-user session token in satshot_tokens.
 */
export const satshot = {
  name: 'satshot',
  async status({ prisma, config }) {
    const env = config.env;
    return {
      integration: 'satshot',
      configured: REQUIRED_ENV.every((key) => Boolean(env[key])),
      server: env.SATSHOT_SERVER || null,
      mcpPort: mcpPort(env.SATSHOT_MCP_PORT),
      connectedUsers: await prisma.user.count({ where: { satshotConnected: true } }),
      tokens: await prisma.satshotToken.count(),
      capabilities: await loadCapabilities(),
    };
  },
  async connect({ prisma, user }) {
    await prisma.$transaction([
      prisma.user.update({ where: { id: user.id }, data: { satshotConnected: true } }),
      prisma.satshotToken.create({ data: { userId: user.id, token: randomBytes(24).toString('base64url') } }),
    ]);
  },
};
