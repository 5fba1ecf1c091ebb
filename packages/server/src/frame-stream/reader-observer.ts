import type { StoredEntry } from "@chat-replay/protocol";

/**
 * What a reader tells whoever measures it (metrics, traces); every call is cheap and
 * synchronous. A reader without an observer measures nothing.
 */
export interface ReaderObserver {
  /** The fold began (§6): whether the reader sends a snapshot replay first. */
  begun(snapshotUsed: boolean): void;
  /**
   * The first frame after `start` was written, or the reader reached the head of the buffer
   * with nothing to send yet (a resume of a quiet turn is ready then, not when the model
   * next speaks). Called once.
   */
  firstFrame(): void;
  /** A batch of entries was folded and its frames written to the response. */
  written(entries: readonly StoredEntry[]): void;
  /** The body ended: after `finish`, by the client going away, or with an error. */
  closed(end: "finish" | "disconnect" | "error", error?: unknown): void;
}
