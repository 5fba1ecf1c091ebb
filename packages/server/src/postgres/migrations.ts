import { ChatReplayError } from "@chat-replay/protocol";
import type { Sql } from "postgres";

/** One versioned schema change of the Postgres history store. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The history store's schema, as versioned migrations applied in order by
 * `migratePostgres` (`chat-replay-server migrate`). Never edit a released one: add the next.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "init",
    sql: `
-- Sessions and their history rows: the system of record. Live turn buffers, snapshots,
-- claims and rate-limit counters stay in the live store (memory or Redis).
CREATE TABLE chat_replay_sessions (
  id                text PRIMARY KEY,
  -- Opaque owner id (a hash of the owner's token, or the id identify() returns).
  owner_id          text NOT NULL,
  title             text NOT NULL,
  created_at        timestamptz NOT NULL,
  -- idle | running | waiting_for_approval | stopped | failed (protocol section 2).
  turn_status       text NOT NULL,
  curr_run_id       text,
  stream_id         text,
  last_run_id       text,
  last_stream_id    text,
  prompt            text,
  prompt_message_id text,
  phase             integer NOT NULL DEFAULT 0,
  pending_approvals json NOT NULL DEFAULT '[]',
  -- Epoch ms; a running turn whose lease passed is failure-finalized by the next request.
  lease_expires_at  bigint,
  version           bigint NOT NULL DEFAULT 0,
  -- Epoch ms after which the idle session reads as gone; NULL keeps it forever (TTL 0).
  expires_at        bigint
);
CREATE INDEX chat_replay_sessions_owner ON chat_replay_sessions (owner_id);
CREATE INDEX chat_replay_sessions_expiry ON chat_replay_sessions (expires_at)
  WHERE expires_at IS NOT NULL;

CREATE TABLE chat_replay_history (
  session_id text NOT NULL REFERENCES chat_replay_sessions (id) ON DELETE CASCADE,
  message_id text NOT NULL,
  -- Order of first insertion; an upsert keeps it.
  seq        bigint GENERATED ALWAYS AS IDENTITY,
  -- The run that produced the row (protocol section 3, History); NULL for untagged rows.
  run_id     text,
  -- The whole UIMessage. json, not jsonb, keeps it exactly (\\u0000 included); cast to query.
  message    json NOT NULL,
  PRIMARY KEY (session_id, message_id)
);
CREATE UNIQUE INDEX chat_replay_history_order ON chat_replay_history (session_id, seq);
`,
  },
];

/** The schema version this code needs. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const MIGRATIONS_TABLE = "chat_replay_schema_migrations";
/** Serialises concurrent `migrate` runs (an arbitrary constant of this package). */
const MIGRATE_LOCK = 7_362_841_913;

/**
 * Applies every migration the database lacks, each in its own transaction, under an
 * advisory lock (two instances migrating at once apply each version once). Returns the
 * versions applied, oldest first.
 * @example await migratePostgres(postgres(process.env.DATABASE_URL!));
 */
export async function migratePostgres(sql: Sql): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK})`;
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await tx.unsafe<{ version: number }[]>(`SELECT version FROM ${MIGRATIONS_TABLE}`)).map(
        (row) => row.version,
      ),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx.unsafe(`INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** The newest migration applied to the database, or 0 if none (no migrations table). */
export async function schemaVersion(sql: Sql): Promise<number> {
  const [table] = await sql<
    { exists: boolean }[]
  >`SELECT to_regclass(${MIGRATIONS_TABLE}) IS NOT NULL AS exists`;
  if (!table?.exists) return 0;
  const [row] = await sql.unsafe<{ version: number | null }[]>(
    `SELECT max(version) AS version FROM ${MIGRATIONS_TABLE}`,
  );
  return row?.version ?? 0;
}

/**
 * Startup check: resolves when the database is at exactly the schema this code needs; else
 * throws `ChatReplayError` `schema_mismatch` saying what to do (run `chat-replay-server
 * migrate`, or upgrade the server). The message never contains the database URL.
 */
export async function checkPostgresSchema(sql: Sql): Promise<void> {
  const version = await schemaVersion(sql);
  if (version === SCHEMA_VERSION) return;
  if (version < SCHEMA_VERSION) {
    throw new ChatReplayError(
      "schema_mismatch",
      `The history database is at schema version ${version}, this server needs ${SCHEMA_VERSION}: run \`chat-replay-server migrate --database-url URL\` first.`,
    );
  }
  throw new ChatReplayError(
    "schema_mismatch",
    `The history database is at schema version ${version}, newer than this server knows (${SCHEMA_VERSION}): upgrade the server.`,
  );
}
