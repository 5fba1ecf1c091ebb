import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import type { Cluster } from "ioredis";
import type { WaitOptions } from "./redis-blocking-reader";
import type { RedisConnection } from "./redis-connection";

/** Options of {@link RedisNotifyReader}. */
export interface RedisNotifyReaderOptions {
  /** A `Cluster` client with `shardedSubscribers` (one subscriber connection per master). */
  readonly connection: RedisConnection;
  /** The sharded channel an append to `key` publishes on (same hash slot as `key`). */
  readonly channelOf: (key: string) => string;
  /** A non-blocking read: entries of `key` after `after`, at most `count`. */
  readonly readNow: (key: string, after: string, count: number) => Promise<StoredEntry[]>;
  /** How long a channel stays subscribed after its last waiter left (default 10 s). */
  readonly lingerMs?: number;
}

interface Waiter {
  readonly after: string;
  readonly count: number;
  settle(result: StoredEntry[] | Error): void;
}

/** The local waiters of one buffer and the state of its channel and read. */
interface KeyState {
  readonly channel: string;
  readonly waiters: Set<Waiter>;
  subscribed: Promise<void> | null;
  reading: boolean;
  /** A notification arrived while a read was in flight: read once more after it. */
  dirty: boolean;
  linger: ReturnType<typeof setTimeout> | null;
}

const MAX_COUNT = 1_000;

/**
 * The waiting half of `RedisStreamStore` on a Redis Cluster, where one `XREAD BLOCK` cannot
 * name buffers of different hash slots: every append publishes the new id on the buffer's
 * sharded channel (`SPUBLISH` inside the append script, same slot), and this reader keeps
 * one `SSUBSCRIBE` per waited-on buffer over ioredis's one subscriber connection per master.
 * A notification triggers ONE non-blocking read per buffer per process, shared by every
 * local waiter, so the cost per appended entry does not grow with readers or buffers.
 * A notification lost while a subscriber reconnects costs at most the caller's block time:
 * callers always read before they wait.
 */
export class RedisNotifyReader {
  private readonly keys = new Map<string, KeyState>();
  private readonly byChannel = new Map<string, string>();
  private readonly lingerMs: number;
  private closed = false;

  constructor(private readonly options: RedisNotifyReaderOptions) {
    this.lingerMs = options.lingerMs ?? 10_000;
    this.cluster.on("smessage", (channel: string) => {
      const key = this.byChannel.get(channel);
      if (key !== undefined) this.poke(key);
    });
  }

  private get cluster(): Cluster {
    return this.options.connection.client as Cluster;
  }

  /**
   * Waits until entries after `after` exist in `key` (then returns at most `count` of them),
   * `timeoutMs` passes or `signal` aborts (then returns empty). Rejects if Redis fails.
   */
  wait(key: string, after: string, options: WaitOptions): Promise<StoredEntry[]> {
    const { count, timeoutMs, signal } = options;
    if (this.closed || signal?.aborted) return Promise.resolve([]);
    const state = this.stateOf(key);
    return new Promise<StoredEntry[]>((resolve, reject) => {
      const waiter: Waiter = {
        after,
        count: Math.min(Math.max(1, count), MAX_COUNT),
        settle: (result) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (!state.waiters.delete(waiter)) return;
          if (state.waiters.size === 0) this.scheduleRelease(key, state);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      const onAbort = () => waiter.settle([]);
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      state.waiters.add(waiter);
      if (state.linger) {
        clearTimeout(state.linger);
        state.linger = null;
      }
      // Subscribe first, then read: an append between the caller's read and the subscription
      // is seen by this read, one after it by the notification.
      state.subscribed ??= this.subscribe(key, state);
      state.subscribed.then(
        () => this.poke(key),
        (error: unknown) => {
          state.subscribed = null;
          this.failAll(state, this.options.connection.translate(error, "SSUBSCRIBE"));
        },
      );
    });
  }

  /** Number of local reads waiting (for tests and metrics). */
  get waiting(): number {
    let total = 0;
    for (const state of this.keys.values()) total += state.waiters.size;
    return total;
  }

  /** Ends every wait with an empty result; the owner closes the connection. */
  close(): void {
    this.closed = true;
    for (const state of this.keys.values()) {
      if (state.linger) clearTimeout(state.linger);
      for (const waiter of [...state.waiters]) waiter.settle([]);
    }
    this.keys.clear();
    this.byChannel.clear();
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = {
        channel: this.options.channelOf(key),
        waiters: new Set(),
        subscribed: null,
        reading: false,
        dirty: false,
        linger: null,
      };
      this.keys.set(key, state);
      this.byChannel.set(state.channel, key);
    }
    return state;
  }

  private async subscribe(key: string, state: KeyState): Promise<void> {
    await this.options.connection.run(`SSUBSCRIBE ${key}`, () => this.cluster.ssubscribe(state.channel));
  }

  /** One shared read for every waiter of `key`, from the oldest position among them. */
  private poke(key: string): void {
    const state = this.keys.get(key);
    if (!state || state.waiters.size === 0 || this.closed) return;
    if (state.reading) {
      state.dirty = true;
      return;
    }
    state.reading = true;
    void this.readLoop(key, state);
  }

  private async readLoop(key: string, state: KeyState): Promise<void> {
    try {
      do {
        state.dirty = false;
        let after: string | null = null;
        let count = 1;
        for (const waiter of state.waiters) {
          if (after === null || compareEntryIds(waiter.after, after) < 0) after = waiter.after;
          count = Math.max(count, waiter.count);
        }
        if (after === null) break;
        let entries: StoredEntry[];
        try {
          entries = await this.options.readNow(key, after, count);
        } catch (error) {
          this.failAll(state, error instanceof Error ? error : new Error(String(error)));
          break;
        }
        for (const waiter of [...state.waiters]) {
          const fresh = entries.filter((stored) => compareEntryIds(stored.id, waiter.after) > 0);
          if (fresh.length > 0) waiter.settle(fresh.slice(0, waiter.count));
        }
      } while (state.dirty && state.waiters.size > 0 && !this.closed);
    } finally {
      state.reading = false;
    }
  }

  private failAll(state: KeyState, error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const waiter of [...state.waiters]) waiter.settle(failure);
  }

  /** Unsubscribes a buffer nobody waited on for `lingerMs` (readers come back every batch). */
  private scheduleRelease(key: string, state: KeyState): void {
    if (state.linger || this.closed) return;
    state.linger = setTimeout(() => {
      state.linger = null;
      if (state.waiters.size > 0 || this.keys.get(key) !== state) return;
      this.keys.delete(key);
      this.byChannel.delete(state.channel);
      if (state.subscribed) void this.cluster.sunsubscribe(state.channel).catch(() => undefined);
    }, this.lingerMs);
    state.linger.unref?.();
  }
}
