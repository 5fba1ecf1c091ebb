import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import type { RedisConnection } from "./redis-connection";
import { streamsOf } from "./redis-stream-entries";

/** Parses one stream's raw `XREAD` entries. */
export type RawEntryParser = (key: string, raw: unknown[]) => StoredEntry[];

/** Options of {@link RedisBlockingReader}. */
export interface RedisBlockingReaderOptions {
  /** The one connection that blocks; nothing else may use it. */
  readonly blocking: RedisConnection;
  /** A connection of the same server for `CLIENT UNBLOCK`. */
  readonly command: RedisConnection;
  readonly parse: RawEntryParser;
  /** Longest single `XREAD BLOCK`; also the worst-case wake-up delay if an unblock is lost. */
  readonly maxBlockMs: number;
}

/** Options of {@link RedisBlockingReader.wait}. */
export interface WaitOptions {
  /** Most entries to return. */
  readonly count: number;
  /** Give up (return empty) after this long. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

interface Waiter {
  readonly key: string;
  readonly after: string;
  readonly count: number;
  settle(result: StoredEntry[] | Error): void;
}

/** The `XREAD` currently blocked in Redis: which position it waits after, per key. */
interface InFlight {
  readonly generation: number;
  readonly afters: ReadonlyMap<string, string>;
}

const MAX_COUNT = 1_000;
const UNBLOCK_ATTEMPTS = 200;

/**
 * Every blocked read of a process on ONE Redis connection (§4, §9 "one blocking read loop
 * per HTTP client" → one per process): a single loop runs `XREAD BLOCK ... STREAMS k1 k2 ...`
 * over every key somebody waits on, each at the oldest position any local waiter has, and
 * fans the result out. A waiter on a key (or an older position) that the blocked `XREAD` does
 * not cover interrupts it with `CLIENT UNBLOCK` from the command connection, so it is
 * re-issued at once with the new key; 1,000 waiting observers cost one connection, not
 * 1,000. If Redis fails, every waiter gets the error and the loop backs off.
 */
export class RedisBlockingReader {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private inFlight: InFlight | null = null;
  private generation = 0;
  private interrupting = -1;
  private clientId: string | null = null;
  private running = false;
  private closed = false;

  constructor(private readonly options: RedisBlockingReaderOptions) {
    // A reconnect gives the blocking connection a new client id.
    options.blocking.client.on("ready", () => {
      this.clientId = null;
    });
  }

  /**
   * Waits until entries after `after` exist in `key` (then returns at most `count` of them),
   * `timeoutMs` passes or `signal` aborts (then returns empty). Rejects if Redis fails.
   */
  wait(key: string, after: string, options: WaitOptions): Promise<StoredEntry[]> {
    const { count, timeoutMs, signal } = options;
    if (this.closed || signal?.aborted) return Promise.resolve([]);
    return new Promise<StoredEntry[]>((resolve, reject) => {
      const waiter: Waiter = {
        key,
        after,
        count: Math.min(Math.max(1, count), MAX_COUNT),
        settle: (result) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          this.remove(waiter);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      const onAbort = () => waiter.settle([]);
      const timer = setTimeout(onAbort, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.add(waiter);
    });
  }

  /** Number of local reads waiting (for tests and metrics). */
  get waiting(): number {
    let total = 0;
    for (const set of this.waiters.values()) total += set.size;
    return total;
  }

  /** Ends every wait with an empty result; the owner closes the connections. */
  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.settle([]);
  }

  private add(waiter: Waiter): void {
    let set = this.waiters.get(waiter.key);
    if (!set) {
      set = new Set();
      this.waiters.set(waiter.key, set);
    }
    set.add(waiter);
    if (!this.running) void this.loop();
    else if (this.inFlight && !covers(this.inFlight, waiter)) void this.interrupt(this.inFlight.generation);
  }

  private remove(waiter: Waiter): void {
    const set = this.waiters.get(waiter.key);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.waiters.delete(waiter.key);
  }

  private async loop(): Promise<void> {
    this.running = true;
    let failures = 0;
    while (!this.closed && this.waiters.size > 0) {
      try {
        const { request, reply } = await this.blockOnce();
        failures = 0;
        if (this.deliver(request, reply)) {
          // Readers handed entries wait again within this turn of the event loop (their
          // continuations are microtasks): let them, so the next XREAD names their keys
          // instead of being interrupted (CLIENT UNBLOCK and a new XREAD) for each of them.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      } catch (error) {
        if (this.closed) break;
        this.failAll(error instanceof Error ? error : new Error(String(error)));
        await sleep(Math.min(50 * 2 ** failures++, 1_000));
      }
    }
    this.running = false;
  }

  /** One `XREAD BLOCK` over every waited-on key, each after its oldest local waiter. */
  private async blockOnce(): Promise<{ request: InFlight; reply: unknown }> {
    const { blocking, maxBlockMs } = this.options;
    if (this.clientId === null) {
      this.clientId = String(await blocking.run("CLIENT ID", (client) => client.call("CLIENT", "ID")));
    }
    const afters = new Map<string, string>();
    let count = 1;
    for (const [key, set] of this.waiters) {
      for (const waiter of set) {
        const known = afters.get(key);
        if (known === undefined || compareEntryIds(waiter.after, known) < 0) afters.set(key, waiter.after);
        count = Math.max(count, waiter.count);
      }
    }
    const request: InFlight = { generation: ++this.generation, afters };
    this.inFlight = request;
    try {
      const reply = await blocking.run("XREAD BLOCK", (client) =>
        client.call(
          "XREAD",
          "COUNT",
          count,
          "BLOCK",
          maxBlockMs,
          "STREAMS",
          ...afters.keys(),
          ...afters.values(),
        ),
      );
      return { request, reply };
    } finally {
      this.inFlight = null;
    }
  }

  /** Hands each covered waiter the entries after its own position; true if any got some. */
  private deliver(request: InFlight, reply: unknown): boolean {
    let delivered = false;
    for (const [key, raw] of streamsOf(reply)) {
      const requested = request.afters.get(key);
      const set = this.waiters.get(key);
      if (requested === undefined || !set || raw.length === 0) continue;
      const entries = this.options.parse(key, raw);
      for (const waiter of [...set]) {
        // A waiter that joined at an older position than this XREAD read from waits for the next one.
        if (compareEntryIds(waiter.after, requested) < 0) continue;
        const fresh = entries.filter((stored) => compareEntryIds(stored.id, waiter.after) > 0);
        if (fresh.length > 0) {
          delivered = true;
          waiter.settle(fresh.slice(0, waiter.count));
        }
      }
    }
    return delivered;
  }

  private failAll(error: Error): void {
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.settle(error);
  }

  /**
   * Makes the blocked `XREAD` of `generation` return now (`CLIENT UNBLOCK`, as if timed out)
   * so the loop re-issues it with the new waiter. The unblock can overtake the `XREAD` on
   * its way to Redis (two sockets), so it repeats until it lands or that `XREAD` is over.
   */
  private async interrupt(generation: number): Promise<void> {
    if (this.interrupting === generation) return;
    this.interrupting = generation;
    for (let attempt = 0; attempt < UNBLOCK_ATTEMPTS && this.inFlight?.generation === generation; attempt++) {
      const id = this.clientId;
      if (id === null) return;
      const unblocked = await this.options.command.client.call("CLIENT", "UNBLOCK", id).catch(() => null);
      if (unblocked === 1 || unblocked === null) return; // landed, or Redis trouble the loop will see
      await sleep(2);
    }
  }
}

function covers(request: InFlight, waiter: Waiter): boolean {
  const after = request.afters.get(waiter.key);
  return after !== undefined && compareEntryIds(waiter.after, after) >= 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
