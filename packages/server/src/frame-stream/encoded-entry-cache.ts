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
}

/**
 * Encode once, write many (§4 fan-out): the adapter is deterministic and a buffer is
 * append-only, so entry `id` of buffer `key` folds to the same frames and SSE bytes for every
 * reader whose state before it is the same. The first reader to fold an entry stores the
 * result; the others take its text and its `after` state (so from then on their state is
 * the very object the next entry was stored with, and the check is one identity compare).
 * Bounded: the least recently stored entries go first.
 */
export class EncodedEntryCache {
  private readonly entries = new Map<string, EncodedEntry>();

  constructor(private readonly maxEntries = 50_000) {}

  /** The stored fold of `id` in `key`, if its `before` state equals `state`. */
  get(key: string, id: string, state: AdapterState): EncodedEntry | null {
    const cached = this.entries.get(cacheKey(key, id));
    if (!cached) return null;
    if (cached.before === state || sameState(cached.before, state)) return cached;
    return null;
  }

  /** Stores the fold of `id` in `key` unless another reader stored it first. */
  set(key: string, id: string, entry: EncodedEntry): void {
    const at = cacheKey(key, id);
    if (this.entries.has(at)) return;
    this.entries.set(at, entry);
    if (this.entries.size > this.maxEntries) {
      // Map order is insertion order: drop the oldest tenth at once (amortized O(1)).
      let drop = Math.ceil(this.maxEntries / 10);
      for (const old of this.entries.keys()) {
        this.entries.delete(old);
        if (--drop === 0) break;
      }
    }
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.entries.size;
  }
}

function cacheKey(key: string, id: string): string {
  return `${key}\u0000${id}`;
}

/**
 * Structural equality of two fold states: how a reader that folded from its own checkpoint
 * joins the shared chain (once; afterwards its state is the shared object itself).
 */
function sameState(a: AdapterState, b: AdapterState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
