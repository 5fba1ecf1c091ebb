import type { ApprovalItem, TurnStatus } from "@chat-replay/protocol";
import {
  type BeginTurnResult,
  type HistoryRow,
  newSessionRecord,
  type SessionRecord,
  type SessionStore,
  type TurnStart,
} from "./session-store";

interface SessionSlot {
  record: SessionRecord;
  readonly history: HistoryRow[];
}

/**
 * In-process session store: the default for one server process. Every method is atomic
 * (single-threaded JavaScript), which makes the compare-and-set transitions trivially safe.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionSlot>();
  private readonly claims = new Map<string, number>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async createSession(input: { id: string; ownerId: string; title: string }): Promise<SessionRecord> {
    const record = newSessionRecord(input, this.now());
    this.sessions.set(input.id, { record, history: [] });
    return record;
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return this.sessions.get(id)?.record ?? null;
  }

  private update(id: string, change: (record: SessionRecord) => SessionRecord | null): SessionRecord | null {
    const slot = this.sessions.get(id);
    if (!slot) return null;
    const next = change(slot.record);
    if (!next) return null;
    slot.record = next;
    return next;
  }

  async beginTurn(sessionId: string, turn: TurnStart): Promise<BeginTurnResult> {
    const session = this.update(sessionId, (record) =>
      record.currRunId !== null
        ? null
        : {
            ...record,
            turnStatus: "running",
            currRunId: turn.runId,
            streamId: turn.streamId,
            lastRunId: turn.runId,
            lastStreamId: turn.streamId,
            prompt: turn.prompt,
            promptMessageId: turn.promptMessageId,
            phase: 0,
            pendingApprovals: [],
            leaseExpiresAt: this.now() + turn.leaseMs,
            version: record.version + 1,
          },
    );
    return session ? { ok: true, session } : { ok: false, session: await this.getSession(sessionId) };
  }

  async pauseTurn(sessionId: string, runId: string, approvals: readonly ApprovalItem[]): Promise<boolean> {
    return (
      this.update(sessionId, (record) =>
        record.currRunId !== runId || record.turnStatus !== "running"
          ? null
          : {
              ...record,
              turnStatus: "waiting_for_approval",
              pendingApprovals: [...approvals],
              leaseExpiresAt: null,
              version: record.version + 1,
            },
      ) !== null
    );
  }

  async resumeTurn(sessionId: string, runId: string, leaseMs: number): Promise<SessionRecord | null> {
    return this.update(sessionId, (record) =>
      record.currRunId !== runId || record.turnStatus !== "waiting_for_approval"
        ? null
        : {
            ...record,
            turnStatus: "running",
            phase: record.phase + 1,
            pendingApprovals: [],
            leaseExpiresAt: this.now() + leaseMs,
            version: record.version + 1,
          },
    );
  }

  async finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean> {
    return (
      this.update(sessionId, (record) => (record.currRunId !== runId ? null : ended(record, status))) !== null
    );
  }

  async abandonTurn(sessionId: string, streamId: string): Promise<boolean> {
    return (
      this.update(sessionId, (record) => (record.streamId !== streamId ? null : ended(record, "failed"))) !==
      null
    );
  }

  async renewLease(sessionId: string, runId: string, leaseMs: number): Promise<boolean> {
    return (
      this.update(sessionId, (record) =>
        record.currRunId !== runId ? null : { ...record, leaseExpiresAt: this.now() + leaseMs },
      ) !== null
    );
  }

  async upsertHistory(sessionId: string, rows: readonly HistoryRow[]): Promise<void> {
    const history = this.sessions.get(sessionId)?.history;
    if (!history) return;
    for (const row of rows) {
      const index = history.findIndex((existing) => existing.message.id === row.message.id);
      if (index >= 0) history[index] = row;
      else history.push(row);
    }
  }

  async getHistory(sessionId: string): Promise<HistoryRow[]> {
    return [...(this.sessions.get(sessionId)?.history ?? [])];
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    // Check and set without an await between them, or concurrent callers could all win.
    if (this.heldClaim(key)) return false;
    this.claims.set(key, this.now() + ttlMs);
    return true;
  }

  async isClaimed(key: string): Promise<boolean> {
    return this.heldClaim(key);
  }

  private heldClaim(key: string): boolean {
    const expiresAt = this.claims.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.claims.delete(key);
    return false;
  }

  async releaseClaim(key: string): Promise<void> {
    this.claims.delete(key);
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.claims.clear();
  }
}

/** The projection of an ended turn: pointers cleared, last-run pointers kept (§2 Finalize). */
function ended(record: SessionRecord, status: TurnStatus): SessionRecord {
  return {
    ...record,
    turnStatus: status,
    currRunId: null,
    streamId: null,
    prompt: null,
    promptMessageId: null,
    pendingApprovals: [],
    leaseExpiresAt: null,
    version: record.version + 1,
  };
}
