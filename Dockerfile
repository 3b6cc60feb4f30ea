# The safe-deploy worker: Node 20 plus the tools its activities run on the app host — git, npm,
# pg_dump/pg_restore 15 (a dump needs a pg_dump at least as new as the server: app-db is 15).
# Used by docker-compose.yml (service `worker`); validated by test/compose, not built in CI.

# --- build: compile TypeScript with the dev dependencies, then drop them ----------------------
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /opt/safe-deploy
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied (done below), and no
# third-party install script is needed (swc's native binding is an ordinary optional dependency).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --ignore-scripts

# --- runtime -------------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/safe-deploy
COPY --from=build /opt/safe-deploy/package.json ./
COPY --from=build /opt/safe-deploy/node_modules ./node_modules
COPY --from=build /opt/safe-deploy/dist ./dist
# Where compose mounts the app's working copies and the backups: owned by the worker's user, so
# fresh named volumes are too.
RUN mkdir -p /srv/apps /var/backups/safe-deploy && chown node:node /srv/apps /var/backups/safe-deploy
USER node
# Same entry as `npm run worker`; the worker drains on SIGTERM (compose adds an init to reap children).
CMD ["node", "dist/src/worker.js"]
