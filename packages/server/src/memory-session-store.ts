import type { ApprovalItem, TurnStatus } from "@chat-replay/protocol";
import {
  type BeginTurnResult,
  type HistoryRow,
  newSessionRecord,
  type SessionRecord,
  type SessionStore,
  type TurnStart,
} from "./session-store";

/** How long a session lives without activity, in both stores (30 days). */
export const DEFAULT_SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Clock for `createdAt`, lease deadlines and every expiry; injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * A session, its history and its owner-index place disappear after this long without a
   * write to it (create, turn transitions, lease renewals, history upserts). Running turns
   * renew their lease, so they never expire midway; a turn left waiting for approval longer
   * than this expires with its session. Default 30 days.
   */
  readonly sessionTtlMs?: number;
  /** Expired sessions, claims and hit counters are swept at most this often (ms). Default 60 s. */
  readonly sweepIntervalMs?: number;
}

function resolveOptions(options: MemorySessionStoreOptions) {
  return {
    now: options.now ?? Date.now,
    sessionTtlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    sweepIntervalMs: options.sweepIntervalMs ?? 60_000,
  };
}

interface SessionSlot {
  record: SessionRecord;
  readonly history: HistoryRow[];
  /** The last write to the session (epoch ms); the session expires `sessionTtlMs` after it. */
  lastActiveAt: number;
}

interface HitWindow {
  count: number;
  readonly resetAt: number;
}

/**
 * In-process session store: the default for one server process. Every method is atomic
 * (single-threaded JavaScript), which makes the compare-and-set transitions trivially safe.
 * Expired entries read as missing at once and are dropped by a sweep that runs from the
 * paths that add entries (`createSession`, `claimOnce`, `countHit`) at most once per
 * `sweepIntervalMs`, so memory stays bounded without a timer keeping the process alive.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionSlot>();
  /** ownerId → ids of that owner's sessions (expired ones until they are noticed or swept). */
  private readonly owners = new Map<string, Set<string>>();
  private readonly claims = new Map<string, number>();
  private readonly hits = new Map<string, HitWindow>();
  private readonly options: ReturnType<typeof resolveOptions>;
  private nextSweepAt: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.options = resolveOptions(options);
    this.nextSweepAt = this.now() + this.options.sweepIntervalMs;
  }

  private now(): number {
    return this.options.now();
  }

  /** Entries held, expired ones included until the next sweep; for monitoring and tests. */
  get size(): {
    readonly sessions: number;
    readonly owners: number;
    readonly claims: number;
    readonly hits: number;
  } {
    return {
      sessions: this.sessions.size,
      owners: this.owners.size,
      claims: this.claims.size,
      hits: this.hits.size,
    };
  }

  async createSession(
    input: { id: string; ownerId: string; title: string },
    limits: { readonly maxPerOwner?: number } = {},
  ): Promise<SessionRecord | null> {
    this.sweepIfDue();
    const { maxPerOwner } = limits;
    // A session created again under its id replaces itself, so it never counts against its own slot.
    if (maxPerOwner !== undefined && this.liveCount(input.ownerId, input.id) >= maxPerOwner) return null;
    this.removeSession(input.id);
    const record = newSessionRecord(input, this.now());
    this.sessions.set(input.id, { record, history: [], lastActiveAt: this.now() });
    const owned = this.owners.get(input.ownerId) ?? new Set<string>();
    owned.add(input.id);
    this.owners.set(input.ownerId, owned);
    return record;
  }

  /**
   * Removes the session, its history, its owner-index place and every claim naming it
   * (claim keys containing `:<id>:`, as in `end:<session>:<run>`).
   */
  async deleteSession(id: string): Promise<SessionRecord | null> {
    // Claims go even without a session here: as the live store of a history store (Postgres)
    // this store holds a session's claims but never the session.
    const marker = `:${id}:`;
    for (const key of this.claims.keys()) if (key.includes(marker)) this.claims.delete(key);
    const slot = this.liveSlot(id);
    if (!slot) return null;
    this.removeSession(id);
    return slot.record;
  }

  async countHit(
    key: string,
    windowMs: number,
  ): Promise<{ readonly count: number; readonly resetAt: number }> {
    this.sweepIfDue();
    const now = this.now();
    const current = this.hits.get(key);
    if (current && current.resetAt > now) {
      current.count += 1;
      return { count: current.count, resetAt: current.resetAt };
    }
    const fresh = { count: 1, resetAt: now + windowMs };
    this.hits.set(key, fresh);
    return { ...fresh };
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    return this.liveSlot(id)?.record ?? null;
  }

  /** The session's slot if it has not expired; an expired one is dropped on the spot. */
  private liveSlot(id: string): SessionSlot | undefined {
    const slot = this.sessions.get(id);
    if (!slot || !this.expired(slot)) return slot;
    this.removeSession(id);
    return undefined;
  }

  private expired(slot: SessionSlot): boolean {
    return slot.lastActiveAt + this.options.sessionTtlMs <= this.now();
  }

  private removeSession(id: string): void {
    const slot = this.sessions.get(id);
    if (!slot) return;
    this.sessions.delete(id);
    const owned = this.owners.get(slot.record.ownerId);
    owned?.delete(id);
    if (owned?.size === 0) this.owners.delete(slot.record.ownerId);
  }

  /** The owner's sessions, other than `exceptId`, that have not expired (dropping expired ones). */
  private liveCount(ownerId: string, exceptId: string): number {
    let count = 0;
    for (const id of [...(this.owners.get(ownerId) ?? [])])
      if (id !== exceptId && this.liveSlot(id)) count += 1;
    return count;
  }

  /** Drops every expired session, claim and hit window, at most once per `sweepIntervalMs`. */
  private sweepIfDue(): void {
    const now = this.now();
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + this.options.sweepIntervalMs;
    for (const [id, slot] of this.sessions) if (this.expired(slot)) this.removeSession(id);
    for (const [key, expiresAt] of this.claims) if (expiresAt <= now) this.claims.delete(key);
    for (const [key, window] of this.hits) if (window.resetAt <= now) this.hits.delete(key);
  }

  /** Applies `change` to a live session; a successful change is activity (it renews the TTL). */
  private update(id: string, change: (record: SessionRecord) => SessionRecord | null): SessionRecord | null {
    const slot = this.liveSlot(id);
    if (!slot) return null;
    const next = change(slot.record);
    if (!next) return null;
    slot.record = next;
    slot.lastActiveAt = this.now();
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
    const slot = this.liveSlot(sessionId);
    if (!slot || rows.length === 0) return;
    slot.lastActiveAt = this.now();
    for (const row of rows) {
      const index = slot.history.findIndex((existing) => existing.message.id === row.message.id);
      if (index >= 0) slot.history[index] = row;
      else slot.history.push(row);
    }
  }

  async getHistory(sessionId: string): Promise<HistoryRow[]> {
    return [...(this.liveSlot(sessionId)?.history ?? [])];
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    this.sweepIfDue();
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
    this.owners.clear();
    this.claims.clear();
    this.hits.clear();
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
