import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import type { BufferHub, TailListener, WaitResult } from "../buffer-hub";
import type { StreamStore } from "../stream-store";
import type { BatchOrigin } from "./frame-folder";
import { ReaderGaveUp } from "./retry-transient";

/** Entries a reader that is behind reads from the store at once. */
const BATCH = 1024;

/**
 * The entries of one buffer after a reader's position, in order: read straight from the
 * store while the reader is behind (catch-up, in big batches), from the shared tail once it
 * is at the head (§4 fan-out: no store command per reader). Each call is one attempt; the
 * caller retries failures.
 */
export class EntrySource {
  private atHead = false;
  /** Whether the last read was a full-size catch-up read from the store. */
  private catchUp = false;
  /** Where the entries {@link next} last returned came from (for the batch cache). */
  origin: BatchOrigin = { after: "", catchUp: false };

  constructor(
    private readonly store: StreamStore,
    private readonly hub: BufferHub,
    private readonly key: string,
    /** The last entry the reader has; entries after it come next. */
    private position: string,
    /** Called each time the reader, at the head, starts waiting for new entries. */
    private readonly onWait?: () => void,
  ) {}

  /**
   * Whether the reader is at the head of the buffer: its next entries come from the shared
   * tail, and {@link listen} can wait for them without a promise.
   */
  get live(): boolean {
    return this.atHead;
  }

  /**
   * The next entries, or `"idle"` when none arrived within `idleMs` (time for a keepalive)
   * or `signal` aborted. Advances the position past what it returns.
   */
  async next(idleMs: number, signal: AbortSignal): Promise<StoredEntry[] | "idle"> {
    try {
      for (;;) {
        if (!this.atHead) {
          const after = this.position;
          const entries = await this.store.read(this.key, after, { count: BATCH, block: 0 });
          this.atHead = entries.length < BATCH;
          if (entries.length > 0) {
            await this.checkForGap();
            this.catchUp = false;
            const aligned = this.alignToKeptBatches(entries);
            this.advance(after, aligned);
            return aligned;
          }
        }
        this.onWait?.();
        const taken = this.taken(await this.hub.waitForEntries(this.key, this.position, idleMs, signal));
        // null: entries arrived between the read and the wait; read them from the store.
        if (taken !== null) return taken;
      }
    } catch (error) {
      // After a failure the tail's view is unknown: catch up from the store again.
      this.atHead = false;
      throw error;
    }
  }

  /**
   * At the head ({@link live}): waits for the tail's next entries without a promise (push
   * delivery, §4). Returns the tail's answer when there is one at once, else null and calls
   * `deliver` with it later, synchronously from the tail's hand-out; either way the answer
   * goes through {@link taken}. A reader listens with one `deliver`: the first one given.
   */
  listen(idleMs: number, signal: AbortSignal, deliver: (result: WaitResult) => void): WaitResult | null {
    this.onWait?.();
    this.listener ??= this.hub.listener(this.key, deliver, signal);
    return this.listener.wait(this.position, idleMs);
  }

  /** The reader's push wait on the tail, made on its first {@link listen}. */
  private listener: TailListener | null = null;

  /**
   * Takes a tail's answer: its entries (the position moves past them), `"idle"`, or null
   * when the reader fell behind the tail and reads the store next. Throws the store's error.
   */
  taken(result: WaitResult): StoredEntry[] | "idle" | null {
    switch (result.kind) {
      case "entries":
        this.catchUp = false;
        this.advance(this.position, result.entries);
        return result.entries;
      case "idle":
        return "idle";
      case "behind":
        this.atHead = false;
        return null;
      case "error":
        // After a failure the tail's view is unknown: catch up from the store again.
        this.atHead = false;
        throw result.error;
    }
  }

  private advance(after: string, entries: readonly StoredEntry[]): void {
    this.position = entries.at(-1)?.id ?? this.position;
    this.origin = { after, catchUp: this.catchUp };
  }

  /**
   * A full catch-up read is cached as one batch (encode once, write many): if a batch kept
   * by another reader starts inside this read, the read is cut there, and this reader's
   * next read is that batch (the rest of this read is read again then).
   */
  private alignToKeptBatches(entries: StoredEntry[]): StoredEntry[] {
    if (entries.length < BATCH) return entries;
    const batches = this.hub.batches;
    if (batches && !batches.has(this.key, this.position)) {
      const cut = batches.startIndex(this.key, entries);
      if (cut >= 0) return entries.slice(0, cut + 1);
    }
    this.catchUp = true;
    return entries;
  }

  /**
   * Entries trimmed from under a reader (after its position, before it read them) would be
   * a silent gap: give up, and the client's reconnect gets a stale-cursor full replay (§6).
   */
  private async checkForGap(): Promise<void> {
    const trimmed = await this.store.trimmedThrough(this.key);
    if (trimmed !== null && compareEntryIds(trimmed, this.position) > 0) {
      throw new ReaderGaveUp("entries after the reader's position were trimmed");
    }
  }
}
