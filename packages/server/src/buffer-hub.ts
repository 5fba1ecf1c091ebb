import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import { EncodedBatches } from "./frame-stream/encoded-batch-cache";
import { type EncodedEntries, type EncodedEntry, foldsFrom } from "./frame-stream/encoded-entry-cache";
import type { StreamStore } from "./stream-store";

/** Outcome of {@link BufferHub.waitForEntries}. */
export type WaitResult =
  /** New entries after the caller's position, delivered by the shared tail. */
  | { readonly kind: "entries"; readonly entries: StoredEntry[] }
  /** The tail is ahead of the caller: read the store directly to catch up. */
  | { readonly kind: "behind" }
  /** Nothing arrived within the timeout (time for a keepalive), or the caller aborted. */
  | { readonly kind: "idle" }
  /** The store failed; the caller decides whether to retry. */
  | { readonly kind: "error"; readonly error: unknown };

interface Waiter {
  readonly after: string;
  readonly resolve: (result: WaitResult) => void;
}

/**
 * Entries a tail keeps for readers slightly behind it: at least this many, at most twice
 * (the window is cut back to this many once it holds twice as many, so keeping it costs
 * O(1) per entry, never a copy of the window per read).
 */
export const RECENT_LIMIT = 4096;
/** Default budget of the encoded catch-up batches a process keeps (`limits.replayCacheBytes`). */
export const DEFAULT_BATCH_CACHE_BYTES = 64 * 1024 * 1024;
/** Entries one read of a shared tail takes at most. */
const TAIL_BATCH = 512;

/**
 * How long a tail keeps reading after its last reader was served, on stores whose buffers
 * share one blocking read (`sharesBlockingReads`). Readers come back a moment later (after
 * writing to their sockets); meanwhile the tail stays in the store's blocking read and keeps
 * what arrives in its recent window, so a returning reader is served from memory and the
 * shared blocking read is not interrupted to add the buffer again (on Redis a
 * `CLIENT UNBLOCK` and a new `XREAD` per entry when several buffers are live). Elsewhere a
 * tail stops with its last waiter, so entries arriving while readers are away are read in
 * one batch when they return (write coalescing), not one by one.
 */
const FOLLOW_MS = 2_000;

/**
 * How long a tail outlives its last waiter. Under load every reader of a busy buffer can be
 * writing to its socket at the same moment; a tail dropped then would forget its recent
 * entries and send every returning reader to the store on its own (the cost per entry would
 * grow with readers again). Kept, it resumes from where it stopped.
 */
const LINGER_MS = 30_000;

/** One blocking read loop for one buffer, shared by every local reader of it. */
class Tail {
  lastId: string | null = null;
  readonly waiters = new Set<Waiter>();
  running = false;
  /**
   * The newest entries this loop read, contiguous (oldest first): a reader that fell a
   * little behind (busy writing to its socket when a batch arrived) catches up from here
   * instead of issuing its own store read, so store commands per entry stay constant
   * however many readers there are.
   */
  recent: StoredEntry[] = [];
  /** The position `recent` continues from: a reader there or later is served from memory. */
  recentFrom: string | null = null;
  /** When the tail last had no waiters (for the linger), or null while it has some. */
  idleSince: number | null = null;
  /** Encoded folds of entries in `recent`, by id (encode once, write many); cut with it. */
  readonly encoded = new Map<string, EncodedEntry>();

  /** When a reader was last served or started waiting (the tail follows FOLLOW_MS after). */
  servedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: StreamStore,
    private readonly key: string,
    private readonly blockMs: number,
    private readonly onIdle: () => void,
    private readonly stopSignal: AbortSignal,
    private readonly now: () => number,
    private readonly followMs: number,
  ) {}

  /** Whether the loop goes on: readers wait, or (on a shared blocking read) one was served a moment ago. */
  private following(): boolean {
    return this.waiters.size > 0 || this.now() - this.servedAt < this.followMs;
  }

  async run(): Promise<void> {
    this.running = true;
    try {
      if (this.lastId === null) {
        const newest = (await this.store.newestId(this.key)) ?? "0-0";
        this.lastId = newest;
        // Waiters that registered before the tail knew its head may already be behind it.
        for (const waiter of this.waiters) {
          if (compareEntryIds(waiter.after, newest) < 0) waiter.resolve({ kind: "behind" });
        }
      }
      // At the head (a short read, or the newest id just looked up), the next read waits first.
      let atHead = true;
      while (this.following() && !this.stopSignal.aborted) {
        const after = this.lastId;
        let entries: StoredEntry[];
        try {
          entries = await this.store.read(this.key, after, {
            count: TAIL_BATCH,
            block: this.blockMs,
            signal: this.stopSignal,
            waitFirst: atHead,
          });
        } catch (error) {
          atHead = false;
          // A failing store ends the follow: only waiting readers (who retry) read again.
          this.servedAt = Number.NEGATIVE_INFINITY;
          this.settleAll({ kind: "error", error });
          continue;
        }
        atHead = entries.length < TAIL_BATCH;
        if (entries.length === 0) {
          // A blocking read comes back empty after its block time, or at once from a store
          // that is closed or failing fast: yield to timers either way, so waiters can time
          // out and the loop can never spin on settled promises alone.
          await new Promise<void>((resolve) => setTimeout(resolve, 0));
          continue;
        }
        this.lastId = entries.at(-1)!.id;
        // Contiguous with what is kept: this read started right after the newest kept entry.
        const contiguous = this.recentFrom !== null && (this.recent.at(-1)?.id ?? this.recentFrom) === after;
        if (contiguous) {
          for (const stored of entries) this.recent.push(stored);
        } else {
          this.recent = entries.slice();
          this.recentFrom = after;
          this.encoded.clear();
        }
        if (this.recent.length > 2 * RECENT_LIMIT) {
          const dropped = this.recent.length - RECENT_LIMIT;
          for (let index = 0; index < dropped; index++) this.encoded.delete(this.recent[index]!.id);
          this.recentFrom = this.recent[dropped - 1]!.id;
          this.recent = this.recent.slice(dropped);
        }
        for (const waiter of this.waiters) {
          // A waiter ahead of `after` (it read the store itself) only wants what is new to it.
          // Registration guarantees waiter.after >= after, so nothing between is missed.
          const fresh = entries.filter((stored) => compareEntryIds(stored.id, waiter.after) > 0);
          if (fresh.length > 0) {
            this.waiters.delete(waiter);
            this.servedAt = this.now();
            waiter.resolve({ kind: "entries", entries: fresh });
          }
        }
      }
    } catch (error) {
      this.settleAll({ kind: "error", error });
    } finally {
      this.running = false;
      this.onIdle();
    }
  }

  /** The kept entries after `after`, or null when the window does not reach back to it. */
  recentAfter(after: string): StoredEntry[] | null {
    if (this.recentFrom === null || compareEntryIds(this.recentFrom, after) > 0) return null;
    let low = 0;
    let high = this.recent.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEntryIds(this.recent[mid]!.id, after) <= 0) low = mid + 1;
      else high = mid;
    }
    return this.recent.slice(low);
  }

  settleAll(result: WaitResult): void {
    for (const waiter of this.waiters) waiter.resolve(result);
    this.waiters.clear();
  }
}

/**
 * Fans one blocking read loop per buffer out to every local reader (§4 "one blocking
 * read loop per buffer per process"): a thousand observers of a turn cost one pending
 * store read, not a thousand. Readers catch up with their own non-blocking reads and
 * wait here only once they are at the head.
 */
export class BufferHub {
  private readonly tails = new Map<string, Tail>();
  private readonly stop = new AbortController();
  private sweptAt = 0;
  /**
   * Each entry's frames, encoded once for every local reader (see `EncodedEntries`): kept
   * for the entries a tail holds in its recent window, dropped with them.
   */
  readonly encoded: EncodedEntries = {
    get: (key, id, state) => {
      const cached = this.tails.get(key)?.encoded.get(id);
      return cached && foldsFrom(cached, state) ? cached : null;
    },
    set: (key, id, entry) => {
      const tail = this.tails.get(key);
      if (!tail || tail.recentFrom === null || tail.lastId === null) return;
      // Only inside the window: (recentFrom, lastId].
      if (compareEntryIds(id, tail.recentFrom) <= 0 || compareEntryIds(id, tail.lastId) > 0) return;
      if (!tail.encoded.has(id)) tail.encoded.set(id, entry);
    },
  };

  constructor(
    private readonly store: StreamStore,
    private readonly blockMs = 1000,
    /**
     * Write coalescing interval of live readers (see `EntrySource`): entries arriving within
     * this many ms of a reader's previous write go out together. 0 turns it off.
     */
    readonly coalesceMs = 1,
    /** Monotonic clock in ms (injectable for tests). */
    readonly now: () => number = () => performance.now(),
    /** Budget of the encoded catch-up batches shared by readers (see `EncodedBatches`); 0: none. */
    batchCacheBytes = DEFAULT_BATCH_CACHE_BYTES,
  ) {
    this.batches = batchCacheBytes > 0 ? new EncodedBatches(batchCacheBytes) : null;
  }

  /**
   * Full catch-up batches, folded and encoded once for every local reader (see
   * `EncodedBatches`); null when the budget is 0.
   */
  readonly batches: EncodedBatches | null;

  /**
   * Waits until entries after `after` arrive, `timeoutMs` passes, or `signal` aborts.
   * Returns `behind` at once if the shared tail already moved past `after`.
   */
  waitForEntries(key: string, after: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    let tail = this.tails.get(key);
    if (!tail) {
      tail = new Tail(
        this.store,
        key,
        this.blockMs,
        () => this.release(key),
        this.stop.signal,
        this.now,
        this.store.sharesBlockingReads ? FOLLOW_MS : 0,
      );
      this.tails.set(key, tail);
    }
    tail.idleSince = null;
    tail.servedAt = this.now();
    if (tail.lastId !== null && compareEntryIds(after, tail.lastId) < 0) {
      // Served from memory only if the kept entries reach back to `after` (no gap).
      const recent = tail.recentAfter(after);
      return Promise.resolve(recent ? { kind: "entries", entries: recent } : { kind: "behind" });
    }
    const activeTail = tail;
    return new Promise<WaitResult>((resolve) => {
      const finish = (result: WaitResult) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        activeTail.waiters.delete(waiter);
        resolve(result);
      };
      const waiter: Waiter = { after, resolve: finish };
      const onAbort = () => finish({ kind: "idle" });
      const timer = setTimeout(() => finish({ kind: "idle" }), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      activeTail.waiters.add(waiter);
      if (!activeTail.running) void activeTail.run();
    });
  }

  private release(key: string): void {
    const tail = this.tails.get(key);
    if (!tail) return;
    if (tail.waiters.size > 0) {
      if (!tail.running && !this.stop.signal.aborted) void tail.run();
      return;
    }
    // No waiter right now: keep the tail (and its recent entries) a while; readers come back.
    tail.idleSince = Date.now();
    this.sweep();
  }

  /** Drops tails idle for longer than the linger (checked at most once a second, as one goes idle). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.sweptAt < 1_000) return;
    this.sweptAt = now;
    const cutoff = now - LINGER_MS;
    for (const [key, tail] of this.tails) {
      if (tail.idleSince !== null && tail.idleSince < cutoff && tail.waiters.size === 0 && !tail.running) {
        this.tails.delete(key);
      }
    }
  }

  /** Number of buffers with a live read loop (for tests and metrics). */
  get activeTails(): number {
    return this.tails.size;
  }

  /** Encoded entries kept over every tail (for tests: bounded by the windows). */
  get encodedEntries(): number {
    let count = 0;
    for (const tail of this.tails.values()) count += tail.encoded.size;
    return count;
  }

  /** Stops every loop; pending waiters resolve idle. */
  close(): void {
    this.stop.abort();
    for (const tail of this.tails.values()) tail.settleAll({ kind: "idle" });
    this.tails.clear();
  }
}
