-- Runs once, when temporal-db initialises an empty volume. POSTGRES_DB creates `temporal`; the
-- visibility store needs a second database. Creating both here (rather than with temporal-sql-tool's
-- `create`, which fails when the database exists) keeps temporal-schema safe to re-run.
CREATE DATABASE temporal_visibility;
