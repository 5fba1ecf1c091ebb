// Row 8 (issue 19): the history store. Turn-end write latency and history read latency for a
// session of 1,000 turns, Postgres (history) vs Redis (sessions and history), same run.
import type { HistoryRow, SessionStore } from "@chat-replay/server";
import { connectPostgres, migratePostgres, PostgresSessionStore } from "@chat-replay/server/postgres";
import { RedisSessionStore } from "@chat-replay/server/redis";
import type { UIMessage } from "ai";
import type { BenchContext, RowResult } from "../context";
import { fmt, fmtRatio, now, percentile, sample } from "../stats";

/** A typical answer: about 1 KB of text in one part, plus a reasoning part. */
function answer(id: string): UIMessage {
  return {
    id,
    role: "assistant",
    parts: [
      { type: "reasoning", text: "thinking ".repeat(20), state: "done" },
      { type: "text", text: "lorem ipsum dolor sit amet ".repeat(38), state: "done" },
    ],
  };
}

const prompt = (id: string): UIMessage => ({
  id,
  role: "user",
  parts: [{ type: "text", text: "Tell me more about resumable streams, please." }],
});

/** The database the row creates on `adminUrl` and drops after. */
async function benchDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = connectPostgres(adminUrl, 1);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 1 });
    },
  };
}

interface StoreResult {
  /** Per turn: the turn-end write as `endTurn` does it for this store (ms). */
  readonly turnEndMs: number[];
  /** The whole history of the 1,000-turn session (`getHistory`), per read (ms). */
  readonly fullReadMs: number[];
  /** The newest 20 turns (`GET /:id?limit=20`'s store call), per read (ms). */
  readonly pageReadMs: number[];
  readonly rows: number;
}

/** 1,000 turns through the store, then reads: what the turn runner and `GET /:id` cost it. */
async function measure(store: SessionStore, turns: number, reads: number): Promise<StoreResult> {
  const sessionId = crypto.randomUUID();
  await store.createSession({ id: sessionId, ownerId: "bench", title: "history bench" });
  const turnEndMs: number[] = [];
  for (let turn = 0; turn < turns; turn++) {
    const runId = crypto.randomUUID();
    await store.beginTurn(sessionId, {
      runId,
      streamId: crypto.randomUUID(),
      prompt: "p",
      promptMessageId: `user-${turn}`,
      leaseMs: 60_000,
    });
    await store.upsertHistory(sessionId, [{ message: prompt(`user-${turn}`), runId }]);
    const rows: HistoryRow[] = [{ message: answer(`${sessionId}:${runId}`), runId }];
    const started = now();
    // What `endTurn` does: one transaction where the store has it, else upsert then finalize.
    if (store.finalizeTurnWithHistory) await store.finalizeTurnWithHistory(sessionId, runId, "idle", rows);
    else {
      await store.upsertHistory(sessionId, rows);
      await store.finalizeTurn(sessionId, runId, "idle");
    }
    turnEndMs.push(now() - started);
  }
  const fullReadMs: number[] = [];
  const pageReadMs: number[] = [];
  let rowCount = 0;
  for (let index = 0; index < reads + 3; index++) {
    let started = now();
    const all = await store.getHistory(sessionId);
    const full = now() - started;
    started = now();
    const page = store.getHistoryPage
      ? (await store.getHistoryPage(sessionId, { limit: 20, before: null, hideRunId: null })).rows
      : // Without an index the page is cut from the whole history (what `pageHistory` does).
        (await store.getHistory(sessionId)).slice(-40);
    const paged = now() - started;
    if (index < 3) continue; // warm-up
    fullReadMs.push(full);
    pageReadMs.push(paged);
    rowCount = all.length;
    if (page.length !== 40) throw new Error(`a page of 20 turns had ${page.length} rows`);
  }
  return { turnEndMs, fullReadMs, pageReadMs, rows: rowCount };
}

export async function historyRow(ctx: BenchContext): Promise<RowResult> {
  const turns = ctx.quick ? 200 : 1000;
  const reads = ctx.quick ? 10 : 30;
  const adminUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  const db = await benchDatabase(adminUrl, `chat_replay_bench_${ctx.prefix.replace(/\W/g, "_")}`);
  const sql = connectPostgres(db.url, 4);
  const redisLive = new RedisSessionStore({ redis: ctx.redisUrl, keyPrefix: `${ctx.prefix}:pg-live` });
  const redisStore = new RedisSessionStore({ redis: ctx.redisUrl, keyPrefix: `${ctx.prefix}:history` });
  try {
    await migratePostgres(sql);
    const postgresStore = new PostgresSessionStore({ sql, live: redisLive, ownsSql: false });
    ctx.progress(`row 8: ${turns} turns into Redis, then into Postgres (+ Redis live store)`);
    const redis = await measure(redisStore, turns, reads);
    const postgres = await measure(postgresStore, turns, reads);
    const line = (result: StoreResult) => {
      const end = sample(result.turnEndMs);
      return `turn end ${fmt(end.median)} ms (p99 ${fmt(percentile(result.turnEndMs, 99))}); read all ${result.rows.toLocaleString()} rows ${fmt(sample(result.fullReadMs).median)} ms; newest 20 turns ${fmt(sample(result.pageReadMs).median)} ms`;
    };
    const pageRatio = sample(postgres.pageReadMs).median / sample(redis.pageReadMs).median;
    return {
      lines: [
        {
          row: "8",
          what: `History store, a session of ${turns.toLocaleString()} turns: turn-end write (answer + lifecycle), whole-history read, newest-20-turns page — Postgres (reference: Redis)`,
          ours: line(postgres),
          reference: line(redis),
          ratio: `turn end ${fmtRatio(sample(postgres.turnEndMs).median / sample(redis.turnEndMs).median)}; page ${fmtRatio(pageRatio)}`,
          goal: "page ≤ 10 ms at 1,000 turns",
          verdict: sample(postgres.pageReadMs).median <= 10 ? "met" : "missed",
        },
      ],
      data: {
        turns,
        reads,
        postgres: {
          turnEndMs: sample(postgres.turnEndMs),
          fullReadMs: sample(postgres.fullReadMs),
          pageReadMs: sample(postgres.pageReadMs),
        },
        redis: {
          turnEndMs: sample(redis.turnEndMs),
          fullReadMs: sample(redis.fullReadMs),
          pageReadMs: sample(redis.pageReadMs),
        },
      },
    };
  } finally {
    await redisStore.close();
    await redisLive.close();
    await sql.end({ timeout: 1 });
    await db.drop();
  }
}
