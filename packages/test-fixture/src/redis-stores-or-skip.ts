import { spawnSync } from "node:child_process";
import { createRedisStores } from "@chat-replay/server/redis";
import { Redis } from "ioredis";
import { OwnRedisCluster } from "./redis-cluster";

/**
 * Redis stores under a unique key prefix for one suite, or a skip when no Redis answers
 * (outside CI). In CI (`CI` set) a missing Redis is a failure, not a skip. `maxLength` caps
 * the turn buffers (§4), for suites whose turns must run past the trim point.
 */
export async function redisStoresOrSkip(
  skip: (note?: string) => never,
  options: { readonly maxLength?: number } = {},
) {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const keyPrefix = `chaos-${process.pid}-${crypto.randomUUID()}`;
  const stores = createRedisStores({
    url,
    keyPrefix,
    log: () => {},
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
  });
  if (!(await stores.whenAvailable(2000))) {
    await Promise.all([stores.streamStore.close(), stores.sessionStore.close()]);
    const hint = "no Redis answers; set REDIS_URL=redis://host:port to run the Redis chaos suite";
    if (process.env.CI) throw new Error(hint);
    skip(hint);
  }
  const cleanup = async () => {
    const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
    admin.disconnect();
  };
  return { stores, cleanup };
}

/**
 * Redis stores on a real 3-master Redis Cluster that this call starts (Debian's
 * `redis-server`, see `OwnRedisCluster`): one set with default buffers, one whose buffers
 * are capped at `maxLength`. Without `redis-server`/`redis-cli`: a skip, or in CI a failure.
 * `stop` ends the cluster (its keys go with it).
 */
export async function redisClusterStoresOrSkip(
  skip: (note?: string) => never,
  options: { readonly maxLength: number },
) {
  const tools = ["redis-server", "redis-cli"].every(
    (binary) => spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0,
  );
  if (!tools) {
    const hint = "redis-server/redis-cli are not installed; the Redis Cluster chaos suite needs them";
    if (process.env.CI) throw new Error(hint);
    skip(hint);
  }
  const cluster = await OwnRedisCluster.start(3);
  const open = (keyPrefix: string, maxLength?: number) =>
    createRedisStores({
      url: cluster.url,
      cluster: true,
      keyPrefix,
      log: () => {},
      ...(maxLength === undefined ? {} : { maxLength }),
    });
  const stores = open("chaos");
  const trimming = open("chaos-long", options.maxLength);
  if (!(await stores.whenAvailable(10_000)) || !(await trimming.whenAvailable(10_000))) {
    await cluster.stop();
    throw new Error("the test's Redis Cluster did not become available");
  }
  return { stores, trimming, stop: () => cluster.stop() };
}
