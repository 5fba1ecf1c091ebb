import {
  compareEntryIds,
  foldSnapshot,
  type StoredEntry,
  type TurnSnapshot,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { StreamStore } from "./stream-store";

/** Entries read per store command while catching a snapshot up. */
const READ_BATCH = 2048;

/** Compare-and-set conflicts tolerated per refresh (another writer extending the same snapshot). */
const MAX_CONFLICTS = 5;

/** Snapshot interval for a store: a quarter of its cap, at most 256 entries (§4). */
export function defaultSnapshotEvery(store: StreamStore): number {
  return Math.max(1, Math.min(256, Math.floor(store.maxLength / 4)));
}

/**
 * Keeps one buffer's snapshot current (§4 "Snapshot and checkpoints"): after every
 * `every` appended entries it folds the entries after the stored snapshot and writes the
 * extension (compare-and-set), which also adds a checkpoint, the only points the store
 * trims at. Safe with several writers: a snapshot through S is the same whoever folds it,
 * and a lost compare-and-set reloads and retries. It holds the snapshot in memory, so a
 * refresh costs one read of the new entries and one write of their compacted chunks.
 */
export class TurnSnapshotter {
  /** `undefined` until loaded from the store. */
  private snapshot: TurnSnapshot | null | undefined;
  private sinceRefresh = 0;

  constructor(
    private readonly store: StreamStore,
    private readonly key: string,
    /** Entries between refreshes. */
    readonly every: number = defaultSnapshotEvery(store),
  ) {}

  /** Call after appending `count` entries: refreshes once `every` have accumulated. */
  async appended(count: number): Promise<void> {
    this.sinceRefresh += count;
    if (this.sinceRefresh >= this.every) await this.refresh();
  }

  /** Folds every entry after the stored snapshot into it and stores the result. */
  async refresh(): Promise<TurnSnapshot | null> {
    this.sinceRefresh = 0;
    for (let conflicts = 0; ; conflicts++) {
      if (this.snapshot === undefined) this.snapshot = await this.store.readSnapshot(this.key);
      const base: TurnSnapshot | null = this.snapshot;
      const tail = await readAfter(this.store, this.key, base?.entryId ?? ZERO_ENTRY_ID);
      const fold = foldSnapshot(base, tail);
      if (!fold) return base;
      const written = await this.store.writeSnapshot(this.key, {
        previous: base?.entryId ?? null,
        snapshot: fold.snapshot,
        added: fold.added,
      });
      if (written) {
        this.snapshot = fold.snapshot;
        return fold.snapshot;
      }
      this.snapshot = undefined;
      // The buffer is gone (expired) or others keep winning: the fold is still right for us.
      if (conflicts >= MAX_CONFLICTS || (await this.store.newestId(this.key)) === null) return fold.snapshot;
    }
  }
}

/**
 * Every entry after `after`, in order. Throws if entries right after `after` were trimmed
 * (a fold over them would silently skip content).
 */
export async function readAfter(store: StreamStore, key: string, after: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  let position = after;
  for (;;) {
    const batch = await store.read(key, position, { count: READ_BATCH, block: 0 });
    if (batch.length === 0) break;
    entries.push(...batch);
    position = batch.at(-1)!.id;
    if (batch.length < READ_BATCH) break;
  }
  const trimmed = await store.trimmedThrough(key);
  if (trimmed !== null && compareEntryIds(trimmed, after) > 0) {
    throw new Error(`chat-replay: entries after ${after} of ${key} were trimmed before they were folded`);
  }
  return entries;
}
