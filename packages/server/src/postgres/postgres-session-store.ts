import { type ApprovalItem, ChatReplayError, type TurnStatus } from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import type { Sql, TransactionSql } from "postgres";
import { DEFAULT_SESSION_TTL_MS } from "../memory-session-store";
import {
  type BeginTurnResult,
  type HistoryPage,
  type HistoryPageQuery,
  type HistoryRow,
  newSessionRecord,
  type SessionRecord,
  type SessionStore,
  type TurnStart,
} from "../session-store";

/** Options of {@link PostgresSessionStore}. */
export interface PostgresSessionStoreOptions {
  /** A `postgres` (porsager) client on a database migrated by `migratePostgres`. */
  readonly sql: Sql;
  /**
   * The live store: claims (turn-end, continue dedupe, share links) and rate-limit counters
   * go to it, and its `deleteSession` drops the claims of a deleted session.
   */
  readonly live: SessionStore;
  /** Clock for `createdAt`, leases and expiry (epoch ms); injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * A session and its history read as gone this long after its last write (create, turn
   * transitions, lease renewals, history upserts). 0 keeps sessions forever. Default 30 days.
   */
  readonly sessionTtlMs?: number;
  /** Expired sessions are deleted (with their history) at most this often, from `createSession`. Default 60 s. */
  readonly sweepIntervalMs?: number;
  /**
   * How often (ms) the turn runner stores a running turn's answer so far (hidden, §3), so a
   * turn orphaned together with its Redis buffer still ends with its partial answer.
   * Default 2 s; 0 turns it off.
   */
  readonly partialHistoryEveryMs?: number;
  /** Whether `close()` ends the `sql` client (the live store is always closed). Default true. */
  readonly ownsSql?: boolean;
}

type Db = Sql | TransactionSql;

interface SessionRow {
  id: string;
  owner_id: string;
  title: string;
  created_at: Date;
  turn_status: TurnStatus;
  curr_run_id: string | null;
  stream_id: string | null;
  last_run_id: string | null;
  last_stream_id: string | null;
  prompt: string | null;
  prompt_message_id: string | null;
  phase: number;
  pending_approvals: ApprovalItem[];
  lease_expires_at: number | null;
  version: number;
}

const NO_CURSOR = "9223372036854775807";

/**
 * Sessions and history in Postgres: the system of record (§2, §3). Every transition is one
 * `UPDATE … WHERE` on the session row (compare-and-set on the run or stream id), so
 * instances race safely; history rows are tagged with their run id, and a turn's final rows
 * are written in the transaction that ends it (`finalizeTurnWithHistory`). Claims and
 * rate-limit counters are live state and go to the `live` store (memory or Redis).
 */
export class PostgresSessionStore implements SessionStore {
  private readonly sql: Sql;
  private readonly live: SessionStore;
  private readonly now: () => number;
  private readonly sessionTtlMs: number;
  private readonly sweepIntervalMs: number;
  private readonly ownsSql: boolean;
  readonly partialHistoryEveryMs: number | undefined;
  private nextSweepAt: number;

  constructor(options: PostgresSessionStoreOptions) {
    this.sql = options.sql;
    this.live = options.live;
    this.now = options.now ?? Date.now;
    this.sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.ownsSql = options.ownsSql ?? true;
    const partialEvery = options.partialHistoryEveryMs ?? 2_000;
    this.partialHistoryEveryMs = partialEvery > 0 ? partialEvery : undefined;
    this.nextSweepAt = this.now() + this.sweepIntervalMs;
  }

  /** The expiry a write at `now` gives its session: null (never) for TTL 0. */
  private expiresAt(now: number): number | null {
    return this.sessionTtlMs === 0 ? null : now + this.sessionTtlMs;
  }

  /** SQL fragment: the session row has not expired at `now`. */
  private live_(db: Db, now: number) {
    return db`(expires_at IS NULL OR expires_at > ${now})`;
  }

  private columns(db: Db) {
    return db`id, owner_id, title, created_at, turn_status, curr_run_id, stream_id, last_run_id,
      last_stream_id, prompt, prompt_message_id, phase, pending_approvals,
      lease_expires_at::float8 AS lease_expires_at, version::float8 AS version`;
  }

  createSession(
    input: { id: string; ownerId: string; title: string },
    limits: { readonly maxPerOwner?: number } = {},
  ): Promise<SessionRecord | null> {
    return this.guard("createSession", async () => {
      await this.sweepIfDue();
      const now = this.now();
      const record = newSessionRecord(input, now);
      return this.sql.begin(async (tx) => {
        // One owner's creates are serialised, so count-then-insert cannot overshoot the limit.
        await tx`SELECT pg_advisory_xact_lock(hashtext(${input.ownerId}))`;
        const { maxPerOwner } = limits;
        if (maxPerOwner !== undefined) {
          const [row] = await tx<{ count: number }[]>`
            SELECT count(*)::int AS count FROM chat_replay_sessions
            WHERE owner_id = ${input.ownerId} AND id <> ${input.id} AND ${this.live_(tx, now)}`;
          if ((row?.count ?? 0) >= maxPerOwner) return null;
        }
        // A session created again under its id replaces itself (history included), as in memory.
        await tx`DELETE FROM chat_replay_sessions WHERE id = ${input.id}`;
        await tx`
          INSERT INTO chat_replay_sessions (id, owner_id, title, created_at, turn_status, expires_at)
          VALUES (${input.id}, ${input.ownerId}, ${input.title}, ${new Date(now)}, 'idle', ${this.expiresAt(now)})`;
        return record;
      });
    });
  }

  /** Deletes the session (its history cascades), then the claims naming it in the live store. */
  deleteSession(id: string): Promise<SessionRecord | null> {
    return this.guard("deleteSession", async () => {
      const now = this.now();
      const [row] = await this.sql<SessionRow[]>`
        WITH gone AS (DELETE FROM chat_replay_sessions WHERE id = ${id} RETURNING *)
        SELECT ${this.columns(this.sql)} FROM gone WHERE ${this.live_(this.sql, now)}`;
      await this.live.deleteSession(id);
      return row ? toRecord(row) : null;
    });
  }

  countHit(key: string, windowMs: number): Promise<{ readonly count: number; readonly resetAt: number }> {
    return this.live.countHit(key, windowMs);
  }

  getSession(id: string): Promise<SessionRecord | null> {
    return this.guard("getSession", async () => {
      const [row] = await this.sql<SessionRow[]>`
        SELECT ${this.columns(this.sql)} FROM chat_replay_sessions
        WHERE id = ${id} AND ${this.live_(this.sql, this.now())}`;
      return row ? toRecord(row) : null;
    });
  }

  beginTurn(sessionId: string, turn: TurnStart): Promise<BeginTurnResult> {
    return this.guard("beginTurn", async () => {
      const now = this.now();
      const [row] = await this.sql<SessionRow[]>`
        UPDATE chat_replay_sessions SET
          turn_status = 'running', curr_run_id = ${turn.runId}, stream_id = ${turn.streamId},
          last_run_id = ${turn.runId}, last_stream_id = ${turn.streamId}, prompt = ${turn.prompt},
          prompt_message_id = ${turn.promptMessageId}, phase = 0, pending_approvals = '[]',
          lease_expires_at = ${now + turn.leaseMs}, version = version + 1,
          expires_at = ${this.expiresAt(now)}
        WHERE id = ${sessionId} AND curr_run_id IS NULL AND ${this.live_(this.sql, now)}
        RETURNING ${this.columns(this.sql)}`;
      return row
        ? { ok: true, session: toRecord(row) }
        : { ok: false, session: await this.getSession(sessionId) };
    });
  }

  pauseTurn(sessionId: string, runId: string, approvals: readonly ApprovalItem[]): Promise<boolean> {
    return this.guard("pauseTurn", async () => {
      const now = this.now();
      const rows = await this.sql`
        UPDATE chat_replay_sessions SET
          turn_status = 'waiting_for_approval', pending_approvals = ${JSON.stringify(approvals)}::text::json,
          lease_expires_at = NULL, version = version + 1, expires_at = ${this.expiresAt(now)}
        WHERE id = ${sessionId} AND curr_run_id = ${runId} AND turn_status = 'running'
          AND ${this.live_(this.sql, now)}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  resumeTurn(sessionId: string, runId: string, leaseMs: number): Promise<SessionRecord | null> {
    return this.guard("resumeTurn", async () => {
      const now = this.now();
      const [row] = await this.sql<SessionRow[]>`
        UPDATE chat_replay_sessions SET
          turn_status = 'running', phase = phase + 1, pending_approvals = '[]',
          lease_expires_at = ${now + leaseMs}, version = version + 1, expires_at = ${this.expiresAt(now)}
        WHERE id = ${sessionId} AND curr_run_id = ${runId} AND turn_status = 'waiting_for_approval'
          AND ${this.live_(this.sql, now)}
        RETURNING ${this.columns(this.sql)}`;
      return row ? toRecord(row) : null;
    });
  }

  finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean> {
    return this.guard("finalizeTurn", async () => {
      return this.end(this.sql, sessionId, this.sql`curr_run_id = ${runId}`, status);
    });
  }

  /** §2 compare-and-clear and the turn's final rows, one transaction: both or neither. */
  finalizeTurnWithHistory(
    sessionId: string,
    runId: string,
    status: TurnStatus,
    rows: readonly HistoryRow[],
  ): Promise<boolean> {
    return this.guard("finalizeTurnWithHistory", async () => {
      return this.sql.begin(async (tx) => {
        if (!(await this.end(tx, sessionId, tx`curr_run_id = ${runId}`, status))) return false;
        await this.insertRows(tx, sessionId, rows);
        return true;
      });
    });
  }

  abandonTurn(sessionId: string, streamId: string): Promise<boolean> {
    return this.guard("abandonTurn", async () => {
      return this.end(this.sql, sessionId, this.sql`stream_id = ${streamId}`, "failed");
    });
  }

  /** The ended projection (§2 Finalize): pointers cleared, last-run pointers kept. */
  private async end(
    db: Db,
    sessionId: string,
    compare: ReturnType<Db>,
    status: TurnStatus,
  ): Promise<boolean> {
    const now = this.now();
    const rows = await db`
      UPDATE chat_replay_sessions SET
        turn_status = ${status}, curr_run_id = NULL, stream_id = NULL, prompt = NULL,
        prompt_message_id = NULL, pending_approvals = '[]', lease_expires_at = NULL,
        version = version + 1, expires_at = ${this.expiresAt(now)}
      WHERE id = ${sessionId} AND ${compare} AND ${this.live_(db, now)}
      RETURNING id`;
    return rows.length === 1;
  }

  renewLease(sessionId: string, runId: string, leaseMs: number): Promise<boolean> {
    return this.guard("renewLease", async () => {
      const now = this.now();
      const rows = await this.sql`
        UPDATE chat_replay_sessions SET lease_expires_at = ${now + leaseMs}, expires_at = ${this.expiresAt(now)}
        WHERE id = ${sessionId} AND curr_run_id = ${runId} AND ${this.live_(this.sql, now)}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  upsertHistory(sessionId: string, rows: readonly HistoryRow[]): Promise<void> {
    return this.guard("upsertHistory", async () => {
      if (rows.length === 0) return;
      const now = this.now();
      await this.sql.begin(async (tx) => {
        const touched = await tx`
          UPDATE chat_replay_sessions SET expires_at = ${this.expiresAt(now)}
          WHERE id = ${sessionId} AND ${this.live_(tx, now)} RETURNING id`;
        if (touched.length === 1) await this.insertRows(tx, sessionId, rows);
      });
    });
  }

  /** Inserts or replaces rows by message id; a row keeps the position of its first insertion. */
  private async insertRows(db: Db, sessionId: string, rows: readonly HistoryRow[]): Promise<void> {
    // One statement cannot touch a row twice: the last version of a repeated id wins, at its first place.
    const byId = new Map<string, HistoryRow>();
    for (const row of rows) byId.set(row.message.id, row);
    if (byId.size === 0) return;
    const unique = [...byId.values()];
    await db`
      INSERT INTO chat_replay_history (session_id, message_id, run_id, message)
      SELECT ${sessionId}, t.message_id, t.run_id, t.message::json
      FROM unnest(${unique.map((row) => row.message.id)}::text[],
                  ${unique.map((row) => row.runId)}::text[],
                  ${unique.map((row) => JSON.stringify(row.message))}::text[])
           WITH ORDINALITY AS t(message_id, run_id, message, position)
      ORDER BY t.position
      ON CONFLICT (session_id, message_id)
      DO UPDATE SET run_id = excluded.run_id, message = excluded.message`;
  }

  getHistory(sessionId: string): Promise<HistoryRow[]> {
    return this.guard("getHistory", async () => {
      const rows = await this.sql<{ message: UIMessage; run_id: string | null }[]>`
        SELECT h.message, h.run_id FROM chat_replay_history h
        JOIN chat_replay_sessions s ON s.id = h.session_id
        WHERE h.session_id = ${sessionId} AND ${this.live_(this.sql, this.now())}
        ORDER BY h.seq`;
      return rows.map((row) => ({ message: row.message, runId: row.run_id }));
    });
  }

  /**
   * §3 History pages without reading the session: walks the (session, seq) index backwards
   * from the cursor, numbering turns as it goes, and stops at the first row of turn
   * `limit + 1` (the boundary); the page is the visible rows after it. Costs the page, not
   * the session's length.
   */
  getHistoryPage(sessionId: string, query: HistoryPageQuery): Promise<HistoryPage> {
    return this.guard("getHistoryPage", async () => {
      const before = query.before ?? NO_CURSOR;
      const now = this.now();
      const [live] = await this.sql`
        SELECT 1 FROM chat_replay_sessions WHERE id = ${sessionId} AND ${this.live_(this.sql, now)}`;
      if (!live) return { rows: [], before: null };
      const [boundary] = await this.sql<{ seq: string }[]>`
        SELECT seq::text AS seq FROM (
          SELECT seq, count(*) FILTER (WHERE starts) OVER (ORDER BY seq DESC ROWS UNBOUNDED PRECEDING) AS turn
          FROM (
            SELECT seq, turn IS DISTINCT FROM lag(turn) OVER (ORDER BY seq DESC) AS starts
            FROM (
              SELECT seq, coalesce(run_id, 'row:' || seq::text) AS turn FROM chat_replay_history
              WHERE session_id = ${sessionId} AND seq < ${before}::bigint
                AND ${this.visible(query.hideRunId)}
              ORDER BY seq DESC
            ) visible
          ) marked
        ) numbered
        WHERE turn > ${query.limit}
        LIMIT 1`;
      const after = boundary?.seq ?? "-1";
      const rows = await this.sql<{ message: UIMessage; run_id: string | null }[]>`
        SELECT message, run_id FROM chat_replay_history
        WHERE session_id = ${sessionId} AND seq > ${after}::bigint AND seq < ${before}::bigint
          AND ${this.visible(query.hideRunId)}
        ORDER BY seq`;
      return {
        rows: rows.map((row) => ({ message: row.message, runId: row.run_id })),
        // Rows below the cursor `seq + 1` are the boundary turn and older.
        before: boundary ? (BigInt(boundary.seq) + 1n).toString() : null,
      };
    });
  }

  /**
   * Runs one store operation; a lost or refused connection becomes `store_unavailable`, which
   * the server answers with 503 and `Retry-After` (never the database URL). Other errors
   * (constraint violations, bugs) pass through.
   */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      throw new ChatReplayError("store_unavailable", `Postgres history store unavailable (${operation}).`, {
        cause: error,
      });
    }
  }

  /** SQL fragment: the row is not the hidden active run's (§3); untagged rows always show. */
  private visible(hideRunId: string | null) {
    return hideRunId === null ? this.sql`TRUE` : this.sql`run_id IS DISTINCT FROM ${hideRunId}::text`;
  }

  claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return this.live.claimOnce(key, ttlMs);
  }

  isClaimed(key: string): Promise<boolean> {
    return this.live.isClaimed(key);
  }

  releaseClaim(key: string): Promise<void> {
    return this.live.releaseClaim(key);
  }

  /** Deletes expired sessions (history cascades) at most once per `sweepIntervalMs`. */
  private async sweepIfDue(): Promise<void> {
    const now = this.now();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.sweepIntervalMs;
    await this.sql`DELETE FROM chat_replay_sessions WHERE expires_at <= ${now}`;
  }

  /**
   * Readiness (`GET /readyz`): `SELECT 1` on Postgres. The live store is not asked: in every
   * supported setup it is the stream store's Redis (checked as such) or memory.
   */
  async ping(): Promise<void> {
    await this.guard("ping", () => this.sql`SELECT 1`);
  }

  async close(): Promise<void> {
    await this.live.close();
    if (this.ownsSql) await this.sql.end({ timeout: 5 });
  }
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    title: row.title,
    createdAt: row.created_at.toISOString(),
    turnStatus: row.turn_status,
    currRunId: row.curr_run_id,
    streamId: row.stream_id,
    lastRunId: row.last_run_id,
    lastStreamId: row.last_stream_id,
    prompt: row.prompt,
    promptMessageId: row.prompt_message_id,
    phase: row.phase,
    pendingApprovals: row.pending_approvals,
    leaseExpiresAt: row.lease_expires_at,
    version: row.version,
  };
}

/** Socket-level failures and the server states that mean "not now" (SQLSTATE 08xxx, 57P0x). */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = String((error as { code: unknown }).code);
  return CONNECTION_CODES.has(code) || code.startsWith("08") || /^57P0[1-3]$/.test(code);
}
