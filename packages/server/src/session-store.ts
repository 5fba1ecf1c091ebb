import type { ApprovalItem, TurnStatus } from "@chat-replay/protocol";
import type { UIMessage } from "ai";

/** A chat session as the session store projects it (§2): cheap to read on every poll. */
export interface SessionRecord {
  readonly id: string;
  /** Opaque owner id (a hash of the owner's token); every route compares it. */
  readonly ownerId: string;
  readonly title: string;
  readonly createdAt: string;
  readonly turnStatus: TurnStatus;
  /** The active run, while running or waiting. */
  readonly currRunId: string | null;
  readonly streamId: string | null;
  /** The most recent run, kept after finalize so its cursors stay checkable (§6). */
  readonly lastRunId: string | null;
  readonly lastStreamId: string | null;
  /** The active run's prompt text and client message id (§3 Status). */
  readonly prompt: string | null;
  readonly promptMessageId: string | null;
  /** 0 for the first phase; a continuation after a pause increments it. */
  readonly phase: number;
  /** Tool calls awaiting a decision while `waiting_for_approval`. */
  readonly pendingApprovals: readonly ApprovalItem[];
  /** Epoch ms after which an active run without a heartbeat is presumed dead. */
  readonly leaseExpiresAt: number | null;
  /** Grows on every lifecycle transition, so pollers notice turns shorter than a poll. */
  readonly version: number;
}

/** A new session's projection: idle, no runs, version 0. One definition for every store. */
export function newSessionRecord(
  input: { id: string; ownerId: string; title: string },
  nowMs: number,
): SessionRecord {
  return {
    ...input,
    createdAt: new Date(nowMs).toISOString(),
    turnStatus: "idle",
    currRunId: null,
    streamId: null,
    lastRunId: null,
    lastStreamId: null,
    prompt: null,
    promptMessageId: null,
    phase: 0,
    pendingApprovals: [],
    leaseExpiresAt: null,
    version: 0,
  };
}

/** What `beginTurn` pins on the session. */
export interface TurnStart {
  readonly runId: string;
  readonly streamId: string;
  readonly prompt: string;
  readonly promptMessageId: string;
  readonly leaseMs: number;
}

/** Result of `beginTurn`: the session now running this turn, or the status that refused it. */
export type BeginTurnResult =
  | { readonly ok: true; readonly session: SessionRecord }
  | { readonly ok: false; readonly session: SessionRecord | null };

/** One stored history row, tagged with the run that produced it (§3 History). */
export interface HistoryRow {
  readonly message: UIMessage;
  readonly runId: string | null;
}

/** What `getHistoryPage` reads: the newest `limit` turns before `before` (§3 History pages). */
export interface HistoryPageQuery {
  /** Turns per page: the rows of one run id are one turn; an untagged row is a turn alone. */
  readonly limit: number;
  /** Opaque cursor from a previous page's `before`; null for the newest page. */
  readonly before: string | null;
  /** The active run, whose rows are hidden (§3); null when no turn is active. */
  readonly hideRunId: string | null;
}

/** One page of history, oldest row first. */
export interface HistoryPage {
  readonly rows: HistoryRow[];
  /** Cursor of the next older page, or null when this page reaches the first row. */
  readonly before: string | null;
}

/**
 * The session store port: sessions, runs, history, the active prompt and turn leases.
 * Every transition is a compare-and-set on the run or stream id, so a stale writer can
 * never clear or redirect a newer turn (§2 Finalize). Implementations:
 * `MemorySessionStore` (default) and `RedisSessionStore`.
 */
export interface SessionStore {
  /**
   * Creates a session. With `maxPerOwner`, refuses (null) when the owner already has that
   * many live sessions (expired and deleted ones do not count); check and insert are atomic.
   */
  createSession(
    input: { id: string; ownerId: string; title: string },
    limits?: { readonly maxPerOwner?: number },
  ): Promise<SessionRecord | null>;
  /**
   * Removes a session, its history and its place in the owner's index; returns the record
   * as it was (so the caller can drop its buffers), or null if there was none.
   */
  deleteSession(id: string): Promise<SessionRecord | null>;
  /**
   * Counts one hit on `key` in a fixed window of `windowMs` (rate limits): the hits so far
   * in the current window, including this one, and when the window resets (epoch ms).
   */
  countHit(key: string, windowMs: number): Promise<{ readonly count: number; readonly resetAt: number }>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Pins a new run if no turn is active; refuses (returning the session) otherwise. */
  beginTurn(sessionId: string, turn: TurnStart): Promise<BeginTurnResult>;
  /** running → waiting_for_approval for `runId` only; records pending approvals. */
  pauseTurn(sessionId: string, runId: string, approvals: readonly ApprovalItem[]): Promise<boolean>;
  /** waiting_for_approval → running for `runId` only; increments the phase. */
  resumeTurn(sessionId: string, runId: string, leaseMs: number): Promise<SessionRecord | null>;
  /** Compare-and-clear: ends `runId` with `status` only if it is still the current run. */
  finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean>;
  /** Startup-failure cleanup: compare on the stream id (§2). */
  abandonTurn(sessionId: string, streamId: string): Promise<boolean>;
  /** Extends the lease of `runId`; false if it is no longer the current run. */
  renewLease(sessionId: string, runId: string, leaseMs: number): Promise<boolean>;
  /** Inserts or replaces (by message id) history rows, keeping order of first insertion. */
  upsertHistory(sessionId: string, rows: readonly HistoryRow[]): Promise<void>;
  /** Every history row, in order. */
  getHistory(sessionId: string): Promise<HistoryRow[]>;
  /**
   * Optional: `finalizeTurn` and `upsertHistory(rows)` in one transaction, the rows stored only
   * if the compare-and-clear succeeds, so history never holds a finished turn without its
   * answer. Stores without it get `upsertHistory` then `finalizeTurn` (§2, §3 History).
   */
  finalizeTurnWithHistory?(
    sessionId: string,
    runId: string,
    status: TurnStatus,
    rows: readonly HistoryRow[],
  ): Promise<boolean>;
  /**
   * Optional: a page of history computed by the store (an index instead of every row);
   * stores without it are paged from `getHistory` by `pageHistory`.
   */
  getHistoryPage?(sessionId: string, query: HistoryPageQuery): Promise<HistoryPage>;
  /**
   * Optional: how often (ms) the turn runner stores a running turn's answer so far as its
   * history row (hidden while the turn is active, §3). Set by stores that outlive the
   * buffers (Postgres), so a turn orphaned together with its buffer still ends with its
   * partial answer.
   */
  readonly partialHistoryEveryMs?: number;
  /** SET-NX with expiry, for continuation dedupe (§3): true if this caller claimed `key`. */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Whether a claim is still held. */
  isClaimed(key: string): Promise<boolean>;
  /** Drops a claim (a continuation that failed to start). */
  releaseClaim(key: string): Promise<void>;
  /**
   * Resolves when the store can serve right now, rejects otherwise (`GET /readyz`; called
   * with a short timeout). Optional: a store without it (in memory) is always ready.
   */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
