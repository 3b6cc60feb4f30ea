#!/bin/sh
# One-shot (service temporal-schema): brings Temporal's two PostgreSQL databases, created by
# temporal-db-init.sql, to the schema this admin-tools image ships. Safe to re-run: setup-schema
# keeps a newer version, update-schema applies only the missing versions.
set -eu
: "${POSTGRES_SEEDS:?set POSTGRES_SEEDS to the database host}"
: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${POSTGRES_PWD_FILE:?set POSTGRES_PWD_FILE to the password file (a compose secret)}"
# temporal-sql-tool reads the password from SQL_PASSWORD; it never appears in argv or the compose file.
SQL_PASSWORD=$(cat "$POSTGRES_PWD_FILE")
export SQL_PASSWORD

schema_dir=/etc/temporal/schema/postgresql/v12
for store in temporal visibility; do
  if [ "$store" = temporal ]; then db=temporal; else db=temporal_visibility; fi
  echo "temporal-schema: $db"
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --db "$db" update-schema -d "$schema_dir/$store/versioned"
done
echo "temporal-schema: done"
