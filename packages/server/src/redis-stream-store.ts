import type { BufferEntry, StoredEntry } from "@chat-replay/protocol";
import { RedisBlockingReader } from "./redis-blocking-reader";
import { DEFAULT_REDIS_URL, RedisConnection, type RedisLog, type RedisTarget } from "./redis-connection";
import { RedisScript } from "./redis-script";
import { ENTRY_FIELD, parseStreamEntries, redisIdBound, streamsOf } from "./redis-stream-entries";
import type { StreamReadOptions, StreamStore } from "./stream-store";

/** Options of {@link RedisStreamStore}. */
export interface RedisStreamStoreOptions {
  /** A `redis://` URL (the store opens and closes its connections) or a shared ioredis client. */
  readonly redis?: RedisTarget;
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

/**
 * §4 append, for one or many entries in one round trip: ids are `max(now, last ms)` then
 * `seq`, computed here so an injected clock (and a clock going backwards) behaves exactly
 * like the memory store; Redis's own `*` would use the server clock. Trimming mirrors
 * `MemoryStreamStore`: once a buffer exceeds the cap by the slack, cut it to exactly the
 * cap (`XADD MAXLEN ~` only drops whole internal nodes, so small caps would never trim).
 * KEYS[1] buffer; ARGV: now ms, cap, slack, entry JSON... Returns the ids in order.
 */
const APPEND = new RedisScript(
  `
local lastMs, lastSeq = 0, 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local lastId = top[1] and top[1][1]
if not lastId and redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then lastId = info[i + 1] end
  end
end
if lastId then
  local ms, seq = string.match(lastId, '^(%d+)-(%d+)$')
  lastMs, lastSeq = tonumber(ms), tonumber(seq)
end
local now = tonumber(ARGV[1])
local ms, seq
if now > lastMs then ms, seq = now, 0 else ms, seq = lastMs, lastSeq + 1 end
local ids = {}
for i = 4, #ARGV do
  local id = string.format('%.0f-%.0f', ms, seq)
  redis.call('XADD', KEYS[1], id, '${ENTRY_FIELD}', ARGV[i])
  ids[#ids + 1] = id
  seq = seq + 1
end
local cap = tonumber(ARGV[2])
if redis.call('XLEN', KEYS[1]) > cap + tonumber(ARGV[3]) then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', cap)
end
return ids
`,
  1,
);

/**
 * The stream buffer port (§4) on Redis Streams, so every server instance reads and writes
 * the same buffers. Entries are JSON in field `d`, validated with `bufferEntrySchema` on
 * every read; an invalid one is replaced by a frame-less lifecycle entry and logged, so a
 * corrupt entry never crashes or stalls a reader. Blocked reads of all keys share ONE
 * blocking connection ({@link RedisBlockingReader}); with the command connection a store
 * holds two connections however many readers wait. Redis failures reject with
 * `ChatReplayError("store_unavailable")`; the connections reconnect on their own.
 */
export class RedisStreamStore implements StreamStore {
  private readonly command: RedisConnection;
  private readonly blocking: RedisConnection;
  private readonly reader: RedisBlockingReader;
  private readonly maxLength: number;
  private readonly slack: number;
  private readonly now: () => number;
  private readonly log: RedisLog;
  /** Corrupt entries already logged, so a thousand readers of one do not log it a thousand times. */
  private readonly reported = new Set<string>();
  private closed = false;

  constructor(options: RedisStreamStoreOptions = {}) {
    const name = options.connectionName ?? "chat-replay";
    this.log = options.log ?? ((line) => console.warn(line));
    this.command = new RedisConnection(options.redis ?? DEFAULT_REDIS_URL, {
      connectionName: `${name}:streams`,
      log: this.log,
    });
    const maxBlockMs = options.maxBlockMs ?? 5_000;
    this.blocking = this.command.duplicate({
      connectionName: `${name}:streams-blocking`,
      log: this.log,
      // A half-open socket must not hold every reader forever.
      overrides: { blockingTimeout: maxBlockMs + 5_000, maxRetriesPerRequest: 0 },
    });
    this.reader = new RedisBlockingReader({
      blocking: this.blocking,
      command: this.command,
      parse: (key, raw) => this.parse(key, raw),
      maxBlockMs,
    });
    this.maxLength = Math.max(1, options.maxLength ?? 10_000);
    this.slack = Math.max(16, Math.floor(this.maxLength / 10));
    this.now = options.now ?? Date.now;
  }

  /** Whether both connections are up (for health checks). */
  get available(): boolean {
    return this.command.ready && this.blocking.ready;
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
    const json = entries.map((entry) => JSON.stringify(entry));
    const ids = await this.command.run("append", (client) =>
      APPEND.run(client, [key], [this.now(), this.maxLength, this.slack, ...json]),
    );
    return (ids as unknown[]).map(String);
  }

  async read(key: string, after: string, options: StreamReadOptions = {}): Promise<StoredEntry[]> {
    if (this.closed) return [];
    const count = Math.max(1, options.count ?? DEFAULT_COUNT);
    const block = options.block ?? 0;
    const from = redisIdBound(after, "after");
    if (from === null) return []; // after every possible id: nothing can ever follow
    const immediate = await this.readNow(key, from, count);
    if (immediate.length > 0 || block <= 0 || options.signal?.aborted) return immediate;
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
    // PEXPIRE on a missing key is a no-op, as §4 wants; a later append recreates it without TTL.
    await this.command.run("expire", (client) => client.pexpire(key, Math.max(1, Math.ceil(ttlMs))));
  }

  /** Ends pending reads with empty results and closes the store's connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.close();
    await Promise.all([this.blocking.close(true), this.command.close()]);
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
