import { compareEntryIds, type StoredEntry } from "@chat-replay/protocol";
import type { BufferHub } from "../buffer-hub";
import type { StreamStore } from "../stream-store";
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
      const entries = await this.read(idleMs, signal);
      if (entries !== "idle") this.position = entries.at(-1)?.id ?? this.position;
      return entries;
    } catch (error) {
      // After a failure the tail's view is unknown: catch up from the store again.
      this.atHead = false;
      throw error;
    }
  }

  private async read(idleMs: number, signal: AbortSignal): Promise<StoredEntry[] | "idle"> {
    for (;;) {
      if (!this.atHead) {
        const entries = await this.store.read(this.key, this.position, { count: BATCH, block: 0 });
        this.atHead = entries.length < BATCH;
        if (entries.length > 0) {
          await this.checkForGap();
          return entries;
        }
      }
      this.onWait?.();
      const waited = await this.hub.waitForEntries(this.key, this.position, idleMs, signal);
      if (waited.kind === "entries") return waited.entries;
      if (waited.kind === "idle") return "idle";
      if (waited.kind === "error") throw waited.error;
      // "behind": entries arrived between the read and the wait; read them from the store.
      this.atHead = false;
    }
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
