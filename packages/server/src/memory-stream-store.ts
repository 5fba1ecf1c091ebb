import {
  type BufferEntry,
  compareEntryIds,
  INITIAL_ADAPTER_STATE,
  type StoredEntry,
  type TurnSnapshot,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { Checkpoint, SnapshotWrite, StreamReadOptions, StreamStore } from "./stream-store";

/** Options of {@link MemoryStreamStore}. */
export interface MemoryStreamStoreOptions {
  /**
   * Buffers keep at least this many newest entries (default 10,000). A buffer longer than
   * this plus a slack of 10 % is trimmed, but only through its newest checkpoint (§4).
   */
  readonly maxLength?: number;
  /** Clock for entry ids; injectable so tests can move time backwards. */
  readonly now?: () => number;
}

interface Buffer {
  readonly entries: StoredEntry[];
  /** Entries before this index were trimmed; compacted lazily. */
  head: number;
  /** Last id issued; starts at 0-0 like Redis, so even a clock at 0 gives ids > 0-0. */
  lastMs: number;
  lastSeq: number;
  expiry: ReturnType<typeof setTimeout> | null;
  readonly waiters: Set<() => void>;
  snapshot: TurnSnapshot | null;
  /** Fold states at snapshot entries, oldest first; none older than `trimmed`. */
  checkpoints: Checkpoint[];
  /** Last entry id trimming dropped. */
  trimmed: string | null;
}

function newBuffer(): Buffer {
  return {
    entries: [],
    head: 0,
    lastMs: 0,
    lastSeq: 0,
    expiry: null,
    waiters: new Set(),
    snapshot: null,
    checkpoints: [],
    trimmed: null,
  };
}

const DEFAULT_COUNT = 100;

/**
 * In-process stream buffers with Redis Streams semantics (§4). Blocked readers of a buffer
 * wait on one wait list and are woken by `append`, never polled. The default store: fast,
 * zero setup, lost on restart.
 */
export class MemoryStreamStore implements StreamStore {
  private readonly buffers = new Map<string, Buffer>();
  readonly maxLength: number;
  private readonly now: () => number;
  private closed = false;

  constructor(options: MemoryStreamStoreOptions = {}) {
    this.maxLength = Math.max(1, options.maxLength ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  async append(key: string, entry: BufferEntry): Promise<string> {
    return this.appendNow(key, [entry])[0]!.id;
  }

  async appendMany(key: string, entries: readonly BufferEntry[]): Promise<string[]> {
    return this.appendNow(key, entries).map((stored) => stored.id);
  }

  /** Appends synchronously, so entries of one call are contiguous whatever else is in flight. */
  private appendNow(key: string, entries: readonly BufferEntry[]): StoredEntry[] {
    if (entries.length === 0) return [];
    let buffer = this.buffers.get(key);
    if (!buffer) {
      buffer = newBuffer();
      this.buffers.set(key, buffer);
    }
    const appended: StoredEntry[] = [];
    for (const entry of entries) {
      // §4: same ms → seq+1; a clock that went backwards keeps the last ms.
      const ms = Math.max(this.now(), buffer.lastMs);
      const seq = ms === buffer.lastMs ? buffer.lastSeq + 1 : 0;
      buffer.lastMs = ms;
      buffer.lastSeq = seq;
      const stored: StoredEntry = { id: `${ms}-${seq}`, entry };
      buffer.entries.push(stored);
      appended.push(stored);
      this.trim(buffer);
    }
    for (const wake of buffer.waiters) wake();
    buffer.waiters.clear();
    return appended;
  }

  /**
   * §4 trimming: once the buffer exceeds the cap by the slack, drop the entries the cap
   * would drop, but only through the newest checkpoint among them, so every retained entry
   * follows a known fold state. Without a checkpoint nothing is dropped.
   */
  private trim(buffer: Buffer): void {
    const live = buffer.entries.length - buffer.head;
    const slack = Math.max(16, Math.floor(this.maxLength / 10));
    if (live <= this.maxLength + slack) return;
    const lastDropped = buffer.entries[buffer.entries.length - this.maxLength - 1]!.id;
    const cut = buffer.checkpoints.findLast(
      (checkpoint) => compareEntryIds(checkpoint.entryId, lastDropped) <= 0,
    );
    if (!cut || (buffer.trimmed !== null && compareEntryIds(cut.entryId, buffer.trimmed) <= 0)) return;
    buffer.head = this.indexAfter(buffer, cut.entryId);
    buffer.trimmed = cut.entryId;
    buffer.checkpoints = buffer.checkpoints.filter(
      (checkpoint) => compareEntryIds(checkpoint.entryId, cut.entryId) >= 0,
    );
    if (buffer.head > buffer.entries.length / 2) {
      buffer.entries.splice(0, buffer.head);
      buffer.head = 0;
    }
  }

  /** Index of the first retained entry with id > `after`. */
  private indexAfter(buffer: Buffer, after: string): number {
    let low = buffer.head;
    let high = buffer.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntryIds(buffer.entries[mid]!.id, after) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  async read(key: string, after: string, options: StreamReadOptions = {}): Promise<StoredEntry[]> {
    const count = options.count ?? DEFAULT_COUNT;
    const immediate = this.readNow(key, after, count);
    const block = options.block ?? 0;
    if (immediate.length > 0 || block <= 0 || this.closed || options.signal?.aborted) return immediate;
    await this.waitForAppend(key, block, options.signal);
    return this.readNow(key, after, count);
  }

  private readNow(key: string, after: string, count: number): StoredEntry[] {
    const buffer = this.buffers.get(key);
    if (!buffer) return [];
    const start = this.indexAfter(buffer, after);
    return buffer.entries.slice(start, start + count);
  }

  private waitForAppend(key: string, block: number, signal: AbortSignal | undefined): Promise<void> {
    let buffer = this.buffers.get(key);
    if (!buffer) {
      // Like XREAD BLOCK on a missing key: wait for it to be created. The placeholder
      // holds no entries and is replaced by the first append's state.
      buffer = newBuffer();
      this.buffers.set(key, buffer);
    }
    const waiters = buffer.waiters;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener("abort", done);
        // Drop a placeholder nobody appended to, so reads of dead keys leave nothing behind.
        if (waiters.size === 0 && buffer.entries.length === 0 && this.buffers.get(key) === buffer) {
          this.buffers.delete(key);
        }
        resolve();
      };
      const timer = setTimeout(done, block);
      waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async range(
    key: string,
    min: string,
    max: string,
    count = Number.POSITIVE_INFINITY,
  ): Promise<StoredEntry[]> {
    const buffer = this.buffers.get(key);
    if (!buffer) return [];
    const result: StoredEntry[] = [];
    const start = min === "-" ? buffer.head : Math.max(buffer.head, this.indexAfter(buffer, min) - 1);
    for (let index = start; index < buffer.entries.length && result.length < count; index++) {
      const stored = buffer.entries[index]!;
      if (min !== "-" && compareEntryIds(stored.id, min) < 0) continue;
      if (max !== "+" && compareEntryIds(stored.id, max) > 0) break;
      result.push(stored);
    }
    return result;
  }

  async oldestId(key: string): Promise<string | null> {
    const buffer = this.buffers.get(key);
    return buffer && buffer.entries.length > buffer.head ? buffer.entries[buffer.head]!.id : null;
  }

  async newestId(key: string): Promise<string | null> {
    const buffer = this.buffers.get(key);
    return buffer && buffer.entries.length > buffer.head ? buffer.entries.at(-1)!.id : null;
  }

  async expire(key: string, ttlMs: number): Promise<void> {
    const buffer = this.buffers.get(key);
    // A blocked read's empty placeholder is a missing key: like PEXPIRE, do nothing.
    if (!buffer || buffer.entries.length === 0) return;
    if (buffer.expiry) clearTimeout(buffer.expiry);
    buffer.expiry = setTimeout(() => {
      if (this.buffers.get(key) === buffer) this.buffers.delete(key);
      for (const wake of buffer.waiters) wake();
    }, ttlMs);
    buffer.expiry.unref?.();
  }

  async readSnapshot(key: string): Promise<TurnSnapshot | null> {
    return this.buffers.get(key)?.snapshot ?? null;
  }

  async writeSnapshot(key: string, write: SnapshotWrite): Promise<boolean> {
    const buffer = this.buffers.get(key);
    if (!buffer || buffer.entries.length === 0) return false;
    if ((buffer.snapshot?.entryId ?? null) !== write.previous) return false;
    buffer.snapshot = write.snapshot;
    buffer.checkpoints.push({ entryId: write.snapshot.entryId, state: write.snapshot.state });
    return true;
  }

  async checkpoint(key: string, entryId: string): Promise<Checkpoint | null> {
    const buffer = this.buffers.get(key);
    const found = buffer?.checkpoints.findLast(
      (checkpoint) => compareEntryIds(checkpoint.entryId, entryId) <= 0,
    );
    if (found) return found;
    return (buffer?.trimmed ?? null) === null
      ? { entryId: ZERO_ENTRY_ID, state: INITIAL_ADAPTER_STATE }
      : null;
  }

  async trimmedThrough(key: string): Promise<string | null> {
    return this.buffers.get(key)?.trimmed ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const buffer of this.buffers.values()) {
      if (buffer.expiry) clearTimeout(buffer.expiry);
      for (const wake of buffer.waiters) wake();
    }
    this.buffers.clear();
  }
}
