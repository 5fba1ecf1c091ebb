import type { AdapterState, StoredEntry } from "@chat-replay/protocol";
import { foldsFrom } from "./encoded-entry-cache";

/** One catch-up batch of a buffer, folded and encoded once for every reader of the process. */
export interface EncodedBatch {
  /** The fold state before the batch's first entry. */
  readonly before: AdapterState;
  /** The fold state after its last folded entry (shared: adapter states are never mutated). */
  readonly after: AdapterState;
  /** The stopping phase the batch was folded with (an end marker below it does not stop). */
  readonly stopPhase: number;
  /** Entries in the batch, and the id of the last: a read that returns the same is the same batch. */
  readonly count: number;
  readonly lastId: string;
  /** Every frame of the batch as SSE bytes (with `finish` and `[DONE]` when `done`). */
  readonly bytes: Uint8Array;
  /** The batch holds the stopping end marker. */
  readonly done: boolean;
}

interface Slot {
  readonly key: string;
  readonly after: string;
  readonly batch: EncodedBatch;
}

/**
 * Encode once, write many, for readers that catch up (§4): a buffer is append-only and the
 * adapter deterministic, so the full-size store read after position P of buffer `key`
 * folds to the same SSE bytes for every reader that reaches P with the same fold state and
 * stopping phase. The first reader to fold such a batch leaves its bytes here; a replay of
 * the same turn by any other reader of the process then costs the store read and a socket
 * write per batch, not a fold and a JSON encoding per entry.
 *
 * Readers start at a checkpoint (or the snapshot), so two readers' batches need not line up;
 * {@link startIndex} lets a reader cut its read short at the start of a batch already kept,
 * after which it reads the kept chain. Bounded by `maxBytes` (least recently used first out).
 * A hit is always checked against what the reader itself just read from the store (same
 * count, same last id), so nothing is ever sent that the store does not hold.
 */
export class EncodedBatches {
  private readonly byBuffer = new Map<string, Map<string, Slot>>();
  /** Least recently used first (a Set keeps insertion order; a hit re-inserts). */
  private readonly lru = new Set<Slot>();
  private heldBytes = 0;

  constructor(readonly maxBytes: number) {}

  /**
   * The kept batch of `key` after `after`, if it is the batch `entries` (as just read) folds
   * to from `state` with `stopPhase`.
   */
  get(
    key: string,
    after: string,
    entries: readonly StoredEntry[],
    state: AdapterState,
    stopPhase: number,
  ): EncodedBatch | null {
    const slot = this.byBuffer.get(key)?.get(after);
    if (!slot) return null;
    const { batch } = slot;
    if (
      batch.count !== entries.length ||
      batch.lastId !== entries.at(-1)?.id ||
      batch.stopPhase !== stopPhase
    ) {
      return null;
    }
    if (!foldsFrom({ before: batch.before }, state)) return null;
    this.lru.delete(slot);
    this.lru.add(slot);
    return batch;
  }

  /** Keeps the batch of `key` after `after` (replacing one there), evicting the least recently used. */
  set(key: string, after: string, batch: EncodedBatch): void {
    // A batch larger than an eighth of the budget would evict most of what is kept.
    if (batch.bytes.byteLength * 8 > this.maxBytes) return;
    let slots = this.byBuffer.get(key);
    if (!slots) {
      slots = new Map();
      this.byBuffer.set(key, slots);
    }
    const old = slots.get(after);
    if (old) this.remove(old);
    const slot: Slot = { key, after, batch };
    slots.set(after, slot);
    this.lru.add(slot);
    this.heldBytes += batch.bytes.byteLength;
    for (const oldest of this.lru) {
      if (this.heldBytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** Whether a batch of `key` after `after` is kept. */
  has(key: string, after: string): boolean {
    return this.byBuffer.get(key)?.has(after) ?? false;
  }

  /**
   * The index of the first of `entries` (read after some position of `key`, in order) at
   * which a kept batch starts, short of the last entry; -1 if none. A reader that cuts its
   * read there joins the kept chain with its next read.
   */
  startIndex(key: string, entries: readonly StoredEntry[]): number {
    const slots = this.byBuffer.get(key);
    if (!slots) return -1;
    for (let index = 0; index < entries.length - 1; index++) {
      if (slots.has(entries[index]!.id)) return index;
    }
    return -1;
  }

  /** Bytes held (for tests and sizing). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Batches held (for tests). */
  get size(): number {
    return this.lru.size;
  }

  private remove(slot: Slot): void {
    this.lru.delete(slot);
    this.heldBytes -= slot.batch.bytes.byteLength;
    const slots = this.byBuffer.get(slot.key);
    if (slots?.get(slot.after) === slot) {
      slots.delete(slot.after);
      if (slots.size === 0) this.byBuffer.delete(slot.key);
    }
  }
}
