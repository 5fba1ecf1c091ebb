import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { RedisSessionStore, type RedisSessionStoreOptions } from "../src/redis-session-store";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";
import { describeSessionStoreConformance, eventually } from "./session-store-conformance";

describeWithRedis("RedisSessionStore", (url) => {
  const prefix = uniquePrefix("sessions");
  describeSessionStoreConformance(
    "RedisSessionStore",
    (options) => new RedisSessionStore({ redis: url, keyPrefix: prefix, ...options }),
    {
      expiryClock: "real",
      cleanup: async () => {
        await deleteKeys(url, prefix);
      },
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
    { expiryClock: "real" },
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
  /** Creates a session that must be created. */
  const created = async (store: RedisSessionStore, ownerId = "o", maxPerOwner?: number) => {
    const limits = maxPerOwner === undefined ? {} : { maxPerOwner };
    const session = await store.createSession({ id: crypto.randomUUID(), ownerId, title: "t" }, limits);
    if (!session) throw new Error("createSession refused");
    return session;
  };
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
    const session = await created(instances[0]!);
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
    const session = await created(writer);
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

  it("keys live under the prefix, a session's in its own hash slot (`{id}`): session hash, history hash + order list, owner set, claims and hit counters with TTLs", async () => {
    const store = open({ sessionTtlMs: 3_600_000 });
    const ownerId = `owner-${crypto.randomUUID()}`;
    const { id } = await created(store, ownerId);
    await store.upsertHistory(id, [{ message: { id: "m", role: "user", parts: [] }, runId: null }]);
    await store.claimOnce("continue:x", 60_000);
    await store.countHit("turns:o", 30_000);
    expect(await raw.type(`${prefix}:{${id}}:session`)).toBe("hash");
    expect(await raw.type(`${prefix}:{${id}}:history`)).toBe("hash");
    expect(await raw.lrange(`${prefix}:{${id}}:history-order`, 0, -1)).toEqual(["m"]);
    expect(await raw.smembers(`${prefix}:owner-sessions:{${ownerId}}`)).toEqual([id]);
    for (const key of ["session", "history", "history-order"]) {
      expect(await raw.pttl(`${prefix}:{${id}}:${key}`)).toBeGreaterThan(3_500_000);
    }
    expect(await raw.pttl(`${prefix}:owner-sessions:{${ownerId}}`)).toBeGreaterThan(3_500_000);
    expect(await raw.pttl(`${prefix}:claim:continue:x`)).toBeGreaterThan(50_000);
    expect(await raw.get(`${prefix}:hits:turns:o`)).toBe("1");
    expect(await raw.pttl(`${prefix}:hits:turns:o`)).toBeGreaterThan(20_000);
  });

  it("every successful write renews the idle TTL of the session, its history and its owner set; a refused one does not", async () => {
    const ttl = 3_600_000;
    const store = open({ sessionTtlMs: ttl });
    const ownerId = `owner-${crypto.randomUUID()}`;
    const { id } = await created(store, ownerId);
    await store.upsertHistory(id, [{ message: { id: "m", role: "user", parts: [] }, runId: null }]);
    const keys = [
      `${prefix}:{${id}}:session`,
      `${prefix}:{${id}}:history`,
      `${prefix}:{${id}}:history-order`,
      `${prefix}:owner-sessions:{${ownerId}}`,
    ];
    // Ages every key as if the session had been idle for most of its TTL, then writes once.
    const afterIdle = async (write: () => Promise<unknown>) => {
      for (const key of keys) await raw.pexpire(key, 5_000);
      await write();
      return Promise.all(keys.map((key) => raw.pttl(key)));
    };
    const start = { ...turn(), leaseMs: 60_000 };
    const writes: [string, () => Promise<unknown>][] = [
      ["beginTurn", () => store.beginTurn(id, start)],
      ["renewLease", () => store.renewLease(id, start.runId, 60_000)],
      ["pauseTurn", () => store.pauseTurn(id, start.runId, [])],
      ["resumeTurn", () => store.resumeTurn(id, start.runId, 60_000)],
      [
        "upsertHistory",
        () => store.upsertHistory(id, [{ message: { id: "n", role: "user", parts: [] }, runId: null }]),
      ],
      ["finalizeTurn", () => store.finalizeTurn(id, start.runId, "idle")],
      [
        "abandonTurn",
        async () => {
          const next = turn();
          await store.beginTurn(id, next);
          await store.abandonTurn(id, next.streamId);
        },
      ],
    ];
    for (const [name, write] of writes) {
      const ttls = await afterIdle(write);
      expect({ name, renewed: ttls.every((left) => left > ttl - 60_000) }).toEqual({ name, renewed: true });
    }
    const refused = await afterIdle(() => store.renewLease(id, crypto.randomUUID(), 60_000));
    expect(refused.every((left) => left <= 5_000)).toBe(true);
  });

  it("an idle session's keys disappear from Redis after the TTL (waits for Redis's own expiry)", async () => {
    const store = open({ sessionTtlMs: 200 });
    const ownerId = `owner-${crypto.randomUUID()}`;
    const { id } = await created(store, ownerId);
    await store.upsertHistory(id, [{ message: { id: "m", role: "user", parts: [] }, runId: null }]);
    const keys = [
      `${prefix}:{${id}}:session`,
      `${prefix}:{${id}}:history`,
      `${prefix}:{${id}}:history-order`,
      `${prefix}:owner-sessions:{${ownerId}}`,
    ];
    await eventually("the keys expired", async () => (await raw.exists(...keys)) === 0);
    expect(await store.getSession(id)).toBeNull();
  });

  it("owner-set members whose session expired are pruned when the owner reaches its limit", async () => {
    const store = open();
    const ownerId = `owner-${crypto.randomUUID()}`;
    const gone = await created(store, ownerId, 2);
    const kept = await created(store, ownerId, 2);
    await raw.del(`${prefix}:{${gone.id}}:session`); // what its expiry leaves behind: a dangling member
    const ownerKey = `${prefix}:owner-sessions:{${ownerId}}`;
    expect((await raw.smembers(ownerKey)).sort()).toEqual([gone.id, kept.id].sort());
    const fresh = await created(store, ownerId, 2);
    expect((await raw.smembers(ownerKey)).sort()).toEqual([kept.id, fresh.id].sort());
    expect(
      await store.createSession({ id: crypto.randomUUID(), ownerId, title: "t" }, { maxPerOwner: 2 }),
    ).toBeNull();
  });

  it("instances racing createSession for one owner at its limit: exactly that many win (one Lua script on the owner's set)", async () => {
    const instances = Array.from({ length: 4 }, () => open());
    const ownerId = `owner-${crypto.randomUUID()}`;
    const results = await Promise.all(
      instances.flatMap((store) =>
        Array.from({ length: 5 }, () =>
          store.createSession({ id: crypto.randomUUID(), ownerId, title: "t" }, { maxPerOwner: 5 }),
        ),
      ),
    );
    expect(results.filter((session) => session !== null)).toHaveLength(5);
    expect(await raw.scard(`${prefix}:owner-sessions:{${ownerId}}`)).toBe(5);
  });

  it("deleteSession removes the session's keys, owner-set membership and claims", async () => {
    const store = open();
    const ownerId = `owner-${crypto.randomUUID()}`;
    const { id } = await created(store, ownerId);
    const other = await created(store, ownerId);
    await store.upsertHistory(id, [{ message: { id: "m", role: "user", parts: [] }, runId: null }]);
    await store.claimOnce(`end:${id}:run`, 60_000);
    expect(await store.deleteSession(id)).not.toBeNull();
    expect(
      await raw.exists(
        `${prefix}:{${id}}:session`,
        `${prefix}:{${id}}:history`,
        `${prefix}:{${id}}:history-order`,
      ),
    ).toBe(0);
    expect(await raw.smembers(`${prefix}:owner-sessions:{${ownerId}}`)).toEqual([other.id]);
    expect(await store.isClaimed(`end:${id}:run`)).toBe(false);
    expect(await raw.exists(`${prefix}:{${id}}:claims`)).toBe(0);
  });

  it("a corrupt history row is left out (and logged) instead of failing the whole history", async () => {
    const lines: string[] = [];
    const store = open({ log: (line) => lines.push(line) });
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "o", title: "t" });
    const good = { message: { id: "good", role: "user" as const, parts: [] }, runId: null };
    await store.upsertHistory(id, [{ message: { id: "bad", role: "user", parts: [] }, runId: null }, good]);
    await raw.hset(`${prefix}:{${id}}:history`, "bad", "{oops");
    expect(await store.getHistory(id)).toEqual([good]);
    expect(lines).toEqual([expect.stringMatching(/corrupt history row .* bad/)]);
  });
});
