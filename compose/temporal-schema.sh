#!/bin/sh
# Brings Temporal's two PostgreSQL databases to the schema of the server version in use. Safe to
# re-run: setup-schema keeps a newer version, update-schema applies only the missing versions.
# The one list of schema steps, run by both:
#   - compose's one-shot service temporal-schema (admin-tools image; the databases come from
#     temporal-db-init.sql), with the defaults below;
#   - `npm run cluster` and the cluster tests (scripts/lib/cluster.ts), with the SQL tool and the
#     schema files built from the same server version into .tools.
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the database host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PWD_FILE:?set POSTGRES_PWD_FILE to the password file (a compose secret)}"
# Where the image keeps them; scripts/lib/cluster.ts points at its own build.
sql_tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
schema_dir=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}
# temporal-sql-tool reads the password from SQL_PASSWORD; it never appears in argv or the compose file.
SQL_PASSWORD=$(cat "$POSTGRES_PWD_FILE")
export SQL_PASSWORD

for store in temporal visibility; do
  if [ "$store" = temporal ]; then db=temporal; else db=temporal_visibility; fi
  echo "temporal-schema: $db"
  "$sql_tool" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" setup-schema -v 0.0
  "$sql_tool" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" update-schema -d "$schema_dir/$store/versioned"
done
echo "temporal-schema: done"
