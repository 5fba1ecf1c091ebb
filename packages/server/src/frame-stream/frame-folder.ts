import {
  type AdapterState,
  adapt,
  compareEntryIds,
  type EventCursor,
  encodeSseFrame,
  type Frame,
  framesAfter,
  SSE_FINISH,
  type StoredEntry,
} from "@chat-replay/protocol";
import type { EncodedEntries } from "./encoded-entry-cache";

/** What folding a batch of entries produced. */
export interface FoldedText {
  /** The SSE text of the frames to send. */
  readonly text: string;
  /** The stopping end marker was folded: `text` ends with `finish` and `[DONE]`. */
  readonly done: boolean;
}

/**
 * Folds a reader's entries through the adapter (§5) into SSE text: frames up to
 * `suppressThrough` are folded silently ({@link framesAfter}, §6 resume), and the fold stops
 * after the first end marker whose phase is at least `stopPhase`, or a final end (§5 Stopping).
 * With a `cache`, each entry of a buffer is folded and encoded once per process and its
 * bytes shared by every reader (see {@link EncodedEntries}).
 */
export class FrameFolder {
  constructor(
    private state: AdapterState,
    private readonly stopPhase: number,
    /** The last position already sent (a client cursor, or a continuation's captured entry). */
    private suppressThrough: EventCursor | null,
    private readonly cache: { readonly entries: EncodedEntries; readonly key: string } | null = null,
  ) {}

  fold(entries: readonly StoredEntry[]): FoldedText {
    let text = "";
    for (const stored of entries) {
      const encoded = this.encode(stored);
      this.state = encoded.after;
      if (this.suppressThrough === null) {
        text += encoded.text;
      } else {
        for (const frame of framesAfter(stored.id, encoded.frames, this.suppressThrough)) {
          text += encodeSseFrame(frame);
        }
      }
      // Past the cursor's entry every frame is sent: stop comparing ids.
      if (this.suppressThrough && compareEntryIds(stored.id, this.suppressThrough.entryId) >= 0) {
        this.suppressThrough = null;
      }
      const entry = stored.entry;
      if (entry.type === "end" && (entry.reason === "final" || entry.phase >= this.stopPhase)) {
        return { text: text + SSE_FINISH, done: true };
      }
    }
    return { text, done: false };
  }

  /**
   * The entry's fold from the current state: from the cache, or folded here. Entries a
   * resume folds silently (before its cursor) are not encoded at all; the rest are stored.
   */
  private encode(stored: StoredEntry): { after: AdapterState; frames: readonly Frame[]; text: string } {
    const cached = this.cache?.entries.get(this.cache.key, stored.id, this.state);
    if (cached) return cached;
    const result = adapt(this.state, stored);
    if (this.suppressThrough !== null) return { after: result.state, frames: result.frames, text: "" };
    let text = "";
    for (const frame of result.frames) text += encodeSseFrame(frame);
    const encoded = { before: this.state, after: result.state, frames: result.frames, text };
    this.cache?.entries.set(this.cache.key, stored.id, encoded);
    return encoded;
  }
}
