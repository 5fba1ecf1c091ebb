import {
  type AdapterState,
  type EventCursor,
  encodeSseFrame,
  INITIAL_ADAPTER_STATE,
  previousEntryId,
  snapshotFrames,
  type TurnSnapshot,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import type { Checkpoint, StreamStore } from "../stream-store";
import { ReaderGaveUp } from "./retry-transient";

/** Where a reader's fold starts, and what it sends before the first entry it reads. */
export interface ReadStart {
  /** The adapter state after `position`. */
  readonly state: AdapterState;
  /** The last entry folded before reading: the reader reads the entries after it. */
  readonly position: string;
  /** The reader's stopping phase, raised to the snapshot's phase (§6 full). */
  readonly stopPhase: number;
  /** The snapshot replay's encoded frames (§6 full), or null when nothing is sent yet. */
  readonly snapshot: Uint8Array | null;
  /** The snapshot already holds the stopping end marker: send it, then `finish`. */
  readonly done: boolean;
}

/** What {@link beginRead} needs to know. */
export interface ReadStartSpec {
  readonly store: StreamStore;
  readonly key: string;
  /**
   * The last entry whose frames are all folded silently (a resume's {@link foldBase}, a
   * continuation's captured id); undefined for a snapshot replay.
   */
  readonly silentUntil: string | undefined;
  /** The fold state at `silentUntil`, when the caller already looked it up. */
  readonly checkpoint: Checkpoint | undefined;
  readonly stopPhase: number;
}

const encoder = new TextEncoder();

/**
 * Finds where a reader's fold starts (§6). Everything at or before `silentUntil` is folded
 * silently, from the newest checkpoint before it. Without it the reader sends the turn's
 * snapshot (§6 snapshot replay) and folds on from the snapshot's entry S.
 */
export async function beginRead(spec: ReadStartSpec): Promise<ReadStart> {
  if (spec.silentUntil !== undefined) {
    const checkpoint = spec.checkpoint ?? (await spec.store.checkpoint(spec.key, spec.silentUntil));
    if (!checkpoint) throw new ReaderGaveUp("the entries after the cursor were trimmed");
    const { state, entryId: position } = checkpoint;
    return { state, position, stopPhase: spec.stopPhase, snapshot: null, done: false };
  }
  const snapshot = await spec.store.readSnapshot(spec.key);
  if (!snapshot) {
    // A short turn: no snapshot yet, so every frame from the buffer's first entry.
    return {
      state: INITIAL_ADAPTER_STATE,
      position: ZERO_ENTRY_ID,
      stopPhase: spec.stopPhase,
      snapshot: null,
      done: false,
    };
  }
  // A snapshot past a pause end the reader would have stopped at: the turn moved on since
  // the reader's phase was read, so read it as a reader that started a moment later.
  const stopPhase = Math.max(spec.stopPhase, snapshot.phase);
  const end = snapshot.end;
  return {
    state: snapshot.state,
    position: snapshot.entryId,
    stopPhase,
    snapshot: encodeSnapshot(snapshot),
    done: end !== null && (end.reason === "final" || end.phase >= stopPhase),
  };
}

/**
 * The last entry whose whole fold the cursor implies (§6 resume): the cursor's entry for a
 * bare `E`, else the one before it (frames of `E` up to k must be produced to be suppressed).
 */
export function foldBase(cursor: EventCursor): string {
  return cursor.frame === Number.POSITIVE_INFINITY ? cursor.entryId : previousEntryId(cursor.entryId);
}

/**
 * Encoded snapshot frames per snapshot object. Snapshots are immutable and stores hand out
 * the same object until it changes, so every full replay of one snapshot after the first
 * costs a copy, not a JSON encoding of the whole answer.
 */
const encodedSnapshots = new WeakMap<TurnSnapshot, Uint8Array>();

function encodeSnapshot(snapshot: TurnSnapshot): Uint8Array {
  let bytes = encodedSnapshots.get(snapshot);
  if (!bytes) {
    let text = "";
    for (const frame of snapshotFrames(snapshot)) text += encodeSseFrame(frame);
    bytes = encoder.encode(text);
    encodedSnapshots.set(snapshot, bytes);
  }
  return bytes;
}
