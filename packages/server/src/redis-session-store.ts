import {
  type ApprovalItem,
  approvalItemSchema,
  ChatReplayError,
  type TurnStatus,
  turnStatusSchema,
} from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { z } from "zod";
import { DEFAULT_SESSION_TTL_MS } from "./memory-session-store";
import { DEFAULT_REDIS_URL, RedisConnection, type RedisLog, type RedisTarget } from "./redis-connection";
import { RedisScript } from "./redis-script";
import {
  type BeginTurnResult,
  type HistoryRow,
  newSessionRecord,
  type SessionRecord,
  type SessionStore,
  type TurnStart,
} from "./session-store";

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** A `redis://` URL (the store opens and closes its connection) or a shared ioredis client. */
  readonly redis?: RedisTarget;
  /** The URL is a seed node of a Redis Cluster (every key of a session shares one hash slot). */
  readonly cluster?: boolean;
  /**
   * First segment of every key: `<prefix>:{<id>}:session` and so on (default `chat-replay`);
   * no braces (the session id in braces is the Redis Cluster hash tag).
   */
  readonly keyPrefix?: string;
  /** Clock for `createdAt` and lease deadlines; injectable for tests. */
  readonly now?: () => number;
  /** Prefix of the connection's `CLIENT SETNAME` (default `chat-replay`). */
  readonly connectionName?: string;
  /** Connection loss/recovery and corrupt history rows are reported here (default `console.warn`). */
  readonly log?: RedisLog;
  /**
   * A session's keys (hash, history, owner-set membership) expire after this long without a
   * write to it (create, turn transitions, lease renewals, history upserts), on Redis's own
   * clock. Running turns renew their lease, so they never expire midway; a turn left waiting
   * for approval longer than this expires with its session. Default 30 days.
   */
  readonly sessionTtlMs?: number;
}

function resolveOptions(options: RedisSessionStoreOptions) {
  if (options.keyPrefix !== undefined && /[{}]/.test(options.keyPrefix)) {
    throw new ChatReplayError("invalid_options", "RedisSessionStore: `keyPrefix` must not contain { or }.");
  }
  return {
    redis: options.redis ?? DEFAULT_REDIS_URL,
    keyPrefix: options.keyPrefix ?? "chat-replay",
    now: options.now ?? Date.now,
    connectionName: options.connectionName ?? "chat-replay",
    log: options.log ?? ((line: string) => console.warn(line)),
    sessionTtlMs: Math.max(1, Math.ceil(options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS)),
  };
}

// Each transition is one Lua script: a compare on the run (or stream) id and the update run
// atomically in Redis, so two instances can never interleave inside a transition (§2). A
// session is a hash; absent fields are nulls; `pendingApprovals` is opaque JSON for Lua.
//
// Every script on a session takes KEYS session, history rows, history order (one hash slot:
// the session id is their Redis Cluster hash tag) and starts its ARGV with the idle TTL; a
// successful write calls `touch()`, which renews the TTL of all three keys (idle expiry).
// The owner's set lives in the owner's slot, so no script spans both: the store renews it
// next to the transition (see `renewOwner`).

/** Wraps a session script body with the `touch()` that makes a write count as activity. */
function sessionScript(body: string): RedisScript {
  return new RedisScript(
    `
local ttl = ARGV[1]
local function touch()
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
${body}`,
    3,
  );
}

/**
 * Reserves a place in the owner's set (its own hash slot). KEYS: owner set; ARGV: TTL, limit
 * (-1: none), id, then members found stale (their session expired or now belongs to someone
 * else), removed first. Returns 1, or 0 at the limit. Check and insert are atomic, so
 * concurrent creates of one owner never pass the limit together.
 */
const RESERVE_OWNER_SLOT = new RedisScript(
  `
local ttl, limit, id = ARGV[1], tonumber(ARGV[2]), ARGV[3]
for i = 4, #ARGV do redis.call('SREM', KEYS[1], ARGV[i]) end
-- A session created again under its id replaces itself, so it never counts against its own slot.
local used = redis.call('SCARD', KEYS[1]) - redis.call('SISMEMBER', KEYS[1], id)
if limit >= 0 and used >= limit then return 0 end
redis.call('SADD', KEYS[1], id)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`,
  1,
);

/** KEYS: session, history rows, history order; ARGV: TTL, then the record's fields and values. */
const CREATE_SESSION = new RedisScript(
  `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`,
  3,
);

/** KEYS: session, history rows, history order. The old hash, or nil; the caller updates the owner set. */
const DELETE_SESSION = new RedisScript(
  `
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return false end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return hash
`,
  3,
);

/** Fixed window: KEYS[1] counter; ARGV[1] window (ms). Returns {count, pttl}. */
const COUNT_HIT = new RedisScript(
  `
local count = redis.call('INCR', KEYS[1])
local pttl = redis.call('PTTL', KEYS[1])
-- The first hit opens the window; a counter that somehow lost its expiry gets one again.
if pttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  pttl = tonumber(ARGV[1])
end
return {count, pttl}
`,
  1,
);

/** ARGV: TTL, runId, streamId, prompt, promptMessageId, leaseExpiresAt. */
const BEGIN_TURN = sessionScript(`
local runId, streamId, prompt, promptMessageId, leaseExpiresAt = unpack(ARGV, 2)
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HEXISTS', KEYS[1], 'currRunId') == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'turnStatus', 'running', 'currRunId', runId, 'streamId', streamId,
  'lastRunId', runId, 'lastStreamId', streamId, 'prompt', prompt, 'promptMessageId', promptMessageId,
  'phase', '0', 'pendingApprovals', '[]', 'leaseExpiresAt', leaseExpiresAt)
redis.call('HINCRBY', KEYS[1], 'version', 1)
touch()
return {1, redis.call('HGETALL', KEYS[1])}
`);

/** ARGV: TTL, runId, approvals JSON. */
const PAUSE_TURN = sessionScript(`
local runId, approvals = ARGV[2], ARGV[3]
if redis.call('HGET', KEYS[1], 'currRunId') ~= runId then return 0 end
if redis.call('HGET', KEYS[1], 'turnStatus') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'turnStatus', 'waiting_for_approval', 'pendingApprovals', approvals)
redis.call('HDEL', KEYS[1], 'leaseExpiresAt')
redis.call('HINCRBY', KEYS[1], 'version', 1)
touch()
return 1
`);

/** ARGV: TTL, runId, leaseExpiresAt. */
const RESUME_TURN = sessionScript(`
local runId, leaseExpiresAt = ARGV[2], ARGV[3]
if redis.call('HGET', KEYS[1], 'currRunId') ~= runId then return false end
if redis.call('HGET', KEYS[1], 'turnStatus') ~= 'waiting_for_approval' then return false end
redis.call('HSET', KEYS[1], 'turnStatus', 'running', 'pendingApprovals', '[]', 'leaseExpiresAt', leaseExpiresAt)
redis.call('HINCRBY', KEYS[1], 'phase', 1)
redis.call('HINCRBY', KEYS[1], 'version', 1)
touch()
return redis.call('HGETALL', KEYS[1])
`);

/** Compare-and-clear (§2 Finalize). ARGV: TTL, field to compare, its value, final status. */
const END_TURN = sessionScript(`
local field, value, status = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', KEYS[1], field) ~= value then return 0 end
redis.call('HSET', KEYS[1], 'turnStatus', status, 'pendingApprovals', '[]')
redis.call('HDEL', KEYS[1], 'currRunId', 'streamId', 'prompt', 'promptMessageId', 'leaseExpiresAt')
redis.call('HINCRBY', KEYS[1], 'version', 1)
touch()
return 1
`);

/** ARGV: TTL, runId, leaseExpiresAt. */
const RENEW_LEASE = sessionScript(`
if redis.call('HGET', KEYS[1], 'currRunId') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'leaseExpiresAt', ARGV[3])
touch()
return 1
`);

/** ARGV: TTL, id1, row1, id2, row2, ... (§3 History upsert). */
const UPSERT_HISTORY = sessionScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[i])
  else
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
touch()
return 1
`);

const nullable = z.string().optional();
const integer = z.coerce.number().int();

/** A session hash as stored; what Lua and `HGETALL` hand back. */
const sessionHashSchema = z.object({
  id: z.string(),
  ownerId: z.string(),
  title: z.string(),
  createdAt: z.string(),
  turnStatus: turnStatusSchema,
  currRunId: nullable,
  streamId: nullable,
  lastRunId: nullable,
  lastStreamId: nullable,
  prompt: nullable,
  promptMessageId: nullable,
  phase: integer.nonnegative(),
  pendingApprovals: z.string(),
  leaseExpiresAt: integer.optional(),
  version: integer.nonnegative(),
});

const approvalsSchema = z.array(approvalItemSchema);

/** A stored history row: the message is kept whole, only its envelope is checked. */
const historyRowSchema = z.object({
  message: z.looseObject({ id: z.string(), role: z.string(), parts: z.array(z.unknown()) }),
  runId: z.string().nullable(),
});

/**
 * The session store port on Redis, for several server instances. Keys, all under the prefix:
 * `{<id>}:session` (hash), `{<id>}:history` (hash of rows) + `{<id>}:history-order` (list
 * keeping first-insertion order), `{<id>}:claims` with `{<id>}:claim:<key>` (`SET NX PX`),
 * `owner-sessions:{<ownerId>}` (set of the owner's session ids) and `hits:<key>`
 * (rate-limit counters). The braces are Redis Cluster hash tags: a session's keys (and its
 * turn buffers, see `streamKey`) share one slot, so every script touches one slot and the
 * store runs unchanged on a single server or a cluster (`cluster: true`). Session keys
 * expire after `sessionTtlMs` without activity; the owner set is renewed with its sessions'
 * activity and expires after the last; members whose session expired are pruned when the
 * owner reaches its limit. Every
 * transition is one Lua script that compares the run (or stream) id and updates atomically,
 * with exactly the semantics of `MemorySessionStore` (§2): versions grow on every lifecycle
 * transition, finalize clears only its own run, abandon compares the stream id, leases renew
 * only for the current run. Data outlives the store and the process: `close` only closes the
 * connection.
 */
export class RedisSessionStore implements SessionStore {
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly log: RedisLog;
  private readonly sessionTtlMs: number;
  /** Owner of recently seen sessions, so transitions renew the owner's set without a read. */
  private readonly owners = new Map<string, string>();
  private ownerSlotDown = false;

  constructor(options: RedisSessionStoreOptions = {}) {
    const resolved = resolveOptions(options);
    this.log = resolved.log;
    this.connection = new RedisConnection(resolved.redis, {
      connectionName: `${resolved.connectionName}:sessions`,
      log: this.log,
      cluster: options.cluster === true,
    });
    this.prefix = resolved.keyPrefix;
    this.now = resolved.now;
    this.sessionTtlMs = resolved.sessionTtlMs;
  }

  /** Whether the connection is up (for health checks). */
  get available(): boolean {
    return this.connection.ready;
  }

  /** Readiness (`GET /readyz`): a `PING`; rejects while the connection is down. */
  async ping(): Promise<void> {
    await this.connection.run("ping", (client) => client.ping());
  }

  private sessionKey(id: string): string {
    return `${this.prefix}:{${id}}:session`;
  }

  private historyKeys(id: string): [rows: string, order: string] {
    return [`${this.prefix}:{${id}}:history`, `${this.prefix}:{${id}}:history-order`];
  }

  /** The keys every session script takes, in its order: session, history rows, history order. */
  private sessionKeys(id: string): [session: string, rows: string, order: string] {
    return [this.sessionKey(id), ...this.historyKeys(id)];
  }

  private ownerKey(ownerId: string): string {
    return `${this.prefix}:owner-sessions:{${ownerId}}`;
  }

  /**
   * Per-owner bookkeeping (the owner's session set, rate-limit counters) lives in the owner's
   * hash slot, not the session's. On a cluster, a master that is down must take down only
   * the sessions in its slots, so while the owner's slot is unreachable these limits fail
   * open with `fallback` (logged once per outage) instead of refusing the owner everywhere.
   * On a single server the session itself is down too, so the error stands.
   */
  private async perOwner<T>(operation: Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await operation;
      this.ownerSlotDown = false;
      return result;
    } catch (error) {
      if (
        !this.connection.isCluster ||
        !ChatReplayError.isInstance(error) ||
        error.code !== "store_unavailable"
      ) {
        throw error;
      }
      if (!this.ownerSlotDown) {
        this.log(
          "chat-replay: an owner's slot of the Redis Cluster is unreachable; per-owner limits fail open until it is back.",
        );
      }
      this.ownerSlotDown = true;
      return fallback;
    }
  }

  /** Remembers a session's owner (bounded), for `renewOwner`. */
  private rememberOwner(session: SessionRecord | null): SessionRecord | null {
    if (session) {
      if (this.owners.size >= 10_000 && !this.owners.has(session.id)) this.owners.clear();
      this.owners.set(session.id, session.ownerId);
    }
    return session;
  }

  /**
   * Renews the TTL of the owner's set next to a write to one of its sessions (the set lives
   * in the owner's hash slot, so the session's script cannot): the set outlives its active
   * sessions, and the limit never undercounts. Best effort: a failure here fails no request.
   */
  private renewOwner(sessionId: string): Promise<unknown> {
    const owner = this.owners.get(sessionId);
    if (owner === undefined) return Promise.resolve();
    return this.connection
      .run("renew owner", (client) => client.pexpire(this.ownerKey(owner), this.sessionTtlMs))
      .catch(() => undefined);
  }

  async createSession(
    input: { id: string; ownerId: string; title: string },
    limits: { readonly maxPerOwner?: number } = {},
  ): Promise<SessionRecord | null> {
    const record = newSessionRecord(input, this.now());
    const { maxPerOwner } = limits;
    // -1 tells the script "no limit" (as an absent or infinite `maxPerOwner` does in memory).
    const limit =
      maxPerOwner !== undefined && Number.isFinite(maxPerOwner) ? Math.max(0, Math.floor(maxPerOwner)) : -1;
    const ownerKey = this.ownerKey(input.ownerId);
    const reserve = (stale: readonly string[]) =>
      this.perOwner(
        this.script(
          "createSession",
          RESERVE_OWNER_SLOT,
          [ownerKey],
          [this.sessionTtlMs, limit, input.id, ...stale],
        ),
        1,
      );
    let reserved = await reserve([]);
    if (reserved !== 1) {
      // At the limit: members whose session expired or was recreated for someone else do not
      // count. Their sessions live in other slots, so they are checked here, then dropped.
      const members = await this.connection.run("createSession", (client) => client.smembers(ownerKey));
      const owners = await Promise.all(
        members.map((member) =>
          this.connection.run("createSession", (client) => client.hget(this.sessionKey(member), "ownerId")),
        ),
      );
      const stale = members.filter((member, index) => member !== input.id && owners[index] !== input.ownerId);
      if (stale.length > 0) reserved = await reserve(stale);
    }
    if (reserved !== 1) return null;
    await this.script("createSession", CREATE_SESSION, this.sessionKeys(input.id), [
      this.sessionTtlMs,
      ...Object.entries(encodeSession(record)).flat(),
    ]);
    return this.rememberOwner(record);
  }

  /**
   * Removes the session's hash, history and owner-set membership in one script, then the
   * claims that name it (`end:<session>:<run>`, `continue:…`, `share:…`), which `claimOnce`
   * indexes per session.
   */
  async deleteSession(id: string): Promise<SessionRecord | null> {
    const reply = await this.script("deleteSession", DELETE_SESSION, this.sessionKeys(id), []);
    const session = decodeSession(reply);
    this.owners.delete(id);
    if (session) {
      // A member left behind (owner's slot down) is pruned when the owner reaches its limit.
      await this.perOwner(
        this.connection.run("deleteSession owner", (client) =>
          client.srem(this.ownerKey(session.ownerId), id),
        ),
        0,
      );
    }
    // The session's claims (end, continue dedupe, share links) go with it (same slot).
    const index = this.claimIndexKey(id);
    const claims = await this.connection.run("deleteSession claims", (client) => client.smembers(index));
    await this.connection.run("deleteSession claims", (client) =>
      client.del(index, ...claims.map((claim) => this.claimKey(claim))),
    );
    return session;
  }

  async countHit(
    key: string,
    windowMs: number,
  ): Promise<{ readonly count: number; readonly resetAt: number }> {
    const window = Math.max(1, Math.ceil(windowMs));
    const reply = await this.perOwner(
      this.script("countHit", COUNT_HIT, [`${this.prefix}:hits:${key}`], [window]),
      [1, window],
    );
    const [count, pttl] = z.tuple([integer, integer]).parse(reply);
    return { count, resetAt: this.now() + pttl };
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const hash = await this.connection.run("getSession", (client) => client.hgetall(this.sessionKey(id)));
    return this.rememberOwner(decodeSession(hash));
  }

  async beginTurn(sessionId: string, turn: TurnStart): Promise<BeginTurnResult> {
    const reply = await this.transition("beginTurn", BEGIN_TURN, sessionId, [
      turn.runId,
      turn.streamId,
      turn.prompt,
      turn.promptMessageId,
      this.now() + turn.leaseMs,
    ]);
    if (!Array.isArray(reply)) return { ok: false, session: null };
    const session = decodeSession(reply[1]);
    if (!session) return { ok: false, session: null };
    return reply[0] === 1 ? { ok: true, session } : { ok: false, session };
  }

  async pauseTurn(sessionId: string, runId: string, approvals: readonly ApprovalItem[]): Promise<boolean> {
    const reply = await this.transition("pauseTurn", PAUSE_TURN, sessionId, [
      runId,
      JSON.stringify(approvals),
    ]);
    return reply === 1;
  }

  async resumeTurn(sessionId: string, runId: string, leaseMs: number): Promise<SessionRecord | null> {
    const reply = await this.transition("resumeTurn", RESUME_TURN, sessionId, [runId, this.now() + leaseMs]);
    return decodeSession(reply);
  }

  async finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean> {
    const reply = await this.transition("finalizeTurn", END_TURN, sessionId, ["currRunId", runId, status]);
    return reply === 1;
  }

  async abandonTurn(sessionId: string, streamId: string): Promise<boolean> {
    const reply = await this.transition("abandonTurn", END_TURN, sessionId, ["streamId", streamId, "failed"]);
    return reply === 1;
  }

  async renewLease(sessionId: string, runId: string, leaseMs: number): Promise<boolean> {
    const reply = await this.transition("renewLease", RENEW_LEASE, sessionId, [runId, this.now() + leaseMs]);
    return reply === 1;
  }

  async upsertHistory(sessionId: string, rows: readonly HistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    const args = rows.flatMap((row) => [
      row.message.id,
      JSON.stringify({ message: row.message, runId: row.runId }),
    ]);
    await this.transition("upsertHistory", UPSERT_HISTORY, sessionId, args);
  }

  async getHistory(sessionId: string): Promise<HistoryRow[]> {
    const [rowsKey, orderKey] = this.historyKeys(sessionId);
    const [order, stored] = await this.connection.run("getHistory", (client) =>
      client
        .multi()
        .lrange(orderKey, 0, -1)
        .hgetall(rowsKey)
        .exec()
        .then(checkTransaction)
        .then((results) => results as [string[], Record<string, string>]),
    );
    return order.flatMap((messageId) => {
      const row = decodeHistoryRow(stored[messageId]);
      if (!row) this.log(`chat-replay: corrupt history row ${sessionId} ${messageId}; it is left out.`);
      return row ? [row] : [];
    });
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    const reply = await this.connection.run("claimOnce", (client) =>
      client.set(this.claimKey(key), "1", "PX", ms, "NX"),
    );
    const sessionId = sessionOfClaim(key);
    if (reply === "OK" && sessionId !== null) {
      // Indexed by session so deleteSession can drop them; the index lives as long as its claims.
      const index = this.claimIndexKey(sessionId);
      await this.connection.run("claimOnce index", (client) =>
        client.multi().sadd(index, key).pexpire(index, ms, "GT").pexpire(index, ms, "NX").exec(),
      );
    }
    return reply === "OK";
  }

  async isClaimed(key: string): Promise<boolean> {
    return (await this.connection.run("isClaimed", (client) => client.exists(this.claimKey(key)))) === 1;
  }

  async releaseClaim(key: string): Promise<void> {
    await this.connection.run("releaseClaim", (client) => client.del(this.claimKey(key)));
  }

  /** A claim that names a session lives in the session's slot, next to the claim index. */
  private claimKey(key: string): string {
    const sessionId = sessionOfClaim(key);
    return sessionId === null ? `${this.prefix}:claim:${key}` : `${this.prefix}:{${sessionId}}:claim:${key}`;
  }

  private claimIndexKey(sessionId: string): string {
    return `${this.prefix}:{${sessionId}}:claims`;
  }

  /** Closes the connection; the data stays in Redis for every other instance. */
  async close(): Promise<void> {
    await this.connection.close();
  }

  /**
   * Runs a session script (see `sessionScript`): its three keys, then the TTL first. A write
   * that went through (a reply other than 0, false or a refusal) renews the owner's set too.
   */
  private async transition(
    operation: string,
    script: RedisScript,
    sessionId: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const reply = await this.script(operation, script, this.sessionKeys(sessionId), [
      this.sessionTtlMs,
      ...args,
    ]);
    const refused = reply === 0 || reply === null || (Array.isArray(reply) && reply[0] === 0);
    if (!refused) await this.renewOwner(sessionId);
    return reply;
  }

  private script(
    operation: string,
    script: RedisScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.connection.run(operation, (client) => script.run(client, keys, args));
  }
}

/** The hash fields of a record; nulls are left out (absent = null). */
function encodeSession(record: SessionRecord): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value === null) continue;
    fields[name] = name === "pendingApprovals" ? JSON.stringify(value) : String(value);
  }
  return fields;
}

/** A session from `HGETALL` (object or Lua's flat array); null when missing. Throws on corrupt data. */
function decodeSession(reply: unknown): SessionRecord | null {
  const hash = Array.isArray(reply) ? fromFlatArray(reply) : (reply as Record<string, string> | null);
  if (!hash || Object.keys(hash).length === 0) return null;
  const parsed = sessionHashSchema.safeParse(hash);
  const approvals = parsed.success
    ? approvalsSchema.safeParse(parseJson(parsed.data.pendingApprovals))
    : null;
  if (!parsed.success || !approvals?.success) {
    throw new ChatReplayError("internal", `Corrupt session record ${String(hash.id ?? "?")} in Redis.`);
  }
  const data = parsed.data;
  return {
    id: data.id,
    ownerId: data.ownerId,
    title: data.title,
    createdAt: data.createdAt,
    turnStatus: data.turnStatus,
    currRunId: data.currRunId ?? null,
    streamId: data.streamId ?? null,
    lastRunId: data.lastRunId ?? null,
    lastStreamId: data.lastStreamId ?? null,
    prompt: data.prompt ?? null,
    promptMessageId: data.promptMessageId ?? null,
    phase: data.phase,
    pendingApprovals: approvals.data,
    leaseExpiresAt: data.leaseExpiresAt ?? null,
    version: data.version,
  };
}

function decodeHistoryRow(raw: string | undefined): HistoryRow | null {
  if (raw === undefined) return null;
  const parsed = historyRowSchema.safeParse(parseJson(raw));
  return parsed.success
    ? { message: parsed.data.message as unknown as UIMessage, runId: parsed.data.runId }
    : null;
}

function fromFlatArray(flat: readonly unknown[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2)
    hash[String(flat[index])] = String(flat[index + 1]);
  return hash;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `MULTI ... EXEC` results, throwing the first command error (or an aborted transaction). */
function checkTransaction(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error("Redis transaction aborted");
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** The session a claim key names: the server's claims are `<kind>:<session id>:...`. */
function sessionOfClaim(key: string): string | null {
  const match = /^[a-z]+:([A-Za-z0-9_-]{1,64}):/.exec(key);
  return match ? match[1]! : null;
}
