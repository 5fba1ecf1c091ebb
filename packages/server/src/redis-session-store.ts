import {
  type ApprovalItem,
  approvalItemSchema,
  ChatReplayError,
  type TurnStatus,
  turnStatusSchema,
} from "@chat-replay/protocol";
import type { UIMessage } from "ai";
import { z } from "zod";
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
  /** First segment of every key: `<prefix>:session:<id>` and so on (default `chat-replay`). */
  readonly keyPrefix?: string;
  /** Clock for `createdAt` and lease deadlines; injectable for tests. */
  readonly now?: () => number;
  /** Prefix of the connection's `CLIENT SETNAME` (default `chat-replay`). */
  readonly connectionName?: string;
  /** Connection loss/recovery and corrupt history rows are reported here (default `console.warn`). */
  readonly log?: RedisLog;
}

// Each transition is one Lua script: a compare on the run (or stream) id and the update run
// atomically in Redis, so two instances can never interleave inside a transition (§2). A
// session is a hash; absent fields are nulls; `pendingApprovals` is opaque JSON for Lua.

/** KEYS[1] session; ARGV: runId, streamId, prompt, promptMessageId, leaseExpiresAt. */
const BEGIN_TURN = new RedisScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HEXISTS', KEYS[1], 'currRunId') == 1 then return {0, redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'turnStatus', 'running', 'currRunId', ARGV[1], 'streamId', ARGV[2],
  'lastRunId', ARGV[1], 'lastStreamId', ARGV[2], 'prompt', ARGV[3], 'promptMessageId', ARGV[4],
  'phase', '0', 'pendingApprovals', '[]', 'leaseExpiresAt', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {1, redis.call('HGETALL', KEYS[1])}
`,
  1,
);

/** KEYS[1] session; ARGV: runId, approvals JSON. */
const PAUSE_TURN = new RedisScript(
  `
if redis.call('HGET', KEYS[1], 'currRunId') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'turnStatus') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'turnStatus', 'waiting_for_approval', 'pendingApprovals', ARGV[2])
redis.call('HDEL', KEYS[1], 'leaseExpiresAt')
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1
`,
  1,
);

/** KEYS[1] session; ARGV: runId, leaseExpiresAt. */
const RESUME_TURN = new RedisScript(
  `
if redis.call('HGET', KEYS[1], 'currRunId') ~= ARGV[1] then return false end
if redis.call('HGET', KEYS[1], 'turnStatus') ~= 'waiting_for_approval' then return false end
redis.call('HSET', KEYS[1], 'turnStatus', 'running', 'pendingApprovals', '[]', 'leaseExpiresAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'phase', 1)
redis.call('HINCRBY', KEYS[1], 'version', 1)
return redis.call('HGETALL', KEYS[1])
`,
  1,
);

/** Compare-and-clear (§2 Finalize). KEYS[1] session; ARGV: field to compare, its value, final status. */
const END_TURN = new RedisScript(
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'turnStatus', ARGV[3], 'pendingApprovals', '[]')
redis.call('HDEL', KEYS[1], 'currRunId', 'streamId', 'prompt', 'promptMessageId', 'leaseExpiresAt')
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1
`,
  1,
);

/** KEYS[1] session; ARGV: runId, leaseExpiresAt. */
const RENEW_LEASE = new RedisScript(
  `
if redis.call('HGET', KEYS[1], 'currRunId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'leaseExpiresAt', ARGV[2])
return 1
`,
  1,
);

/** KEYS: session, rows hash, order list; ARGV: id1, row1, id2, row2, ... (§3 History upsert). */
const UPSERT_HISTORY = new RedisScript(
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[i])
  else
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
return 1
`,
  3,
);

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
 * The session store port on Redis, for several server instances: a session is a hash
 * (`<prefix>:session:<id>`), history is a hash of rows plus a list that keeps first-insertion
 * order, claims are `SET NX PX` keys. Every transition is one Lua script that compares the
 * run (or stream) id and updates atomically, with exactly the semantics of
 * `MemorySessionStore` (§2): versions grow on every lifecycle transition, finalize clears
 * only its own run, abandon compares the stream id, leases renew only for the current run.
 * Data outlives the store and the process: `close` only closes the connection.
 */
export class RedisSessionStore implements SessionStore {
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly log: RedisLog;

  constructor(options: RedisSessionStoreOptions = {}) {
    this.log = options.log ?? ((line) => console.warn(line));
    this.connection = new RedisConnection(options.redis ?? DEFAULT_REDIS_URL, {
      connectionName: `${options.connectionName ?? "chat-replay"}:sessions`,
      log: this.log,
    });
    this.prefix = options.keyPrefix ?? "chat-replay";
    this.now = options.now ?? Date.now;
  }

  /** Whether the connection is up (for health checks). */
  get available(): boolean {
    return this.connection.ready;
  }

  private sessionKey(id: string): string {
    return `${this.prefix}:session:${id}`;
  }

  private historyKeys(id: string): [rows: string, order: string] {
    return [`${this.prefix}:history:${id}`, `${this.prefix}:history-order:${id}`];
  }

  async createSession(input: { id: string; ownerId: string; title: string }): Promise<SessionRecord> {
    const record = newSessionRecord(input, this.now());
    const key = this.sessionKey(input.id);
    await this.connection.run("createSession", (client) =>
      client
        .multi()
        .del(key, ...this.historyKeys(input.id))
        .hset(key, encodeSession(record))
        .exec()
        .then(checkTransaction),
    );
    return record;
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const hash = await this.connection.run("getSession", (client) => client.hgetall(this.sessionKey(id)));
    return decodeSession(hash);
  }

  async beginTurn(sessionId: string, turn: TurnStart): Promise<BeginTurnResult> {
    const reply = await this.script(
      "beginTurn",
      BEGIN_TURN,
      [this.sessionKey(sessionId)],
      [turn.runId, turn.streamId, turn.prompt, turn.promptMessageId, this.now() + turn.leaseMs],
    );
    if (!Array.isArray(reply)) return { ok: false, session: null };
    const session = decodeSession(reply[1]);
    if (!session) return { ok: false, session: null };
    return reply[0] === 1 ? { ok: true, session } : { ok: false, session };
  }

  async pauseTurn(sessionId: string, runId: string, approvals: readonly ApprovalItem[]): Promise<boolean> {
    const reply = await this.script(
      "pauseTurn",
      PAUSE_TURN,
      [this.sessionKey(sessionId)],
      [runId, JSON.stringify(approvals)],
    );
    return reply === 1;
  }

  async resumeTurn(sessionId: string, runId: string, leaseMs: number): Promise<SessionRecord | null> {
    const reply = await this.script(
      "resumeTurn",
      RESUME_TURN,
      [this.sessionKey(sessionId)],
      [runId, this.now() + leaseMs],
    );
    return decodeSession(reply);
  }

  async finalizeTurn(sessionId: string, runId: string, status: TurnStatus): Promise<boolean> {
    const reply = await this.script(
      "finalizeTurn",
      END_TURN,
      [this.sessionKey(sessionId)],
      ["currRunId", runId, status],
    );
    return reply === 1;
  }

  async abandonTurn(sessionId: string, streamId: string): Promise<boolean> {
    const reply = await this.script(
      "abandonTurn",
      END_TURN,
      [this.sessionKey(sessionId)],
      ["streamId", streamId, "failed"],
    );
    return reply === 1;
  }

  async renewLease(sessionId: string, runId: string, leaseMs: number): Promise<boolean> {
    const reply = await this.script(
      "renewLease",
      RENEW_LEASE,
      [this.sessionKey(sessionId)],
      [runId, this.now() + leaseMs],
    );
    return reply === 1;
  }

  async upsertHistory(sessionId: string, rows: readonly HistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    const args = rows.flatMap((row) => [
      row.message.id,
      JSON.stringify({ message: row.message, runId: row.runId }),
    ]);
    await this.script(
      "upsertHistory",
      UPSERT_HISTORY,
      [this.sessionKey(sessionId), ...this.historyKeys(sessionId)],
      args,
    );
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
    const reply = await this.connection.run("claimOnce", (client) =>
      client.set(this.claimKey(key), "1", "PX", Math.max(1, Math.ceil(ttlMs)), "NX"),
    );
    return reply === "OK";
  }

  async isClaimed(key: string): Promise<boolean> {
    return (await this.connection.run("isClaimed", (client) => client.exists(this.claimKey(key)))) === 1;
  }

  async releaseClaim(key: string): Promise<void> {
    await this.connection.run("releaseClaim", (client) => client.del(this.claimKey(key)));
  }

  private claimKey(key: string): string {
    return `${this.prefix}:claim:${key}`;
  }

  /** Closes the connection; the data stays in Redis for every other instance. */
  async close(): Promise<void> {
    await this.connection.close();
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
