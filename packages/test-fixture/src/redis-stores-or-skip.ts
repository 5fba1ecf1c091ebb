import { createRedisStores } from "@chat-replay/server/redis";
import { Redis } from "ioredis";

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
