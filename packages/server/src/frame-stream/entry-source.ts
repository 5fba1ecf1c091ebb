import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import type { BufferHub } from "../buffer-hub";
import type { StreamStore } from "../stream-store";
import type { BatchOrigin } from "./frame-folder";
import { delay, ReaderGaveUp } from "./retry-transient";

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
  /** Whether the last read was served by the shared tail (the reader is live at the head). */
  private fromTail = false;
  /** Whether the last read was a full-size catch-up read from the store. */
  private catchUp = false;
  /** When the last entries were handed out (`hub.now()`), for write coalescing. */
  private handedAt = Number.NEGATIVE_INFINITY;
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
   * The next entries, or `"idle"` when none arrived within `idleMs` (time for a keepalive)
   * or `signal` aborted. Advances the position past what it returns.
   */
  async next(idleMs: number, signal: AbortSignal): Promise<StoredEntry[] | "idle"> {
    try {
      if (this.fromTail) {
        // Write coalescing (§4): a live reader back for more less than `hub.coalesceMs` after
        // it was last handed entries waits out the rest of that interval, then takes what
        // arrived meanwhile in one read, so a fast turn costs one socket write per interval,
        // not one per entry; slower entries (a chat's tokens) are read at once. Checked here,
        // not in an async call: a live reader passes here once per entry.
        const wait = this.handedAt + this.hub.coalesceMs - this.hub.now();
        if (wait > 0) await delay(wait, signal);
      }
      const after = this.position;
      const entries = await this.read(idleMs, signal);
      if (entries === "idle") return entries;
      this.position = entries.at(-1)?.id ?? this.position;
      this.handedAt = this.hub.now();
      this.origin = { after, catchUp: this.catchUp };
      return entries;
    } catch (error) {
      // After a failure the tail's view is unknown: catch up from the store again.
      this.atHead = false;
      throw error;
    }
  }

  private async read(idleMs: number, signal: AbortSignal): Promise<StoredEntry[] | "idle"> {
    this.fromTail = false;
    this.catchUp = false;
    for (;;) {
      if (!this.atHead) {
        const entries = await this.store.read(this.key, this.position, { count: BATCH, block: 0 });
        this.atHead = entries.length < BATCH;
        if (entries.length > 0) {
          await this.checkForGap();
          return this.alignToKeptBatches(entries);
        }
      }
      this.onWait?.();
      const waited = await this.hub.waitForEntries(this.key, this.position, idleMs, signal);
      if (waited.kind === "entries") {
        this.fromTail = true;
        return waited.entries;
      }
      if (waited.kind === "idle") return "idle";
      if (waited.kind === "error") throw waited.error;
      // "behind": entries arrived between the read and the wait; read them from the store.
      this.atHead = false;
    }
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
