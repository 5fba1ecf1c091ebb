import {
  type AdapterState,
  adapt,
  compareEntryIds,
  type EventCursor,
  encodeSseFrame,
  framesAfter,
  SSE_FINISH,
  type StoredEntry,
} from "@chat-replay/protocol";

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
 */
export class FrameFolder {
  constructor(
    private state: AdapterState,
    private readonly stopPhase: number,
    /** The last position already sent (a client cursor, or a continuation's captured entry). */
    private suppressThrough: EventCursor | null,
  ) {}

  fold(entries: readonly StoredEntry[]): FoldedText {
    let text = "";
    for (const stored of entries) {
      const result = adapt(this.state, stored);
      this.state = result.state;
      for (const frame of framesAfter(stored.id, result.frames, this.suppressThrough)) {
        text += encodeSseFrame(frame);
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
}
