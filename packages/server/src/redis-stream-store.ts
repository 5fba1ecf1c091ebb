import {
  adapterStateSchema,
  type BufferEntry,
  ChatReplayError,
  compactChunks,
  INITIAL_ADAPTER_STATE,
  type StoredEntry,
  snapshotHeadSchema,
  snapshotSegmentSchema,
  type TurnSnapshot,
  type UIMessageChunk,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import { RedisBlockingReader, type WaitOptions } from "./redis-blocking-reader";
import { DEFAULT_REDIS_URL, RedisConnection, type RedisLog, type RedisTarget } from "./redis-connection";
import { RedisNotifyReader } from "./redis-notify-reader";
import { RedisScript } from "./redis-script";
import { ENTRY_FIELD, parseStreamEntries, redisIdBound, streamsOf } from "./redis-stream-entries";
import type { Checkpoint, LinkedAppend, SnapshotWrite, StreamReadOptions, StreamStore } from "./stream-store";

/** Options of {@link RedisStreamStore}. */
export interface RedisStreamStoreOptions {
  /**
   * A `redis://` URL (the store opens and closes its connections) or a shared ioredis
   * client (`Redis`, or `Cluster`).
   */
  readonly redis?: RedisTarget;
  /**
   * The URL is a seed node of a Redis Cluster. Keys of one buffer share a hash slot (the
   * server's buffer keys carry the session id as a hash tag), and waiting uses sharded
   * pub/sub instead of `XREAD BLOCK` (one subscriber connection per master).
   */
  readonly cluster?: boolean;
  /** Approximate MAXLEN: buffers keep at least this many newest entries (default 10,000). */
  readonly maxLength?: number;
  /** Clock for entry ids; injectable so tests can move time backwards. */
  readonly now?: () => number;
  /** Prefix of the `CLIENT SETNAME` of the store's connections (default `chat-replay`). */
  readonly connectionName?: string;
  /** Longest single blocking `XREAD` of the shared reader (default 5 s). */
  readonly maxBlockMs?: number;
  /** Connection loss/recovery and corrupt entries are reported here (default `console.warn`). */
  readonly log?: RedisLog;
}

const DEFAULT_COUNT = 100;

/** Lua helpers: entry ids compared numerically per component (§4), like `compareEntryIds`. */
const LUA_IDS = `
local function idParts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function idLess(a, b)
  local ams, aseq = idParts(a)
  local bms, bseq = idParts(b)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end
-- The newest checkpoint id <= id in a sorted set scored by the ids' ms (O(log n)).
local function newestAtOrBefore(zset, id)
  local ms = idParts(id)
  local best = nil
  for _, member in ipairs(redis.call('ZREVRANGEBYSCORE', zset, ms, '-inf', 'LIMIT', 0, 32)) do
    if not idLess(id, member) and (best == nil or idLess(best, member)) then best = member end
    if best and idParts(member) < idParts(best) then break end
  end
  return best
end
`;

/**
 * §4 append, for one or many entries in one round trip: ids are `max(now, last ms)` then
 * `seq`, computed here so an injected clock (and a clock going backwards) behaves exactly
 * like the memory store; Redis's own `*` would use the server clock. Trimming mirrors
 * `MemoryStreamStore`: once a buffer exceeds the cap by the slack, drop what `MAXLEN cap`
 * would drop, but only through the newest checkpoint among those entries (never without
 * one), record it as `trimmed`, and forget older checkpoints.
 * KEYS: buffer, snapshot hash, checkpoint ids (sorted set, score = ms), checkpoint states
 * (hash); ARGV: now ms, cap, slack, notify channel ('' for none), entry JSON... The newest
 * id is published on the channel (`SPUBLISH`: same slot, for readers on a Redis Cluster).
 * Returns the id of the newest entry before these ('' for none), then the new ids in order.
 */
const APPEND = new RedisScript(
  `${LUA_IDS}
local lastMs, lastSeq = 0, 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local lastId = top[1] and top[1][1]
if not lastId and redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then lastId = info[i + 1] end
  end
end
if lastId then lastMs, lastSeq = idParts(lastId) end
local now = tonumber(ARGV[1])
local ms, seq
if now > lastMs then ms, seq = now, 0 else ms, seq = lastMs, lastSeq + 1 end
local ids = {top[1] and top[1][1] or ''}
for i = 5, #ARGV do
  local id = string.format('%.0f-%.0f', ms, seq)
  redis.call('XADD', KEYS[1], id, '${ENTRY_FIELD}', ARGV[i])
  ids[#ids + 1] = id
  seq = seq + 1
end
if ARGV[4] ~= '' then redis.call('SPUBLISH', ARGV[4], ids[#ids]) end
local cap = tonumber(ARGV[2])
local len = redis.call('XLEN', KEYS[1])
if len > cap + tonumber(ARGV[3]) and redis.call('ZCARD', KEYS[3]) > 0 then
  local dropped = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - cap)
  local cut = newestAtOrBefore(KEYS[3], dropped[#dropped][1])
  local trimmed = redis.call('HGET', KEYS[2], 'trimmed')
  if cut and (not trimmed or idLess(trimmed, cut)) then
    local cutMs, cutSeq = idParts(cut)
    redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-%.0f', cutMs, cutSeq + 1))
    redis.call('HSET', KEYS[2], 'trimmed', cut)
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', cutMs)) do
      if idLess(id, cut) then
        redis.call('ZREM', KEYS[3], id)
        redis.call('HDEL', KEYS[4], id)
      end
    end
  end
end
return ids
`,
  4,
);

/**
 * Extends a buffer's snapshot (compare-and-set on its entry id): the head (S, state,
 * phase, end), one more chunk segment, and a checkpoint at S; the new keys get the
 * buffer's TTL. KEYS: snapshot hash, chunk list, checkpoint states, buffer, checkpoint ids;
 * ARGV: previous
 * id ('' for none), new id, head JSON, state JSON, segment JSON ('' for none).
 * Returns the number of segments, or -1 when `previous` is not current or the buffer is gone.
 */
const WRITE_SNAPSHOT = new RedisScript(
  `
if redis.call('EXISTS', KEYS[4]) == 0 then return -1 end
local current = redis.call('HGET', KEYS[1], 'id')
if ARGV[1] == '' then
  if current then return -1 end
elseif current ~= ARGV[1] then
  return -1
end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'head', ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[5], tonumber(string.match(ARGV[2], '^(%d+)')), ARGV[2])
if ARGV[5] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[5]) end
local ttl = redis.call('PTTL', KEYS[4])
if ttl > 0 then
  for _, i in ipairs({1, 2, 3, 5}) do redis.call('PEXPIRE', KEYS[i], ttl) end
end
return redis.call('LLEN', KEYS[2])
`,
  5,
);

/** Replaces a snapshot's segments by one (when it is still at id ARGV[1]). KEYS: snapshot hash, chunk list. */
const COMPACT_SNAPSHOT = new RedisScript(
  `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('RPUSH', KEYS[2], ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`,
  2,
);

/** Reads a snapshot atomically: [head JSON or false, segments]. KEYS: snapshot hash, chunk list. */
const READ_SNAPSHOT = new RedisScript(
  `
local head = redis.call('HGET', KEYS[1], 'head')
if not head then return {false, {}} end
return {head, redis.call('LRANGE', KEYS[2], 0, -1)}
`,
  2,
);

/**
 * The newest checkpoint at or before ARGV[1]: [id, state JSON, trimmed] (false when absent).
 * KEYS: checkpoint states, snapshot hash, checkpoint ids.
 */
const CHECKPOINT = new RedisScript(
  `${LUA_IDS}
local best = newestAtOrBefore(KEYS[3], ARGV[1])
local trimmed = redis.call('HGET', KEYS[2], 'trimmed')
if not best then return {false, false, trimmed} end
return {best, redis.call('HGET', KEYS[1], best), trimmed}
`,
  3,
);

/** Segments a stored snapshot may grow to before they are rewritten as one. */
const MAX_SEGMENTS = 32;

/**
 * The stream buffer port (§4) on Redis Streams, so every server instance reads and writes
 * the same buffers. Entries are JSON in field `d`, validated with `bufferEntrySchema` on
 * every read; an invalid one is replaced by a frame-less lifecycle entry and logged, so a
 * corrupt entry never crashes or stalls a reader. Blocked reads of all keys share ONE
 * blocking connection ({@link RedisBlockingReader}); with the command connection a store
 * holds two connections however many readers wait. On a Redis Cluster (`cluster: true`)
 * every key of a buffer shares a hash slot, and waiting is sharded pub/sub
 * ({@link RedisNotifyReader}): one command connection per node plus one subscriber per
 * master, however many readers. Redis failures reject with
 * `ChatReplayError("store_unavailable")`; the connections reconnect on their own.
 */
export class RedisStreamStore implements StreamStore {
  private readonly command: RedisConnection;
  /** The blocking connection (single server) or the sharded subscribers' cluster client. */
  private readonly waiting: RedisConnection;
  private readonly reader: {
    wait(key: string, after: string, options: WaitOptions): Promise<StoredEntry[]>;
    readonly waiting: number;
    close(): void;
  };
  /** On a cluster appends publish on the buffer's sharded channel; a single server needs no notice. */
  private readonly notify: boolean;
  readonly maxLength: number;
  private readonly slack: number;
  private readonly now: () => number;
  private readonly log: RedisLog;
  /**
   * The last snapshot read or written per buffer, so the readers of one snapshot in this
   * process share one object (and its encoded frames): a read costs one `HGET` of the id
   * while it is current. Bounded by the snapshots' JSON size.
   */
  private readonly snapshots = new SnapshotCache(64 * 1024 * 1024);
  /** Corrupt entries already logged, so a thousand readers of one do not log it a thousand times. */
  private readonly reported = new Set<string>();
  private closed = false;

  constructor(options: RedisStreamStoreOptions = {}) {
    const name = options.connectionName ?? "chat-replay";
    this.log = options.log ?? ((line) => console.warn(line));
    const target = options.redis ?? DEFAULT_REDIS_URL;
    this.command = new RedisConnection(target, {
      connectionName: `${name}:streams`,
      log: this.log,
      cluster: options.cluster === true,
      // Owned cluster clients carry the sharded subscribers themselves (one per master).
      clusterOverrides: { shardedSubscribers: true },
    });
    this.notify = this.command.isCluster;
    const maxBlockMs = options.maxBlockMs ?? 5_000;
    if (this.command.isCluster) {
      // A shared Cluster client may not have sharded subscribers: a duplicate of ours does.
      this.waiting =
        typeof target === "string"
          ? this.command
          : this.command.duplicate({
              connectionName: `${name}:streams-notify`,
              log: this.log,
              clusterOverrides: { shardedSubscribers: true },
            });
      this.reader = new RedisNotifyReader({
        connection: this.waiting,
        channelOf: notifyChannel,
        readNow: (key, after, count) => this.readNow(key, after, count),
      });
    } else {
      this.waiting = this.command.duplicate({
        connectionName: `${name}:streams-blocking`,
        log: this.log,
        // A half-open socket must not hold every reader forever.
        overrides: { blockingTimeout: maxBlockMs + 5_000, maxRetriesPerRequest: 0 },
      });
      this.reader = new RedisBlockingReader({
        blocking: this.waiting,
        command: this.command,
        parse: (key, raw) => this.parse(key, raw),
        maxBlockMs,
      });
    }
    this.maxLength = Math.max(1, options.maxLength ?? 10_000);
    this.slack = Math.max(16, Math.floor(this.maxLength / 10));
    this.now = options.now ?? Date.now;
  }

  /** One `XREAD BLOCK` serves every waited-on buffer (not on a cluster, which subscribes per buffer). */
  get sharesBlockingReads(): boolean {
    return !this.notify;
  }

  /** Whether both connections are up (for health checks). */
  get available(): boolean {
    return this.command.ready && this.waiting.ready;
  }

  /** Readiness (`GET /readyz`): a `PING` on the command connection; rejects while either connection is down. */
  async ping(): Promise<void> {
    // Not a PING on the blocking connection: it answers only after the read it blocks on.
    if (this.waiting.lost) {
      throw new ChatReplayError("store_unavailable", "The Redis connection for waiting readers is down.");
    }
    await this.command.run("ping", (client) => client.ping());
  }

  /** Number of reads blocked in this process (all share one connection). */
  get blockedReads(): number {
    return this.reader.waiting;
  }

  async append(key: string, entry: BufferEntry): Promise<string> {
    const [id] = await this.appendMany(key, [entry]);
    return id!;
  }

  async appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]> {
    if (entries.length === 0) return [];
    return (await this.appendJson(key, entries)).ids;
  }

  async appendLinked(key: string, entries: readonly BufferEntry[]): Promise<LinkedAppend> {
    if (entries.length === 0) return { previous: null, stored: [] };
    const { previous, ids, json } = await this.appendJson(key, entries);
    // Decoded from the JSON just written, as a read of these ids would decode it.
    const raw = ids.map((id, index) => [id, [ENTRY_FIELD, json[index]]]);
    return { previous, stored: this.parse(key, raw) };
  }

  private async appendJson(
    key: string,
    entries: readonly BufferEntry[],
  ): Promise<{ previous: string | null; ids: string[]; json: string[] }> {
    const json = entries.map((entry) => JSON.stringify(entry));
    const reply = await this.command.run("append", (client) =>
      APPEND.run(
        client,
        [key, snapshotKey(key), checkpointIdsKey(key), checkpointsKey(key)],
        [this.now(), this.maxLength, this.slack, this.notify ? notifyChannel(key) : "", ...json],
      ),
    );
    const [previous, ...ids] = (reply as unknown[]).map(String);
    return { previous: previous ? previous : null, ids, json };
  }

  async read(key: string, after: string, options: StreamReadOptions = {}): Promise<StoredEntry[]> {
    if (this.closed) return [];
    const count = Math.max(1, options.count ?? DEFAULT_COUNT);
    const block = options.block ?? 0;
    const from = redisIdBound(after, "after");
    if (from === null) return []; // after every possible id: nothing can ever follow
    // `XREAD BLOCK` after an explicit id returns at once when entries are there, so a caller
    // at the head can go straight to it. Not on a cluster: there the wait is a subscription,
    // and the read before it is what catches an append published before it subscribed.
    const skipImmediate = options.waitFirst === true && block > 0 && !this.notify;
    if (!skipImmediate) {
      const immediate = await this.readNow(key, from, count);
      if (immediate.length > 0 || block <= 0 || options.signal?.aborted) return immediate;
    } else if (options.signal?.aborted) {
      return [];
    }
    return this.reader.wait(key, from, { count, timeoutMs: block, signal: options.signal });
  }

  private async readNow(key: string, after: string, count: number): Promise<StoredEntry[]> {
    const reply = await this.command.run("read", (client) =>
      client.call("XREAD", "COUNT", count, "STREAMS", key, after),
    );
    return this.parse(key, streamsOf(reply).get(key) ?? []);
  }

  async range(key: string, min: string, max: string, count?: number): Promise<StoredEntry[]> {
    const lower = redisIdBound(min, "min");
    const upper = redisIdBound(max, "max");
    if (lower === null || upper === null) return [];
    const limit = count !== undefined && Number.isFinite(count) ? ["COUNT", Math.max(0, count)] : [];
    const reply = await this.command.run("range", (client) =>
      client.call("XRANGE", key, lower, upper, ...limit),
    );
    return this.parse(key, Array.isArray(reply) ? reply : []);
  }

  async oldestId(key: string): Promise<string | null> {
    return this.edgeId(key, "XRANGE", "-", "+");
  }

  async newestId(key: string): Promise<string | null> {
    return this.edgeId(key, "XREVRANGE", "+", "-");
  }

  private async edgeId(key: string, command: string, from: string, to: string): Promise<string | null> {
    const reply = await this.command.run(command, (client) =>
      client.call(command, key, from, to, "COUNT", 1),
    );
    const first = Array.isArray(reply) ? reply[0] : undefined;
    return Array.isArray(first) && typeof first[0] === "string" ? first[0] : null;
  }

  async expire(key: string, ttlMs: number): Promise<void> {
    // PEXPIRE on a missing key is a no-op, as §4 wants; a later append recreates it without
    // TTL. The snapshot keys share the buffer's lifetime.
    const ms = Math.max(1, Math.ceil(ttlMs));
    await this.command.run("expire", (client) =>
      client
        .multi()
        .pexpire(key, ms)
        .pexpire(snapshotKey(key), ms)
        .pexpire(chunksKey(key), ms)
        .pexpire(checkpointsKey(key), ms)
        .pexpire(checkpointIdsKey(key), ms)
        .exec(),
    );
  }

  async readSnapshot(key: string): Promise<TurnSnapshot | null> {
    const cached = this.snapshots.get(key);
    if (cached) {
      const current = await this.command.run("snapshot id", (client) => client.hget(snapshotKey(key), "id"));
      if (current === cached.entryId) return cached;
    }
    const reply = await this.command.run("read snapshot", (client) =>
      READ_SNAPSHOT.run(client, [snapshotKey(key), chunksKey(key)], []),
    );
    const [head, segments] = reply as [string | null | false, string[]];
    if (typeof head !== "string") {
      this.snapshots.delete(key);
      return null;
    }
    try {
      const parsedHead = snapshotHeadSchema.parse(JSON.parse(head));
      const chunks: UIMessageChunk[] = [];
      for (const segment of segments) chunks.push(...snapshotSegmentSchema.parse(JSON.parse(segment)));
      const snapshot = { ...parsedHead, chunks: compactChunks(chunks) };
      this.snapshots.set(
        key,
        snapshot,
        segments.reduce((sum, segment) => sum + segment.length, head.length),
      );
      return snapshot;
    } catch {
      // A snapshot we cannot trust is worse than none: readers would show wrong content.
      this.log(`chat-replay: corrupt snapshot of ${key}; readers of this turn fail until it ends.`);
      throw new ChatReplayError("store_unavailable", "The turn's snapshot is unreadable.");
    }
  }

  async writeSnapshot(key: string, write: SnapshotWrite): Promise<boolean> {
    const { snapshot } = write;
    const head = JSON.stringify({
      entryId: snapshot.entryId,
      state: snapshot.state,
      phase: snapshot.phase,
      end: snapshot.end,
    });
    const segment = write.added.length > 0 ? JSON.stringify(write.added) : "";
    const segments = Number(
      await this.command.run("write snapshot", (client) =>
        WRITE_SNAPSHOT.run(
          client,
          [snapshotKey(key), chunksKey(key), checkpointsKey(key), key, checkpointIdsKey(key)],
          [write.previous ?? "", snapshot.entryId, head, JSON.stringify(snapshot.state), segment],
        ),
      ),
    );
    if (segments < 0) return false;
    this.snapshots.set(key, snapshot, approximateSize(snapshot));
    if (segments > MAX_SEGMENTS) {
      // Rare (every MAX_SEGMENTS writes): keeps a snapshot read at a handful of list items.
      await this.command.run("compact snapshot", (client) =>
        COMPACT_SNAPSHOT.run(
          client,
          [snapshotKey(key), chunksKey(key)],
          [snapshot.entryId, JSON.stringify(snapshot.chunks)],
        ),
      );
    }
    return true;
  }

  async checkpoint(key: string, entryId: string): Promise<Checkpoint | null> {
    const bound = redisIdBound(entryId, "max") ?? entryId;
    const reply = await this.command.run("checkpoint", (client) =>
      CHECKPOINT.run(
        client,
        [checkpointsKey(key), snapshotKey(key), checkpointIdsKey(key)],
        [bound === "+" ? MAX_ID : bound],
      ),
    );
    const [id, state, trimmed] = reply as [
      string | null | false,
      string | null | false,
      string | null | false,
    ];
    if (typeof id === "string" && typeof state === "string") {
      const parsed = adapterStateSchema.safeParse(JSON.parse(state));
      if (parsed.success) return { entryId: id, state: parsed.data };
      this.log(`chat-replay: corrupt checkpoint ${key} ${id}; treated as missing.`);
      return null;
    }
    return typeof trimmed === "string" ? null : { entryId: ZERO_ENTRY_ID, state: INITIAL_ADAPTER_STATE };
  }

  async trimmedThrough(key: string): Promise<string | null> {
    const trimmed = await this.command.run("trimmed", (client) => client.hget(snapshotKey(key), "trimmed"));
    return typeof trimmed === "string" ? trimmed : null;
  }

  /** Ends pending reads with empty results and closes the store's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    await Promise.all([
      this.waiting === this.command ? undefined : this.waiting.close(true),
      this.command.close(),
    ]);
  }

  private parse(key: string, raw: unknown[]): StoredEntry[] {
    return parseStreamEntries(raw, (id, reason) => {
      const where = `${key} ${id}`;
      if (this.reported.has(where)) return;
      if (this.reported.size >= 1_000) this.reported.clear();
      this.reported.add(where);
      this.log(`chat-replay: corrupt buffer entry ${where} (${reason}); readers get a no-op entry instead.`);
    });
  }
}

/** Largest Redis stream id: the bound for cursors beyond every id. */
const MAX_ID = "18446744073709551615-18446744073709551615";

/** Keys kept next to a buffer (same prefix, so a hash tag in the buffer key covers them). */
function snapshotKey(key: string): string {
  return `${key}:snapshot`;
}
function chunksKey(key: string): string {
  return `${key}:snapshot:chunks`;
}
function checkpointsKey(key: string): string {
  return `${key}:checkpoints`;
}
function checkpointIdsKey(key: string): string {
  return `${key}:checkpoint-ids`;
}
/** The sharded pub/sub channel of a buffer's appends (cluster only; same slot as the buffer). */
function notifyChannel(key: string): string {
  return `${key}:appended`;
}

/** About the JSON size of a snapshot, in O(chunks): string lengths are O(1), JSON encoding is not. */
function approximateSize(snapshot: TurnSnapshot): number {
  let size = 256;
  for (const chunk of snapshot.chunks) {
    size += 96;
    if ("delta" in chunk) size += chunk.delta.length;
    else if ("inputTextDelta" in chunk) size += chunk.inputTextDelta.length;
  }
  return size;
}

/** A byte-bounded LRU of snapshots by buffer key. */
class SnapshotCache {
  private readonly entries = new Map<string, { snapshot: TurnSnapshot; size: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): TurnSnapshot | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.snapshot;
  }

  set(key: string, snapshot: TurnSnapshot, size: number): void {
    this.delete(key);
    if (size > this.maxBytes) return;
    this.entries.set(key, { snapshot, size });
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.size;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }
}
