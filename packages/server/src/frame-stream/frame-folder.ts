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
import type { EncodedBatches } from "./encoded-batch-cache";
import type { EncodedEntries, EncodedEntry } from "./encoded-entry-cache";

/** What folding a batch of entries produced. */
export interface FoldedText {
  /** The SSE bytes of the frames to send (empty when every frame was suppressed). */
  readonly bytes: Uint8Array;
  /** The stopping end marker was folded: `bytes` end with `finish` and `[DONE]`. */
  readonly done: boolean;
}

/** Where a batch of entries came from, for the batch cache. */
export interface BatchOrigin {
  /** The position the batch was read after. */
  readonly after: string;
  /** A full-size catch-up read from the store: kept in the batch cache once folded. */
  readonly catchUp: boolean;
}

/** The caches a folder shares with the other readers of its process. */
export interface FoldCache {
  readonly entries: EncodedEntries;
  readonly batches?: EncodedBatches | null;
  readonly key: string;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Folds a reader's entries through the adapter (§5) into SSE text: frames up to
 * `suppressThrough` are folded silently ({@link framesAfter}, §6 resume), and the fold stops
 * after the first end marker whose phase is at least `stopPhase`, or a final end (§5 Stopping).
 * With a `cache`, each entry of a buffer is folded and encoded once per process and its
 * bytes shared by every reader (see {@link EncodedEntries}), and so is each full catch-up
 * batch (see {@link EncodedBatches}).
 */
export class FrameFolder {
  constructor(
    private state: AdapterState,
    private readonly stopPhase: number,
    /** The last position already sent (a client cursor, or a continuation's captured entry). */
    private suppressThrough: EventCursor | null,
    private readonly cache: FoldCache | null = null,
  ) {}

  /** Folds `entries` (read after `origin.after`, when known) into the SSE bytes to send. */
  fold(entries: readonly StoredEntry[], origin?: BatchOrigin): FoldedText {
    const batches = this.cache?.batches;
    // Only a batch folded whole from its first entry is the same for every reader.
    if (!batches || !origin?.catchUp || this.suppressThrough !== null || entries.length === 0) {
      return this.foldEntries(entries);
    }
    const key = this.cache!.key;
    const kept = batches.get(key, origin.after, entries, this.state, this.stopPhase);
    if (kept) {
      this.state = kept.after;
      return kept;
    }
    const before = this.state;
    const folded = this.foldEntries(entries);
    batches.set(key, origin.after, {
      before,
      after: this.state,
      stopPhase: this.stopPhase,
      count: entries.length,
      lastId: entries.at(-1)!.id,
      bytes: folded.bytes,
      done: folded.done,
    });
    return folded;
  }

  private foldEntries(entries: readonly StoredEntry[]): FoldedText {
    const only = entries.length === 1 ? entries[0]! : null;
    if (only && this.suppressThrough === null && !this.stopsAt(only)) {
      // One entry, the usual batch of a live reader at the head: the entry's bytes, encoded
      // by the first reader of the process and the same array for every other. Shared, so
      // never mutated or transferred (the body is a default stream, not a byte stream).
      const encoded = this.encode(only);
      this.state = encoded.after;
      encoded.bytes ??= encoder.encode(encoded.text);
      return { bytes: encoded.bytes, done: false };
    }
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
      if (this.stopsAt(stored)) return { bytes: encoder.encode(text + SSE_FINISH), done: true };
    }
    return { bytes: text.length === 0 ? EMPTY : encoder.encode(text), done: false };
  }

  /** Whether `stored` is the end marker this reader stops at (§5 Stopping). */
  private stopsAt(stored: StoredEntry): boolean {
    const entry = stored.entry;
    return entry.type === "end" && (entry.reason === "final" || entry.phase >= this.stopPhase);
  }

  /**
   * The entry's fold from the current state: from the cache, or folded here. Entries a
   * resume folds silently (before its cursor) are not encoded at all; the rest are stored.
   */
  private encode(stored: StoredEntry): Omit<EncodedEntry, "before"> {
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
