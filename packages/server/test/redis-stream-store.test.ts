import { ChatReplayError, type StoredEntry } from "@chat-replay/protocol";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { CORRUPT_ENTRY } from "../src/redis-stream-entries";
import { RedisStreamStore, type RedisStreamStoreOptions } from "../src/redis-stream-store";
import { TurnSnapshotter } from "../src/turn-snapshotter";
import {
  countConnections,
  deleteKeys,
  describeWithRedis,
  hasRedisServerBinary,
  OwnRedis,
  uniquePrefix,
  withKeyPrefix,
} from "./redis-env";
import { describeStreamStoreConformance } from "./stream-store-conformance";

const text = (value: string) => ({ type: "text-delta" as const, part: 0, text: value });

/** Resolves `"pending"` if `promise` has not settled after `ms`, else its value. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  try {
    return await Promise.race([promise, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 10 ms until it holds, or throws after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition never held");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithRedis("RedisStreamStore", (url) => {
  const prefix = uniquePrefix("streams");
  describeStreamStoreConformance(
    "RedisStreamStore",
    (options) => withKeyPrefix(new RedisStreamStore({ redis: url, ...options }), `${prefix}:`),
    async () => {
      await deleteKeys(url, prefix);
    },
    { appendLinked: true },
  );

  // A store can also share an application's ioredis client (ioredis 6 speaks RESP3 by default);
  // it then opens only its blocking connection and leaves the shared one open on close.
  let shared: Redis;
  beforeAll(() => {
    shared = new Redis(url);
  });
  afterAll(() => {
    shared.disconnect();
  });
  describeStreamStoreConformance(
    "RedisStreamStore on a shared RESP3 client",
    (options) => withKeyPrefix(new RedisStreamStore({ redis: shared, ...options }), `${prefix}:shared:`),
    undefined,
    { appendLinked: true },
  );

  const stores: RedisStreamStore[] = [];
  const open = (options: RedisStreamStoreOptions = {}) => {
    const store = new RedisStreamStore({ redis: url, ...options });
    stores.push(store);
    return store;
  };
  const key = () => `${prefix}:extra:${crypto.randomUUID()}`;
  let raw: Redis;

  beforeAll(() => {
    raw = new Redis(url, { protocol: 2 });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    raw.disconnect();
    await deleteKeys(url, prefix);
  });

  it("§4 stores each entry as JSON in field d of a real Redis stream", async () => {
    const store = open({ now: () => 42 });
    const buffer = key();
    await store.append(buffer, text("héllo"));
    expect(await raw.xrange(buffer, "-", "+")).toEqual([["42-0", ["d", JSON.stringify(text("héllo"))]]]);
  });

  it("§4 a corrupt entry becomes a frame-less lifecycle entry; readers go on past it", async () => {
    const lines: string[] = [];
    const store = open({ now: () => 7, log: (line) => lines.push(line) });
    const buffer = key();
    await store.append(buffer, text("before"));
    await raw.xadd(buffer, "7-1", "d", "{not json");
    await raw.xadd(buffer, "7-2", "d", JSON.stringify({ type: "nonsense" }));
    await raw.xadd(buffer, "7-3", "x", "no d field");
    await store.append(buffer, text("after"));
    const expected: StoredEntry[] = [
      { id: "7-0", entry: text("before") },
      { id: "7-1", entry: CORRUPT_ENTRY },
      { id: "7-2", entry: CORRUPT_ENTRY },
      { id: "7-3", entry: CORRUPT_ENTRY },
      { id: "7-4", entry: text("after") },
    ];
    expect(await store.read(buffer, "0-0")).toEqual(expected);
    expect(await store.range(buffer, "-", "+")).toEqual(expected);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/corrupt buffer entry .* 7-1 \(not JSON\)/);
  });

  it("§6 cursors beyond Redis's 64-bit ids read as empty instead of failing", async () => {
    const store = open({ now: () => 5 });
    const buffer = key();
    await store.append(buffer, text("a"));
    const huge = "99999999999999999999999-0";
    expect(await store.range(buffer, huge, huge, 1)).toEqual([]);
    expect(await store.read(buffer, huge)).toEqual([]);
    expect(await store.range(buffer, "5-99999999999999999999999", "+")).toEqual([]);
    expect(await store.range(buffer, "-", "5-99999999999999999999999")).toHaveLength(1);
    expect(await store.read(buffer, "4-99999999999999999999999")).toHaveLength(1);
  });

  it("§4 the buffer is trimmed in Redis itself: never above cap + slack + snapshot interval, never below cap", async () => {
    const store = open({ maxLength: 100 });
    const buffer = key();
    const snapshotter = new TurnSnapshotter(store, buffer, 25);
    for (let index = 0; index < 400; index++) {
      await store.append(buffer, text(`#${index}`));
      await snapshotter.appended(1);
      const length = await raw.xlen(buffer);
      expect(length).toBeLessThanOrEqual(116 + 25);
      expect(length).toBeGreaterThanOrEqual(Math.min(index + 1, 100));
    }
  });

  it("§4 an append on one instance wakes a read blocked on another", async () => {
    const writer = open();
    const reader = open();
    const buffer = key();
    const read = reader.read(buffer, "0-0", { block: 10_000 });
    expect(await within(read, 50)).toBe("pending");
    const id = await writer.append(buffer, text("cross"));
    expect(await within(read, 2_000)).toEqual([{ id, entry: text("cross") }]);
  });

  it("§4 a key that starts waiting while a block is in flight is served at once (CLIENT UNBLOCK)", {
    timeout: 30_000,
  }, async () => {
    // A 30 s block: only the interrupt can make the second key's read return well before it
    // (the bound below is generous for a loaded machine and still half the block).
    const store = open({ maxBlockMs: 30_000 });
    const first = key();
    const second = key();
    const controller = new AbortController();
    const waiting = store.read(first, "0-0", { block: 30_000, signal: controller.signal });
    await until(() => store.blockedReads === 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the XREAD is now blocked in Redis
    const read = store.read(second, "0-0", { block: 30_000 });
    await until(() => store.blockedReads === 2);
    const id = await store.append(second, text("new key"));
    expect(await within(read, 15_000)).toEqual([{ id, entry: text("new key") }]);
    controller.abort();
    expect(await waiting).toEqual([]);
  });

  it("1,000 concurrent blocked reads on 1,000 keys hold two Redis connections", async () => {
    const name = `conn-${crypto.randomUUID()}`;
    const store = open({ connectionName: name });
    const keys = Array.from({ length: 1_000 }, () => key());
    const controller = new AbortController();
    const reads = keys.map((buffer) =>
      store.read(buffer, "0-0", { block: 30_000, signal: controller.signal }),
    );
    await until(() => store.blockedReads === 1_000);
    expect(await countConnections(url, name)).toBe(2);
    const id = await store.append(keys[500]!, text("one of many"));
    expect(await within(reads[500]!, 10_000)).toEqual([{ id, entry: text("one of many") }]);
    expect(store.blockedReads).toBe(999);
    controller.abort();
    const rest = await Promise.all(reads);
    expect(rest.filter((entries) => entries.length > 0)).toHaveLength(1);
  });

  it.skipIf(!hasRedisServerBinary)(
    "Redis down → store_unavailable within a second, blocked reads fail, service resumes when it is back",
    async () => {
      const own = await OwnRedis.start();
      try {
        const lines: string[] = [];
        const store = open({ redis: own.url, log: (line) => lines.push(line) });
        const buffer = "own:buffer";
        const first = await store.append(buffer, text("before"));
        const blocked = store.read(buffer, first, { block: 30_000 }).catch((error: unknown) => error);
        await until(() => store.blockedReads === 1);
        await own.stop();
        const failure = await within(blocked, 10_000);
        expect(ChatReplayError.isInstance(failure) && failure.code).toBe("store_unavailable");
        const started = Date.now();
        const error = await store.append(buffer, text("during")).catch((caught: unknown) => caught);
        expect(ChatReplayError.isInstance(error) && error.code).toBe("store_unavailable");
        expect(String((error as Error).message)).toMatch(
          /Redis at redis:\/\/127\.0\.0\.1:\d+ is unavailable/,
        );
        expect(Date.now() - started).toBeLessThan(1_000);
        await own.restart();
        await until(() => store.available);
        const id = await store.append(buffer, text("after"));
        expect(await store.read(buffer, "0-0")).toEqual([{ id, entry: text("after") }]);
        const reading = store.read(buffer, id, { block: 10_000 });
        const next = await store.append(buffer, text("live again"));
        expect(await within(reading, 2_000)).toEqual([{ id: next, entry: text("live again") }]);
        expect(lines.some((line) => /is unavailable/.test(line))).toBe(true);
        expect(lines.some((line) => /is back/.test(line))).toBe(true);
      } finally {
        await own.stop();
      }
    },
    15_000,
  );
});
