import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, it } from "vitest";
import { migratePostgres } from "../src/postgres/migrations";

/**
 * Decides whether the Postgres suites run, as `redis-env.ts` does for Redis: `POSTGRES_URL`
 * (a role that may create databases), else 127.0.0.1:5432 as `postgres`, answering: they run,
 * each test file in a database of its own (`chat_replay_test_<random>`, dropped after).
 * Neither, outside CI: they skip with one line saying how to enable them. Neither, in CI:
 * every Postgres suite fails, because CI must exercise Postgres.
 */
const LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres";
const inCi =
  process.env.CI !== undefined &&
  process.env.CI !== "" &&
  process.env.CI !== "false" &&
  process.env.CI !== "0";

/** The server the suites create their databases on, or null when they skip. */
export const postgresAdminUrl: string | null = await answering(process.env.POSTGRES_URL || LOCAL_POSTGRES);

if (postgresAdminUrl === null && !inCi) {
  process.stderr.write(
    "Postgres suites skipped: no Postgres at $POSTGRES_URL or 127.0.0.1:5432. Enable them with POSTGRES_URL=postgres://USER@HOST:PORT/postgres\n",
  );
}

/** `url` if a `SELECT 1` there succeeds within 2 s, else null. */
async function answering(url: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return url;
  } catch {
    return null; // not answering (or refusing us): skip, or fail in CI, as documented above
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A migrated database of this test file's own; `url` is set once the suite's `beforeAll` ran. */
export interface TestDatabase {
  readonly url: string;
  /** A client of the test database (opened once, ended after the suite). */
  readonly sql: Sql;
  /** A new client of the test database; the caller ends it. */
  connect(): Sql;
}

/** Creates `chat_replay_test_<random>` on `adminUrl`, migrated unless `migrate` is false. */
export async function createTestDatabase(
  adminUrl: string,
  { migrate = true } = {},
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chat_replay_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (migrate) {
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await migratePostgres(sql);
    await sql.end({ timeout: 1 });
  }
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 1 });
    },
  };
}

/**
 * `describe` for a suite that needs Postgres: a migrated database of its own for the suite,
 * skipped without a Postgres, and in CI without one a failing test instead of a skip.
 */
export function describeWithPostgres(name: string, body: (db: TestDatabase) => void | Promise<void>): void {
  if (postgresAdminUrl === null) {
    if (inCi) {
      describe(name, () => {
        it("has a Postgres to run against", () => {
          throw new Error(
            "CI is set but no Postgres answers at $POSTGRES_URL or 127.0.0.1:5432: the Postgres suites must run in CI (.ci/run starts one).",
          );
        });
      });
    } else {
      describe.skip(name, () => body(unavailable));
    }
    return;
  }
  const adminUrl = postgresAdminUrl;
  let created: { url: string; drop(): Promise<void> } | null = null;
  let shared: Sql | null = null;
  const db: TestDatabase = {
    get url() {
      if (!created) throw new Error("the test database exists only inside the suite's tests");
      return created.url;
    },
    get sql() {
      shared ??= postgres(db.url, { max: 4, onnotice: () => {} });
      return shared;
    },
    connect: () => postgres(db.url, { max: 4, onnotice: () => {} }),
  };
  describe(name, () => {
    beforeAll(async () => {
      created = await createTestDatabase(adminUrl);
    });
    afterAll(async () => {
      await shared?.end({ timeout: 1 });
      await created?.drop();
    });
    return body(db);
  });
}

const unavailable: TestDatabase = {
  get url(): string {
    throw new Error("no Postgres");
  },
  get sql(): Sql {
    throw new Error("no Postgres");
  },
  connect: () => {
    throw new Error("no Postgres");
  },
};
