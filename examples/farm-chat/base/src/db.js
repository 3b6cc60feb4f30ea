import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

/**
 * Prisma over the pg driver adapter: with engineType "client" queries are planned by the
 * WebAssembly query compiler, so no native query engine has to exist on the host.
 */
export function createPrisma(connectionString) {
  // A bounded connect timeout keeps /health answering 503 instead of hanging when PG is down.
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, connectionTimeoutMillis: 3000 }) });
}
