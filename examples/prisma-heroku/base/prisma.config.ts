// Prisma CLI configuration. Migrations run through the WebAssembly schema engine bundled in the
// CLI over the pg driver adapter, because production hosts cannot download Prisma's native
// schema engine (binaries.prisma.sh is unreachable from them).
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// adapter-pg reports catalog columns of type name (OID 19) and "char" (OID 18) as unsupported,
// so `migrate deploy` fails with "Column type 'name' could not be deserialized"
// (prisma/orm#27403). Their values already arrive as strings: report them as text (OID 25).
const fixFields = (q: any) => {
  const performIO = q.performIO.bind(q);
  q.performIO = async (...args: any[]) => {
    const res = await performIO(...args);
    for (const f of res.fields ?? []) if (f.dataTypeID === 18 || f.dataTypeID === 19) f.dataTypeID = 25;
    return res;
  };
  const startTransaction = q.startTransaction?.bind(q);
  if (startTransaction) q.startTransaction = async (...a: any[]) => fixFields(await startTransaction(...a));
  return q;
};

class CatalogSafePrismaPg extends PrismaPg {
  async connect() { return fixFields(await super.connect()); }
  async connectToShadowDb() { return fixFields(await super.connectToShadowDb()); }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  // A short idle timeout lets the CLI exit promptly once migrations are done.
  adapter: async () => new CatalogSafePrismaPg({ connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 200 }),
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});

// The WebAssembly schema engine arms a 10 s timer (its advisory-lock timeout) and never clears
// it, which keeps `prisma migrate deploy` alive 10 s after it finished. Unref such long timers.
const armTimer = globalThis.setTimeout;
globalThis.setTimeout = ((fn: any, ms?: number, ...args: any[]) => {
  const t = armTimer(fn, ms, ...args);
  if ((ms ?? 0) >= 10_000) t.unref();
  return t;
}) as typeof setTimeout;
