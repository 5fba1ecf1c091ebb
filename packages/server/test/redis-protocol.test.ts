import { afterAll, vi } from "vitest";
import type { ReplayServerOptions } from "../src/replay-options";
import { deleteKeys, describeWithRedis, redisUrl, uniquePrefix } from "./redis-env";

// The server's protocol suites (turns, resume, framing, limits) once more, with every server
// they start backed by Redis: whichever store a test does not pass itself becomes a Redis
// store under this run's prefix. Same tests, same assertions, other storage.
//
const prefix = uniquePrefix("protocol");

vi.mock("./harness", async (importOriginal) => {
  const harness = await importOriginal<typeof import("./harness")>();
  const { RedisSessionStore } = await import("../src/redis-session-store");
  const { RedisStreamStore } = await import("../src/redis-stream-store");
  return {
    ...harness,
    startServer: (options: Partial<ReplayServerOptions> = {}) => {
      const redis = redisUrl ?? "redis://127.0.0.1:6379";
      // A test that passes its own stream store computes buffer keys with the default prefix.
      const buffers = options.streamStore
        ? {}
        : { streamStore: new RedisStreamStore({ redis }), keyPrefix: prefix };
      return harness.startServer({
        ...buffers,
        sessionStore: options.sessionStore ?? new RedisSessionStore({ redis, keyPrefix: prefix }),
        ...options,
      });
    },
  };
});

describeWithRedis("protocol suites on Redis stores", async (url) => {
  afterAll(async () => {
    await deleteKeys(url, prefix);
  });
  await import("./turns.test");
  await import("./resume.test");
  await import("./framing.test");
  await import("./smoke.test");
  await import("./security-and-limits.test");
  await import("./internet-exposure.test");
});
