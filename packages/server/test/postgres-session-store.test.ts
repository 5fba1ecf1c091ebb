import { ChatReplayError } from "@chat-replay/protocol";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pageOfRows } from "../src/history-page";
import { MemorySessionStore } from "../src/memory-session-store";
import { createPostgresHistory } from "../src/postgres/create-postgres-history";
import { PostgresSessionStore } from "../src/postgres/postgres-session-store";
import { RedisSessionStore } from "../src/redis-session-store";
import type { HistoryPage, HistoryRow } from "../src/session-store";
import { startServer } from "./harness";
import { describeWithPostgres } from "./postgres-env";
import { deleteKeys, freePort, redisUrl, uniquePrefix } from "./redis-env";
import { describeSessionStoreConformance } from "./session-store-conformance";

describeWithPostgres("PostgresSessionStore", (db) => {
  // History in Postgres, live state (claims, hit counters) in process memory, on one clock.
  describeSessionStoreConformance(
    "PostgresSessionStore + memory live store",
    (options) =>
      new PostgresSessionStore({
        sql: db.connect(),
        live: new MemorySessionStore(options.now ? { now: options.now } : {}),
        ...options,
      }),
    { expiryClock: "injected" },
  );

  // The production shape: live state in Redis, whose TTLs follow Redis's own clock.
  if (redisUrl !== null) {
    const prefix = uniquePrefix("pg-live");
    const url = redisUrl;
    describeSessionStoreConformance(
      "PostgresSessionStore + Redis live store",
      (options) =>
        new PostgresSessionStore({
          sql: db.connect(),
          live: new RedisSessionStore({ redis: url, keyPrefix: prefix, ...options }),
          ...options,
        }),
      { expiryClock: "real", cleanup: async () => void (await deleteKeys(url, prefix)) },
    );
  }

  let store: PostgresSessionStore;
  beforeAll(async () => {
    store = await createPostgresHistory({ url: db.url, sessionTtlMs: 0 });
  });
  afterAll(async () => {
    await store.close();
  });

  it("TTL 0 keeps a session forever: no expiry is stored", async () => {
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "o", title: "t" });
    const [row] = await db.sql<{ expires_at: string | null }[]>`
      SELECT expires_at FROM chat_replay_sessions WHERE id = ${id}`;
    expect(row?.expires_at).toBeNull();
    expect(await store.getSession(id)).not.toBeNull();
  });

  it("history rows are plain rows: one per message, tagged with the run, joinable by session and owner", async () => {
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "owner-42", title: "t" });
    await store.upsertHistory(id, [
      { message: { id: "p", role: "user", parts: [{ type: "text", text: "hi \u0000 there" }] }, runId: "r1" },
      { message: { id: "a", role: "assistant", parts: [{ type: "text", text: "hello" }] }, runId: "r1" },
    ]);
    const rows = await db.sql<{ message_id: string; run_id: string; owner_id: string }[]>`
      SELECT h.message_id, h.run_id, s.owner_id FROM chat_replay_history h
      JOIN chat_replay_sessions s ON s.id = h.session_id WHERE s.id = ${id} ORDER BY h.seq`;
    expect(rows.map((row) => ({ ...row }))).toEqual([
      { message_id: "p", run_id: "r1", owner_id: "owner-42" },
      { message_id: "a", run_id: "r1", owner_id: "owner-42" },
    ]);
    // json keeps what jsonb would refuse (a NUL escape) exactly.
    expect((await store.getHistory(id))[0]?.message.parts).toEqual([
      { type: "text", text: "hi \u0000 there" },
    ]);
  });

  it("finalizeTurnWithHistory: the transition and the final rows commit together, or neither does", async () => {
    const id = crypto.randomUUID();
    await store.createSession({ id, ownerId: "o", title: "t" });
    const run = {
      runId: crypto.randomUUID(),
      streamId: crypto.randomUUID(),
      prompt: "q",
      promptMessageId: "p",
      leaseMs: 10_000,
    };
    await store.beginTurn(id, run);
    const answer = { message: { id: "a", role: "assistant" as const, parts: [] }, runId: run.runId };
    expect(await store.finalizeTurnWithHistory(id, crypto.randomUUID(), "idle", [answer])).toBe(false);
    expect(await store.getHistory(id)).toEqual([]);
    // A row that cannot be stored (an id Postgres refuses) rolls the transition back too.
    const broken = {
      message: { id: "bad\u0000id", role: "assistant" as const, parts: [] },
      runId: run.runId,
    };
    await expect(store.finalizeTurnWithHistory(id, run.runId, "idle", [broken])).rejects.toThrow();
    expect((await store.getSession(id))?.turnStatus).toBe("running");
    expect(await store.finalizeTurnWithHistory(id, run.runId, "idle", [answer])).toBe(true);
    expect(await store.getSession(id)).toMatchObject({ turnStatus: "idle", currRunId: null });
    expect(await store.getHistory(id)).toEqual([answer]);
  });
});

describeWithPostgres("PostgresSessionStore history pages", (db) => {
  it("getHistoryPage agrees with pageOfRows (the memory and Redis paging) on every limit, cursor and hidden run", async () => {
    const store = new PostgresSessionStore({ sql: db.connect(), live: new MemorySessionStore() });
    try {
      const id = crypto.randomUUID();
      await store.createSession({ id, ownerId: "o", title: "t" });
      // Runs of 1-3 rows, untagged rows between them, a re-upsert that keeps its place.
      const rows: HistoryRow[] = [];
      const runs = ["r0", null, "r1", "r2", null, null, "r3", "r4", "r5"];
      for (const [index, runId] of runs.entries()) {
        for (let part = 0; part < (runId === null ? 1 : 1 + (index % 3)); part++) {
          rows.push({ message: { id: `m${index}-${part}`, role: "user", parts: [] }, runId });
        }
      }
      await store.upsertHistory(id, rows);
      await store.upsertHistory(id, [{ message: { id: "m2-0", role: "user", parts: [] }, runId: "r1" }]);
      for (const hideRunId of [null, "r5", "r3"]) {
        for (const limit of [1, 2, 3, 5, 100]) {
          // Follow each store's own cursors: the pages must hold the same rows.
          const ours: string[][] = [];
          const reference: string[][] = [];
          let before: string | null = null;
          do {
            const page: HistoryPage = await store.getHistoryPage(id, { limit, before, hideRunId });
            ours.push(page.rows.map((row) => row.message.id));
            before = page.before;
          } while (before !== null);
          do {
            const page = pageOfRows(rows, { limit, before, hideRunId });
            reference.push(page.rows.map((row) => row.message.id));
            before = page.before;
          } while (before !== null);
          expect({ hideRunId, limit, pages: ours }).toEqual({ hideRunId, limit, pages: reference });
        }
      }
      expect(
        await store.getHistoryPage(crypto.randomUUID(), { limit: 5, before: null, hideRunId: null }),
      ).toEqual({
        rows: [],
        before: null,
      });
    } finally {
      await store.close();
    }
  });
});

describe("PostgresSessionStore without a database", () => {
  it("every operation rejects with store_unavailable, and the server answers 503 naming no URL", async () => {
    const url = `postgres://postgres:pw-never-shown@127.0.0.1:${await freePort()}/none`;
    const store = new PostgresSessionStore({
      sql: postgres(url, { max: 1, connect_timeout: 1, onnotice: () => {} }),
      live: new MemorySessionStore(),
    });
    try {
      const refusal = await store.getSession("s").catch((error: unknown) => error);
      expect(ChatReplayError.isInstance(refusal) && refusal.code).toBe("store_unavailable");
      await expect(
        store.upsertHistory("s", [{ message: { id: "m", role: "user", parts: [] }, runId: null }]),
      ).rejects.toThrow(/unavailable/);
      const { client } = await startServer({ sessionStore: store });
      const response = await client.request("/api/sessions", { method: "POST", body: "{}" });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      const body = await response.text();
      expect(JSON.parse(body).error.code).toBe("store_unavailable");
      expect(body).not.toMatch(/pw-never-shown|127\.0\.0\.1|postgres:/);
    } finally {
      await store.close();
    }
  });
});
