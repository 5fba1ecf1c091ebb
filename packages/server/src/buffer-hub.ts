import { type BufferEntry, compareEntryIds, type StoredEntry, ZERO_ENTRY_ID } from "@chat-replay/protocol";
import { delegateMethods } from "./delegate-methods";
import { EncodedBatches } from "./frame-stream/encoded-batch-cache";
import { type EncodedEntries, type EncodedEntry, foldsFrom } from "./frame-stream/encoded-entry-cache";
import type { LinkedAppend, StreamStore } from "./stream-store";

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
  /** When it resolves idle (`performance.now()`), unless served or aborted before. */
  readonly deadline: number;
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

/**
 * How long after this process last appended to a buffer its tail waits for the process's
 * next append instead of the store (§4 "local feed"): the writer's own instance then reads
 * nothing from the store for its readers while the turn streams. Entries another process
 * appends meanwhile (a cancel from another instance) are picked up by the next local append,
 * which does not follow the tail's newest entry, or at the latest after this long.
 */
export const LOCAL_FEED_MS = 250;

/**
 * Gives a waiter its answer. A pushed reader folds and writes inside this call; whatever it
 * throws is its own failure (it errors its own body), never the tail's: the other readers
 * are still served, and an append that fed the tail still succeeds.
 */
function tell(waiter: Waiter, result: WaitResult): void {
  try {
    waiter.resolve(result);
  } catch {
    // Deliberately dropped: see above.
  }
}

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
  /**
   * When this process last appended to the buffer (`performance.now()`, see LOCAL_FEED_MS):
   * wall time, not the injectable clock, which tests may freeze.
   */
  private fedAt = Number.NEGATIVE_INFINITY;
  /** A local append did not follow `lastId`: the store has entries the tail lacks; read them. */
  private gap = false;
  /** Ends the loop's wait for local appends early (a gap, or stop). */
  private wake: (() => void) | null = null;

  constructor(
    private readonly store: StreamStore,
    private readonly key: string,
    private readonly blockMs: number,
    private readonly onIdle: () => void,
    private readonly stopSignal: AbortSignal,
    private readonly now: () => number,
    private readonly followMs: number,
    private readonly coalesceMs: number,
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
          if (compareEntryIds(waiter.after, newest) < 0) tell(waiter, { kind: "behind" });
        }
      }
      // At the head (a short read, or the newest id just looked up), the next read waits first.
      let atHead = true;
      while (this.following() && !this.stopSignal.aborted) {
        const local = this.fedAt + LOCAL_FEED_MS - performance.now();
        if (local > 0 && !this.gap) {
          // This process writes the buffer: its appends feed the tail (see `fed`).
          await this.localAppendOrTimeout(Math.min(local, this.blockMs));
          atHead = true;
          continue;
        }
        if (this.gap) atHead = false;
        this.gap = false;
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
          // Still behind the store (a gap a feed found stays one): read before waiting locally.
          this.gap = true;
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
        this.take(after, entries);
      }
    } catch (error) {
      this.settleAll({ kind: "error", error });
    } finally {
      this.running = false;
      this.onIdle();
    }
  }

  /**
   * Keeps `entries` (the buffer's entries right after `after`, contiguous) and hands each
   * waiter what is new to it. Entries the tail already has (a local append delivered them
   * while this read was in flight) are skipped.
   */
  private take(after: string, entries: StoredEntry[]): void {
    let from = after;
    let fresh = entries;
    if (this.lastId !== null && this.lastId !== after && compareEntryIds(this.lastId, after) > 0) {
      // `lastId` is an entry of the buffer after `after`: a read reaching past it holds it
      // and everything up to it, so what follows it is contiguous with the kept entries.
      fresh = entries.filter((stored) => compareEntryIds(stored.id, this.lastId!) > 0);
      from = this.lastId;
    }
    if (fresh.length === 0) return;
    this.lastId = fresh.at(-1)!.id;
    // Contiguous with what is kept: these start right after the newest kept entry.
    const contiguous = this.recentFrom !== null && (this.recent.at(-1)?.id ?? this.recentFrom) === from;
    if (contiguous) {
      for (const stored of fresh) this.recent.push(stored);
    } else {
      this.recent = fresh.slice();
      this.recentFrom = from;
      this.encoded.clear();
    }
    if (this.recent.length > 2 * RECENT_LIMIT) {
      const dropped = this.recent.length - RECENT_LIMIT;
      for (let index = 0; index < dropped; index++) this.encoded.delete(this.recent[index]!.id);
      this.recentFrom = this.recent[dropped - 1]!.id;
      this.recent = this.recent.slice(dropped);
    }
    this.handOutSoon();
  }

  /** When waiters were last handed entries (`now()`), for write coalescing. */
  private handedAt = Number.NEGATIVE_INFINITY;
  /** A coalesced hand-out is due (see handOutSoon). */
  private handOutTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Hands the waiters what is new to them, at once or, within `coalesceMs` of the previous
   * hand-out, when that interval is over (write coalescing, §4): a fast turn costs every
   * live reader one socket write per interval, not one per entry, and the tail holds one
   * timer for it, not one per reader. Entries slower than the interval (a chat's tokens)
   * go out as they arrive.
   */
  private handOutSoon(): void {
    if (this.handOutTimer !== null || this.waiters.size === 0) return;
    const wait = this.handedAt + this.coalesceMs - this.now();
    if (wait <= 0) {
      this.handOut();
      return;
    }
    this.handOutTimer = setTimeout(() => {
      this.handOutTimer = null;
      this.handOut();
    }, wait);
  }

  private handOut(): void {
    const newest = this.lastId;
    if (newest === null || this.waiters.size === 0) return;
    // A copy: a waiter served here may wait again at once (a pushed reader), and must not
    // be visited again in this loop.
    const waiting = [...this.waiters];
    // Usually every waiter is at the same position: they share one array (readers never mutate it).
    let sharedAfter: string | null = null;
    let shared: StoredEntry[] | null = null;
    let served = false;
    for (const waiter of waiting) {
      const after = waiter.after;
      if (after !== sharedAfter) {
        if (after === newest || compareEntryIds(after, newest) >= 0) continue;
        sharedAfter = after;
        shared = this.recentAfter(after);
      }
      this.waiters.delete(waiter);
      served = true;
      // Not in the window (it moved on while a hand-out was due): the reader reads the store.
      tell(waiter, shared ? { kind: "entries", entries: shared } : { kind: "behind" });
    }
    if (served) {
      this.handedAt = this.now();
      this.servedAt = this.handedAt;
    }
  }

  /**
   * Entries this process appended to the buffer, right after `previous` (null: it was
   * empty). Kept and handed out at once when they follow the tail's newest entry; otherwise
   * someone else appended in between, and the loop reads the store.
   */
  fed(previous: string | null, stored: StoredEntry[]): void {
    if (stored.length === 0) return;
    this.fedAt = performance.now();
    if (this.lastId === null) {
      // The loop is looking up its head, which may be older or newer than these: read once.
      this.gap = true;
      return;
    }
    const after = previous ?? ZERO_ENTRY_ID;
    // Usually these follow the newest kept entry exactly (one string compare).
    if (after === this.lastId || compareEntryIds(after, this.lastId) <= 0) {
      this.take(after, stored);
    } else {
      this.gap = true;
      this.wake?.();
    }
  }

  /** Waits up to `ms` while local appends feed the tail; ends early on a gap or stop. */
  private localAppendOrTimeout(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopSignal.removeEventListener("abort", done);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopSignal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
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

  /**
   * Adds a reader's wait. Its timeout is one timer per tail, armed for the earliest deadline
   * (readers wait with the same timeout, so that is usually the oldest waiter's), not a timer
   * per wait: a live reader waits once per entry, and a thousand of them would otherwise set
   * and clear a thousand timers per entry.
   */
  addWaiter(waiter: Waiter): void {
    this.waiters.add(waiter);
    if (waiter.deadline < this.armedFor) this.armDeadline(waiter.deadline);
  }

  private deadlineTimer: ReturnType<typeof setTimeout> | null = null;
  private armedFor = Number.POSITIVE_INFINITY;

  private armDeadline(deadline: number): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.armedFor = deadline;
    this.deadlineTimer = setTimeout(() => this.expireWaiters(), Math.max(0, deadline - performance.now()));
  }

  /** Resolves the waiters whose deadline passed idle, and arms the timer for the next. */
  private expireWaiters(): void {
    this.deadlineTimer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    // A timer may fire a fraction of a millisecond before the deadline it was set for.
    const now = performance.now() + 1;
    let next = Number.POSITIVE_INFINITY;
    const expired: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.deadline <= now) expired.push(waiter);
      else next = Math.min(next, waiter.deadline);
    }
    if (next !== Number.POSITIVE_INFINITY) this.armDeadline(next);
    // After re-arming: a reader told here may wait again at once (and re-arm earlier).
    for (const waiter of expired) tell(waiter, { kind: "idle" });
  }

  settleAll(result: WaitResult): void {
    if (this.handOutTimer !== null) clearTimeout(this.handOutTimer);
    this.handOutTimer = null;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.armedFor = Number.POSITIVE_INFINITY;
    // Cleared first: a reader told here may wait again at once.
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiting) tell(waiter, result);
  }
}

/**
 * What a tail answers a reader at `after` at once: the kept entries after it when the tail
 * is past it (from memory only if the window reaches back to `after`: no gap), `behind`
 * when it is not, or null when the reader is at the head and waits.
 */
function answerAt(tail: Tail, after: string): WaitResult | null {
  const newest = tail.lastId;
  if (newest === null || after === newest || compareEntryIds(after, newest) >= 0) return null;
  const recent = tail.recentAfter(after);
  return recent ? { kind: "entries", entries: recent } : { kind: "behind" };
}

/** A reader's reusable wait on one buffer's tail; see {@link BufferHub.listener}. */
export interface TailListener {
  /**
   * Waits for the entries after `after`: returns the answer when there is one at once,
   * else null, and the listener's `deliver` gets it within `timeoutMs` (idle when none
   * came). One wait at a time.
   */
  wait(after: string, timeoutMs: number): WaitResult | null;
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
    const tail = this.tailOf(key);
    const now = answerAt(tail, after);
    if (now !== null) return Promise.resolve(now);
    if (signal?.aborted) return Promise.resolve({ kind: "idle" });
    const aborts = signal ? this.abortsOf(signal) : null;
    return new Promise<WaitResult>((resolve) => {
      const finish = (result: WaitResult) => {
        aborts?.delete(onAbort);
        tail.waiters.delete(waiter);
        resolve(result);
      };
      const waiter: Waiter = { after, deadline: performance.now() + timeoutMs, resolve: finish };
      const onAbort = () => finish({ kind: "idle" });
      aborts?.add(onAbort);
      tail.addWaiter(waiter);
      if (!tail.running) void tail.run();
    });
  }

  /**
   * A reader's wait on `key`'s shared tail without a promise (push delivery, §4), made once
   * per reader and used for every entry: {@link TailListener.wait} answers at once when it
   * can, else calls `deliver` later, synchronously from the tail's hand-out, its timeout or
   * `signal`'s abort. A live reader at the head waits once per entry, so this saves it a
   * promise, an async hop and the wait's allocations per entry.
   */
  listener(key: string, deliver: (result: WaitResult) => void, signal?: AbortSignal): TailListener {
    /** The tail it waits on, or null when not waiting. */
    let waitingOn: Tail | null = null;
    const waiter = {
      after: ZERO_ENTRY_ID,
      deadline: 0,
      resolve: (result: WaitResult) => {
        const tail = waitingOn;
        if (tail === null) return;
        waitingOn = null;
        tail.waiters.delete(waiter);
        deliver(result);
      },
    };
    signal?.addEventListener("abort", () => tell(waiter, { kind: "idle" }), { once: true });
    return {
      wait: (after, timeoutMs) => {
        if (waitingOn !== null) throw new Error("a tail listener waits once at a time");
        const tail = this.tailOf(key);
        const now = answerAt(tail, after);
        if (now !== null) return now;
        if (signal?.aborted) return { kind: "idle" };
        waiter.after = after;
        waiter.deadline = performance.now() + timeoutMs;
        waitingOn = tail;
        tail.addWaiter(waiter);
        if (!tail.running) void tail.run();
        return null;
      },
    };
  }

  /** The tail of `key`, made on first use; marked in use now. */
  private tailOf(key: string): Tail {
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
        this.coalesceMs,
      );
      this.tails.set(key, tail);
    }
    tail.idleSince = null;
    tail.servedAt = this.now();
    return tail;
  }

  /** The pending waits of each reader's signal, behind one listener per signal. */
  private readonly aborts = new WeakMap<AbortSignal, Set<() => void>>();

  /**
   * The set of abort callbacks of `signal`: a reader waits once per entry with the same
   * signal, so it listens once (adding and removing an event listener per wait costs more
   * than the rest of the wait).
   */
  private abortsOf(signal: AbortSignal): Set<() => void> {
    let callbacks = this.aborts.get(signal);
    if (!callbacks) {
      const pending = new Set<() => void>();
      callbacks = pending;
      this.aborts.set(signal, pending);
      signal.addEventListener(
        "abort",
        () => {
          for (const callback of pending) callback();
          pending.clear();
        },
        { once: true },
      );
    }
    return callbacks;
  }

  /**
   * `store` as this process's writers use it: appends through it also feed the buffer's
   * local tail (§4 "local feed"), so the process's own readers of a turn it runs get each
   * entry without a store read (on Redis: no `XREAD` per entry on the writer's instance).
   * A store without `appendLinked` is returned as it is.
   */
  feeding(store: StreamStore): StreamStore {
    const appendLinked = store.appendLinked?.bind(store);
    if (!appendLinked) return store;
    const linked = (key: string, entries: readonly BufferEntry[]): Promise<LinkedAppend> =>
      appendLinked(key, entries).then((appended) => {
        this.tails.get(key)?.fed(appended.previous, appended.stored);
        return appended;
      });
    // Everything else runs on the store itself.
    return delegateMethods(
      store,
      (method) =>
        (...args) =>
          method.apply(store, args),
      {
        appendLinked: linked,
        appendMany: (key, entries) =>
          linked(key, entries).then((appended) => appended.stored.map((stored) => stored.id)),
        append: (key, entry) => linked(key, [entry]).then((appended) => appended.stored[0]!.id),
      },
    );
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
