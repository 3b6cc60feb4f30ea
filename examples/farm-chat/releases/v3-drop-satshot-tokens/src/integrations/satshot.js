import { readFile } from 'node:fs/promises';
import xml2js from 'xml2js';

const REQUIRED_ENV = ['SATSHOT_USERNAME', 'SATSHOT_PASSWORD', 'SATSHOT_SERVER', 'SATSHOT_MCP_PORT'];

let capabilities;
/** Capability names from the bundled XML document, parsed once (needs the xml2js package). */
async function loadCapabilities() {
  capabilities ??= readFile(new URL('./satshot-capabilities.xml', import.meta.url), 'utf8')
    .then((xml) => xml2js.parseStringPromise(xml))
    .then((doc) => doc.capabilities.capability.map((c) => c.$.name));
  return capabilities;
}

function mcpPort(value) {
  const port = Number(value);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/**
 * Satshot (satellite imagery, reached over MCP). The MCP server authenticates with the
 * integration's own credentials, so connecting only marks the user; status shows the server and
 * port but never the password.
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
      capabilities: await loadCapabilities(),
    };
  },
  async connect({ prisma, user }) {
    await prisma.user.update({ where: { id: user.id }, data: { satshotConnected: true } });
  },
};
