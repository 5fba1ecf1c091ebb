import type {
  AdapterState,
  BufferEntry,
  StoredEntry,
  TurnSnapshot,
  UIMessageChunk,
} from "@chat-replay/protocol";

/** Options of {@link StreamStore.read}. */
export interface StreamReadOptions {
  /** Most entries to return (default 100). */
  readonly count?: number;
  /** Milliseconds to wait for new entries when none are there yet; 0 returns at once. */
  readonly block?: number;
  /** Stops waiting early; the read then returns what it has (usually nothing). */
  readonly signal?: AbortSignal;
  /**
   * The caller just read up to the head and expects nothing yet: a store whose blocking wait
   * returns what is already there may skip its immediate read (one command per entry less).
   */
  readonly waitFirst?: boolean;
}

/** What {@link StreamStore.appendLinked} returns. */
export interface LinkedAppend {
  /**
   * The buffer's newest entry before the appended ones, read in the same atomic step as the
   * append (null when it had none): nothing lies between it and the first new entry.
   */
  readonly previous: string | null;
  /** The appended entries with their ids, in order, exactly as a read would return them. */
  readonly stored: StoredEntry[];
}

/** A fold state kept with a buffer: the adapter state after entry `entryId` (§4). */
export interface Checkpoint {
  /** The entry folded last; `0-0` for the state before the first entry. */
  readonly entryId: string;
  readonly state: AdapterState;
}

/** One extension of a buffer's snapshot (§4 "Snapshot and checkpoints"). */
export interface SnapshotWrite {
  /** Entry id of the snapshot this write extends (compare-and-set); null for the first. */
  readonly previous: string | null;
  /** The whole new snapshot. */
  readonly snapshot: TurnSnapshot;
  /** The chunks of the entries after `previous`, compacted: stores may append just these. */
  readonly added: readonly UIMessageChunk[];
}

/**
 * The per-turn stream buffer port (§4), with Redis Streams semantics: append-only,
 * ids `<ms>-<seq>` strictly increasing, exclusive reads, inclusive ranges, and a TTL the
 * runner sets after the final end. Next to each buffer a store keeps the turn's snapshot
 * and its checkpoints, with the buffer's lifetime; trimming drops only entries at or
 * before a checkpoint, so the buffer is never the only copy of folded content.
 * Implementations: `MemoryStreamStore` (default) and `RedisStreamStore`.
 */
export interface StreamStore {
  /**
   * Optional: reads of different buffers share one blocking command (Redis `XREAD BLOCK` over
   * many keys), which a reader coming back to a buffer would interrupt. The hub then keeps a
   * buffer's tail following it a moment after serving its readers.
   */
  readonly sharesBlockingReads?: boolean;
  /** Entries a buffer keeps at least once it is trimmed (§4); trims wait for a checkpoint. */
  readonly maxLength: number;
  /** Appends an entry and returns its id; creates the buffer (without TTL) if missing. */
  append(key: string, entry: BufferEntry): Promise<string>;
  /** Appends entries in order, atomically and in one round trip where the store allows. */
  appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]>;
  /**
   * Optional: `appendMany` that also says which entry the new ones directly follow. With it
   * the hub serves this process's readers of a buffer from the process's own appends (§4
   * "local feed"), without a store read for them.
   */
  appendLinked?(key: string, entries: readonly BufferEntry[]): Promise<LinkedAppend>;
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
  /** The buffer's snapshot (the fold through its entry S), or null if none was written. */
  readSnapshot(key: string): Promise<TurnSnapshot | null>;
  /**
   * Stores a snapshot that extends the current one (compare-and-set on `previous`) and
   * records its state as a checkpoint. False when the current snapshot is not `previous`
   * (another writer extended it) or the buffer is missing.
   */
  writeSnapshot(key: string, write: SnapshotWrite): Promise<boolean>;
  /**
   * The newest fold state at or before `entryId` from which every later entry is still
   * retained: a stored checkpoint, or the initial state at `0-0` if the buffer was never
   * trimmed. Null when the entries after every such state were trimmed.
   */
  checkpoint(key: string, entryId: string): Promise<Checkpoint | null>;
  /** The last entry id trimming dropped, or null if the buffer was never trimmed. */
  trimmedThrough(key: string): Promise<string | null>;
  /**
   * Resolves when the store can serve right now, rejects otherwise (`GET /readyz`; called
   * with a short timeout). Optional: a store without it (in memory) is always ready.
   */
  ping?(): Promise<void>;
}
