import type { AdapterState, Frame } from "@chat-replay/protocol";

/** One entry of a buffer, folded and encoded once for every reader of the process. */
export interface EncodedEntry {
  /** The fold state before the entry (what a reader's state must equal to use this). */
  readonly before: AdapterState;
  /** The fold state after it (shared: adapter states are never mutated). */
  readonly after: AdapterState;
  /** The entry's frames, for readers that still suppress frames up to a cursor. */
  readonly frames: readonly Frame[];
  /** Every frame of the entry as SSE text. */
  readonly text: string;
  /**
   * `text` as UTF-8, set by the first reader that sends the entry on its own (a live reader
   * at the head) and then written by every other as it is: never mutated.
   */
  bytes?: Uint8Array;
}

/**
 * Encode once, write many (§4 fan-out): the adapter is deterministic and a buffer is
 * append-only, so entry `id` of buffer `key` folds to the same frames and SSE bytes for every
 * reader whose state before it is the same. The first reader to fold an entry leaves the
 * result here; the others take its text (or bytes) and its `after` state (so from then on their state
 * is the very object the next entry was stored with, and the check is one identity compare).
 * The `BufferHub` implements it for the entries its shared tails hold (their recent window),
 * so what is kept is bounded by the window and a catch-up read of an old turn caches nothing.
 */
export interface EncodedEntries {
  /** The stored fold of `id` in `key`, if its `before` state equals `state`. */
  get(key: string, id: string, state: AdapterState): EncodedEntry | null;
  /** Offers the fold of `id` in `key` (kept only while the entry is in its tail's window). */
  set(key: string, id: string, entry: EncodedEntry): void;
}

/** Whether a reader at `state` may take the bytes and state of `entry` (one entry's, or a batch's). */
export function foldsFrom(entry: Pick<EncodedEntry, "before">, state: AdapterState): boolean {
  return entry.before === state || sameState(entry.before, state);
}

/**
 * Structural equality of two fold states: how a reader that folded from its own checkpoint
 * joins the shared chain (once; afterwards its state is the shared object itself).
 */
function sameState(a: AdapterState, b: AdapterState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
