import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { RedisSessionStore, type RedisSessionStoreOptions } from "../src/redis-session-store";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";
import { describeSessionStoreConformance } from "./session-store-conformance";

describeWithRedis("RedisSessionStore", (url) => {
  const prefix = uniquePrefix("sessions");
  describeSessionStoreConformance(
    "RedisSessionStore",
    (options) => new RedisSessionStore({ redis: url, keyPrefix: prefix, ...options }),
    async () => {
      await deleteKeys(url, prefix);
    },
  );

  // Sharing an application's ioredis client (RESP3 by default in ioredis 6) works the same.
  let shared: Redis;
  beforeAll(() => {
    shared = new Redis(url);
  });
  afterAll(() => {
    shared.disconnect();
  });
  describeSessionStoreConformance(
    "RedisSessionStore on a shared RESP3 client",
    (options) => new RedisSessionStore({ redis: shared, keyPrefix: `${prefix}:shared`, ...options }),
  );

  const stores: RedisSessionStore[] = [];
  const open = (options: RedisSessionStoreOptions = {}) => {
    const store = new RedisSessionStore({ redis: url, keyPrefix: prefix, ...options });
    stores.push(store);
    return store;
  };
  const turn = () => ({
    runId: crypto.randomUUID(),
    streamId: crypto.randomUUID(),
    prompt: "hi",
    promptMessageId: "user-1",
    leaseMs: 10_000,
  });
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

  it("§2 two instances racing beginTurn on one session: exactly one wins (Lua compare-and-set)", async () => {
    const instances = Array.from({ length: 4 }, () => open());
    const session = await instances[0]!.createSession({ id: crypto.randomUUID(), ownerId: "o", title: "t" });
    const results = await Promise.all(
      instances.flatMap((store) => [
        store.beginTurn(session.id, turn()),
        store.beginTurn(session.id, turn()),
      ]),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const views = await Promise.all(instances.map((store) => store.getSession(session.id)));
    expect(new Set(views.map((view) => JSON.stringify(view))).size).toBe(1);
  });

  it("sessions, history and claims outlive the store that wrote them (another process reads them)", async () => {
    const writer = open();
    const session = await writer.createSession({ id: crypto.randomUUID(), ownerId: "o", title: "kept" });
    const start = turn();
    await writer.beginTurn(session.id, start);
    const row = {
      message: { id: "m", role: "user" as const, parts: [{ type: "text" as const, text: "hi" }] },
      runId: start.runId,
    };
    await writer.upsertHistory(session.id, [row]);
    await writer.claimOnce(`end:${start.runId}`, 60_000);
    const written = await writer.getSession(session.id);
    await writer.close();
    const reader = open();
    expect(await reader.getSession(session.id)).toEqual(written);
    expect(await reader.getHistory(session.id)).toEqual([row]);
    expect(await reader.claimOnce(`end:${start.runId}`, 60_000)).toBe(false);
  });

  it("keys live under the prefix: session hash, history hash + order list, claims with a TTL", async () => {
    const store = open();
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "o", title: "t" });
    await store.upsertHistory(id, [{ message: { id: "m", role: "user", parts: [] }, runId: null }]);
    await store.claimOnce("continue:x", 60_000);
    expect(await raw.type(`${prefix}:session:${id}`)).toBe("hash");
    expect(await raw.type(`${prefix}:history:${id}`)).toBe("hash");
    expect(await raw.lrange(`${prefix}:history-order:${id}`, 0, -1)).toEqual(["m"]);
    expect(await raw.pttl(`${prefix}:claim:continue:x`)).toBeGreaterThan(50_000);
  });

  it("a corrupt history row is left out (and logged) instead of failing the whole history", async () => {
    const lines: string[] = [];
    const store = open({ log: (line) => lines.push(line) });
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "o", title: "t" });
    const good = { message: { id: "good", role: "user" as const, parts: [] }, runId: null };
    await store.upsertHistory(id, [{ message: { id: "bad", role: "user", parts: [] }, runId: null }, good]);
    await raw.hset(`${prefix}:history:${id}`, "bad", "{oops");
    expect(await store.getHistory(id)).toEqual([good]);
    expect(lines).toEqual([expect.stringMatching(/corrupt history row .* bad/)]);
  });
});
