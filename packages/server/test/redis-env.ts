import { type ChildProcess, spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, it } from "vitest";
import {
  answersPing,
  freePort,
  killOwnRedisServers,
  OwnRedis,
  OwnRedisCluster,
  OwnRedisSentinel,
} from "../../test-fixture/src/redis-cluster";
import type { StreamStore } from "../src/stream-store";

// One copy of each, shared with the bench (`@chat-replay/test-fixture/redis-cluster`).
export { answersPing, freePort, OwnRedis };

/**
 * Decides whether the Redis suites run. `REDIS_URL` set, or 127.0.0.1:6379 answering PING:
 * they run. Neither, outside CI: they skip, and one line says how to enable them. Neither,
 * in CI: every Redis suite fails loudly, because CI must exercise Redis.
 */
const LOCAL_REDIS = "redis://127.0.0.1:6379";
const inCi =
  process.env.CI !== undefined &&
  process.env.CI !== "" &&
  process.env.CI !== "false" &&
  process.env.CI !== "0";

/** The Redis the suites use, or null when they skip. */
export const redisUrl: string | null =
  process.env.REDIS_URL || ((await answersPing(6379)) ? LOCAL_REDIS : null);

if (redisUrl === null && !inCi) announceSkipOnce();

/**
 * `describe` for a suite that needs Redis: runs with the URL, skips without one, and in CI
 * without one registers a failing test instead of skipping.
 */
export function describeWithRedis(name: string, body: (url: string) => void | Promise<void>): void {
  if (redisUrl !== null) {
    describe(name, () => body(redisUrl));
  } else if (inCi) {
    describe(name, () => {
      it("has a Redis to run against", () => {
        throw new Error(
          "CI is set but no Redis answers at $REDIS_URL or 127.0.0.1:6379: the Redis suites must run in CI (.ci/run starts one).",
        );
      });
    });
  } else {
    describe.skip(name, () => body(LOCAL_REDIS));
  }
}

/** Prints the single "how to enable" line once per test run, however many files skip. */
function announceSkipOnce(): void {
  const marker = join(tmpdir(), `chat-replay-redis-skip-${process.ppid}`);
  try {
    closeSync(openSync(marker, "wx"));
  } catch {
    return; // another test file of this run already said it
  }
  process.stderr.write(
    "Redis suites skipped: no Redis at 127.0.0.1:6379. Enable them with REDIS_URL=redis://HOST:PORT pnpm test\n",
  );
}

/** A key prefix no other test run (or developer) uses. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${crypto.randomUUID()}`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK): tests clean up after themselves. */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = "0";
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== "0");
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** Counts the server's client connections whose name starts with `namePrefix` (`CLIENT LIST`). */
export async function countConnections(url: string, namePrefix: string): Promise<number> {
  const client = new Redis(url, { protocol: 2, maxRetriesPerRequest: 1 });
  try {
    const list = String(await client.call("CLIENT", "LIST"));
    return list.split("\n").filter((line) => new RegExp(`\\bname=${escapeRegExp(namePrefix)}`).test(line))
      .length;
  } finally {
    client.disconnect();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Gives every key of a stream store a prefix, so a test run can delete exactly its own keys. */
export function withKeyPrefix(store: StreamStore, prefix: string): StreamStore {
  return withMappedKeys(store, (key) => `${prefix}${key}`);
}

/** The store with every key the caller names mapped through `k` first. */
function withMappedKeys(store: StreamStore, k: (key: string) => string): StreamStore {
  return {
    append: (key, entry) => store.append(k(key), entry),
    appendMany: (key, entries) => store.appendMany(k(key), entries),
    ...(store.appendLinked ? { appendLinked: (key, entries) => store.appendLinked!(k(key), entries) } : {}),
    read: (key, after, options) => store.read(k(key), after, options),
    range: (key, min, max, count) => store.range(k(key), min, max, count),
    oldestId: (key) => store.oldestId(k(key)),
    newestId: (key) => store.newestId(k(key)),
    expire: (key, ttlMs) => store.expire(k(key), ttlMs),
    close: () => store.close(),
    maxLength: store.maxLength,
    readSnapshot: (key) => store.readSnapshot(k(key)),
    writeSnapshot: (key, write) => store.writeSnapshot(k(key), write),
    checkpoint: (key, entryId) => store.checkpoint(k(key), entryId),
    trimmedThrough: (key) => store.trimmedThrough(k(key)),
  };
}

/** Whether the `redis-server` binary is installed (needed only by the restart tests). */
export const hasRedisServerBinary =
  spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

/** Child processes a test spawned; killed (by pid) if the test process exits without cleaning up. */
const spawned = new Set<ChildProcess>();
const killSpawned = () => {
  for (const child of spawned) child.kill("SIGKILL");
  killOwnRedisServers();
};
// After the file's tests (even ones that timed out with their `finally` still pending), and
// at exit as a last resort.
afterAll(killSpawned);
process.once("exit", killSpawned);

/** Tracks `child` until it exits, so an aborted test run never leaves it behind. */
export function killOnExit(child: ChildProcess): ChildProcess {
  spawned.add(child);
  child.once("exit", () => spawned.delete(child));
  return child;
}

/** Whether `redis-server` and `redis-cli` are installed: the cluster suites start their own cluster. */
export const hasRedisClusterTools =
  hasRedisServerBinary && spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).status === 0;

/**
 * `describe` for a suite on a real Redis Cluster of its own (3 masters, started by
 * `OwnRedisCluster`, stopped after the suite): skips without `redis-server`/`redis-cli`,
 * except in CI, where that is a failure (`.ci/run` installs them).
 */
export function describeWithRedisCluster(
  name: string,
  body: (cluster: OwnRedisCluster) => void | Promise<void>,
): void {
  describeWithOwnServers(name, "a cluster", () => OwnRedisCluster.start(3), body);
}

/**
 * `describe` for a suite on a Sentinel-managed primary of its own (a primary, a replica and
 * a sentinel, started by `OwnRedisSentinel`, stopped after the suite); skips like
 * {@link describeWithRedisCluster} without the tools, fails without them in CI.
 */
export function describeWithRedisSentinel(
  name: string,
  body: (sentinel: OwnRedisSentinel) => void | Promise<void>,
): void {
  describeWithOwnServers(name, "a sentinel", () => OwnRedisSentinel.start(), body);
}

/** A suite on redis-servers it starts itself (`what`, for the CI failure) and stops after it. */
function describeWithOwnServers<T extends { stop(): Promise<void> }>(
  name: string,
  what: string,
  start: () => Promise<T>,
  body: (servers: T) => void | Promise<void>,
): void {
  if (hasRedisClusterTools) {
    describe(name, async () => {
      const servers = await start();
      afterAll(() => servers.stop());
      await body(servers);
    });
  } else if (inCi) {
    describe(name, () => {
      it(`has redis-server and redis-cli to start ${what}`, () => {
        throw new Error(
          `CI is set but redis-server/redis-cli are missing: the suites on ${what} must run in CI.`,
        );
      });
    });
  } else {
    describe.skip(name, () => undefined);
  }
}

/** A stream store whose keys become `<prefix>{<key>}`: one hash slot per buffer, as the server's keys. */
export function withHashTaggedKeys(store: StreamStore, prefix: string): StreamStore {
  return withMappedKeys(store, (key) => `${prefix}{${key}}`);
}
