// @chat-replay/server/postgres: sessions and history in Postgres (needs the `postgres` package).
export {
  connectPostgres,
  createPostgresHistory,
  type PostgresHistoryOptions,
  redactDatabaseUrl,
} from "./postgres/create-postgres-history";
export {
  checkPostgresSchema,
  MIGRATIONS,
  type Migration,
  migratePostgres,
  SCHEMA_VERSION,
  schemaVersion,
} from "./postgres/migrations";
export { PostgresSessionStore, type PostgresSessionStoreOptions } from "./postgres/postgres-session-store";
