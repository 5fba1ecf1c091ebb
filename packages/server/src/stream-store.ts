import type { BufferEntry, StoredEntry } from "@chat-replay/protocol";

/** Options of {@link StreamStore.read}. */
export interface StreamReadOptions {
  /** Most entries to return (default 100). */
  readonly count?: number;
  /** Milliseconds to wait for new entries when none are there yet; 0 returns at once. */
  readonly block?: number;
  /** Stops waiting early; the read then returns what it has (usually nothing). */
  readonly signal?: AbortSignal;
}

/**
 * The per-turn stream buffer port (§4), with Redis Streams semantics: append-only,
 * ids `<ms>-<seq>` strictly increasing, exclusive reads, inclusive ranges, approximate
 * trimming, and a TTL the runner sets after the final end. Implementations:
 * `MemoryStreamStore` (default) and `RedisStreamStore`.
 */
export interface StreamStore {
  /** Appends an entry and returns its id; creates the buffer (without TTL) if missing. */
  append(key: string, entry: BufferEntry): Promise<string>;
  /** Appends entries in order, atomically and in one round trip where the store allows. */
  appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]>;
  /** Entries with id > `after` (`0-0` = from the start), oldest first, waiting up to `block` ms. */
  read(key: string, after: string, options?: StreamReadOptions): Promise<StoredEntry[]>;
  /** Entries with `min` <= id <= `max`, oldest first; `-`/`+` are the open ends. */
  range(key: string, min: string, max: string, count?: number): Promise<StoredEntry[]>;
  /** First retained entry id, or null when the buffer is missing or empty. */
  oldestId(key: string): Promise<string | null>;
  /** Newest entry id, or null when the buffer is missing or empty. */
  newestId(key: string): Promise<string | null>;
  /** Deletes the buffer `ttlMs` from now. */
  expire(key: string, ttlMs: number): Promise<void>;
  /** Releases timers and connections; pending reads return empty. */
  close(): Promise<void>;
}
