import { afterAll, vi } from "vitest";
import type { ReplayServerOptions } from "../src/replay-options";
import { describeWithPostgres, type TestDatabase } from "./postgres-env";
import { deleteKeys, redisUrl, uniquePrefix } from "./redis-env";

// The server's protocol suites once more, as `chat-replay-server --store redis
// --history-store postgres` runs them: sessions and history in Postgres (this file's own
// database), buffers, claims and counters in Redis under this run's prefix. Same tests,
// same assertions, other storage.
const prefix = uniquePrefix("pg-protocol");
let database: TestDatabase | null = null;

vi.mock("./harness", async (importOriginal) => {
  const harness = await importOriginal<typeof import("./harness")>();
  const { RedisSessionStore } = await import("../src/redis-session-store");
  const { RedisStreamStore } = await import("../src/redis-stream-store");
  const { PostgresSessionStore } = await import("../src/postgres/postgres-session-store");
  return {
    ...harness,
    startServer: (options: Partial<ReplayServerOptions> = {}) => {
      const redis = redisUrl ?? "redis://127.0.0.1:6379";
      if (!database) throw new Error("no test database");
      const buffers = options.streamStore
        ? {}
        : { streamStore: new RedisStreamStore({ redis }), keyPrefix: prefix };
      const sessionStore =
        options.sessionStore ??
        new PostgresSessionStore({
          sql: database.connect(),
          live: new RedisSessionStore({ redis, keyPrefix: prefix }),
        });
      return harness.startServer({ ...buffers, sessionStore, ...options });
    },
  };
});

describeWithPostgres("protocol suites on Redis live stores + Postgres history", async (db) => {
  database = db;
  afterAll(async () => {
    if (redisUrl !== null) await deleteKeys(redisUrl, prefix);
  });
  await import("./turns.test");
  await import("./resume.test");
  await import("./framing.test");
  await import("./smoke.test");
  await import("./security-and-limits.test");
  await import("./internet-exposure.test");
  await import("./history-pages.test");
});
