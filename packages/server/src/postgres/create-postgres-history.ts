import { ChatReplayError } from "@chat-replay/protocol";
import postgres, { type Sql } from "postgres";
import { MemorySessionStore } from "../memory-session-store";
import type { SessionStore } from "../session-store";
import { checkPostgresSchema } from "./migrations";
import { PostgresSessionStore } from "./postgres-session-store";

/** Options of {@link createPostgresHistory}. */
export interface PostgresHistoryOptions {
  /** `postgres://user:pass@host:5432/db`. Default `$DATABASE_URL`. Ignored when `sql` is given. */
  readonly url?: string;
  /** An existing `postgres` client instead of `url` (then `close()` leaves it open). */
  readonly sql?: Sql;
  /** Most connections of this process's pool (with `url`). Default 10. */
  readonly maxConnections?: number;
  /**
   * The live store for claims and rate-limit counters: the Redis session store for several
   * instances (`createRedisStores(...).sessionStore`), or one process's memory. Default: a
   * new `MemorySessionStore`. Closed with the history store.
   */
  readonly live?: SessionStore;
  /** Idle lifetime of a session and its history; 0 keeps them forever. Default 30 days. */
  readonly sessionTtlMs?: number;
  /** Clock (epoch ms) for leases, `createdAt` and expiry; injectable for tests. */
  readonly now?: () => number;
  /** Check the schema version before returning (default true): a database behind fails here. */
  readonly checkSchema?: boolean;
}

/**
 * Sessions and history in Postgres, live state elsewhere: returns a `SessionStore` to pass
 * as `sessionStore` to `createReplayServer`, after checking that the database is migrated
 * (`chat-replay-server migrate`), else it rejects with `ChatReplayError` `schema_mismatch`.
 * @example
 * const redis = createRedisStores({ url: process.env.REDIS_URL });
 * const sessionStore = await createPostgresHistory({ url: process.env.DATABASE_URL, live: redis.sessionStore });
 * const server = createReplayServer({ ...redis.serverOptions, sessionStore, model });
 */
export async function createPostgresHistory(
  options: PostgresHistoryOptions = {},
): Promise<PostgresSessionStore> {
  const owned = options.sql === undefined;
  const sql = options.sql ?? connectPostgres(options.url, options.maxConnections);
  const live = options.live ?? new MemorySessionStore();
  try {
    if (options.checkSchema ?? true) await checkPostgresSchema(sql);
  } catch (error) {
    if (owned) await sql.end({ timeout: 1 });
    throw error;
  }
  return new PostgresSessionStore({
    sql,
    live,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
    // A caller's client stays open.
    ownsSql: owned,
  });
}

/** A `postgres` client for `url` (default `$DATABASE_URL`); notices are not logged. */
export function connectPostgres(url: string | undefined = process.env.DATABASE_URL, max = 10): Sql {
  if (url === undefined || url === "") {
    throw new ChatReplayError(
      "invalid_options",
      "createPostgresHistory: give `url` (or set $DATABASE_URL) or `sql`.",
    );
  }
  return postgres(url, { max, onnotice: () => {} });
}

/** `url` without its password, for logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)"; // never echo a string that may hold a password
  }
}
