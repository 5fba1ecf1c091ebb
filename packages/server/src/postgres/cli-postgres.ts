import { parseArgs } from "node:util";
import type { ReplayServerOptions } from "../replay-options";

// The CLI's Postgres parts. Nothing here imports the `postgres` driver at load time: the
// `chat-replay-server` bin runs without it unless `--history-store postgres` or `migrate` asks.

/** Usage lines of the history-store flags, for the CLI's help. */
export const HISTORY_USAGE = `  --history-store memory|postgres  where sessions and history live (default: the --store);
                            postgres keeps them durable, --store keeps buffers, claims, counters
  --database-url URL        Postgres for --history-store postgres (default $DATABASE_URL)`;

/** Usage of `chat-replay-server migrate`. */
export const MIGRATE_USAGE = `Usage: chat-replay-server migrate [--database-url URL] [--print]

  Applies the history store's schema migrations that the database lacks (idempotent; safe
  to run from several instances at once).
  --database-url URL        the Postgres to migrate (default $DATABASE_URL)
  --print                   print every migration's SQL instead (for your own migration tool)`;

/** The CLI options of the history store. */
export interface HistoryCliOptions {
  /** `postgres`: sessions and history in Postgres; absent: in the `--store`. */
  readonly historyStore?: "postgres";
  /** Postgres URL (only with `historyStore: "postgres"`). */
  readonly databaseUrl?: string;
}

/** Validates `--history-store` and `--database-url` (default `$DATABASE_URL`); throws a terminal message. */
export function historyStoreOptions(
  values: { "history-store"?: string; "database-url"?: string },
  env: NodeJS.ProcessEnv,
): HistoryCliOptions {
  const store = values["history-store"];
  if (store !== undefined && store !== "memory" && store !== "postgres") {
    throw new Error(`--history-store must be memory or postgres, got "${store}"`);
  }
  if (store !== "postgres") {
    if (values["database-url"] !== undefined)
      throw new Error("--database-url needs --history-store postgres");
    return {};
  }
  return { historyStore: "postgres", databaseUrl: databaseUrl(values["database-url"], env) };
}

function databaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const url = flag ?? env.DATABASE_URL;
  if (url === undefined || url === "")
    throw new Error("--history-store postgres needs --database-url or $DATABASE_URL");
  // Never echo the value: it usually holds a password.
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error("--database-url must be a postgres:// URL");
  return url;
}

/**
 * Replaces the session store of `serverOptions` with Postgres history whose live store is
 * the one the options had (memory or Redis). Rejects (with a `schema_mismatch` message that
 * says to run `migrate`) when the database's schema is not this version's.
 */
export async function withPostgresHistory(
  serverOptions: ReplayServerOptions,
  options: { readonly databaseUrl: string; readonly sessionTtlMs?: number },
): Promise<{ serverOptions: ReplayServerOptions; label: string }> {
  const { createPostgresHistory, redactDatabaseUrl } = await import("./create-postgres-history");
  const sessionStore = await createPostgresHistory({
    url: options.databaseUrl,
    ...(serverOptions.sessionStore === undefined ? {} : { live: serverOptions.sessionStore }),
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  });
  return { serverOptions: { ...serverOptions, sessionStore }, label: redactDatabaseUrl(options.databaseUrl) };
}

/** `chat-replay-server migrate [...]`: returns the process exit code. */
export async function migrateCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let values: { "database-url"?: string; print?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        "database-url": { type: "string" },
        print: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(MIGRATE_USAGE);
    return 0;
  }
  const { MIGRATIONS, migratePostgres, SCHEMA_VERSION } = await import("./migrations");
  if (values.print) {
    for (const migration of MIGRATIONS) {
      console.log(`-- chat-replay schema version ${migration.version}: ${migration.name}${migration.sql}`);
    }
    return 0;
  }
  let url: string;
  try {
    url = databaseUrl(values["database-url"], env);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${MIGRATE_USAGE}`);
    return 2;
  }
  const { connectPostgres, redactDatabaseUrl } = await import("./create-postgres-history");
  const sql = connectPostgres(url, 1);
  try {
    const applied = await migratePostgres(sql);
    console.log(
      applied.length === 0
        ? `${redactDatabaseUrl(url)}: schema already at version ${SCHEMA_VERSION}`
        : `${redactDatabaseUrl(url)}: applied ${applied.map((version) => `#${version}`).join(", ")}; schema at version ${SCHEMA_VERSION}`,
    );
    return 0;
  } catch (error) {
    console.error(`chat-replay: migrate failed on ${redactDatabaseUrl(url)}:`, error);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
