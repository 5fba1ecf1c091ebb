import { type EventCursor, INITIAL_ADAPTER_STATE, ZERO_ENTRY_ID } from "@chat-replay/protocol";
import { foldBase } from "../frame-stream/begin-read";
import type { Checkpoint, StreamStore } from "../stream-store";

/**
 * §6 "valid": a reader can fold to the cursor in this buffer: its entry is still retained
 * after a kept fold state, or it names a checkpoint's whole entry (trimmed or not). Returns
 * that fold state, or null for a stale cursor. `0-0` names the start of the buffer (the
 * position before the first frame): valid while the turn is active or its buffer is kept.
 */
export async function resumeCheckpoint(
  store: StreamStore,
  key: string,
  cursor: EventCursor,
  active: boolean,
): Promise<Checkpoint | null> {
  if (cursor.entryId === ZERO_ENTRY_ID) {
    const kept = active || (await store.newestId(key)) !== null;
    return kept ? { entryId: ZERO_ENTRY_ID, state: INITIAL_ADAPTER_STATE } : null;
  }
  const checkpoint = await store.checkpoint(key, foldBase(cursor));
  if (checkpoint === null) return null;
  if (checkpoint.entryId === cursor.entryId && cursor.frame === Number.POSITIVE_INFINITY) return checkpoint;
  const found = await store.range(key, cursor.entryId, cursor.entryId, 1);
  return found.length === 1 ? checkpoint : null;
}
