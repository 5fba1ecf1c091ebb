import { vi } from "vitest";
import type { ReplayServerOptions } from "../src/replay-options";
import { describeWithRedisCluster, uniquePrefix } from "./redis-env";

// The server's protocol suites (turns, resume, framing, limits, exposure) once more, with
// every server they start backed by Redis stores on a real 3-master Redis Cluster that this
// file starts: same tests, same assertions, keys spread over three masters.

const prefix = uniquePrefix("cluster-protocol");
const target = vi.hoisted(() => ({ url: "" }));

vi.mock("./harness", async (importOriginal) => {
  const harness = await importOriginal<typeof import("./harness")>();
  const { RedisSessionStore } = await import("../src/redis-session-store");
  const { RedisStreamStore } = await import("../src/redis-stream-store");
  return {
    ...harness,
    startServer: (options: Partial<ReplayServerOptions> = {}) => {
      const redis = target.url;
      // A test that passes its own stream store computes buffer keys with the default prefix.
      const buffers = options.streamStore
        ? {}
        : { streamStore: new RedisStreamStore({ redis, cluster: true, log: () => {} }), keyPrefix: prefix };
      return harness.startServer({
        ...buffers,
        sessionStore:
          options.sessionStore ??
          new RedisSessionStore({ redis, cluster: true, keyPrefix: prefix, log: () => {} }),
        ...options,
      });
    },
  };
});

describeWithRedisCluster("protocol suites on a Redis Cluster", async (cluster) => {
  target.url = cluster.url;
  await import("./turns.test");
  await import("./resume.test");
  await import("./framing.test");
  await import("./smoke.test");
  await import("./security-and-limits.test");
  await import("./internet-exposure.test");
});
