import { type AdapterState, adapt, INITIAL_ADAPTER_STATE } from "./adapter";
import type { StoredEntry } from "./buffer-entry";
import { compareEntryIds, type EventCursor } from "./event-id";
import type { Frame } from "./ui-message-chunk";

/** Options of {@link replayFrames}. */
export interface ReplayFramesOptions {
  /** The last frame the client applied; `null` or absent replays everything. */
  readonly cursor?: EventCursor | null;
  /** State to start folding from (a checkpoint); defaults to the turn's initial state. */
  readonly state?: AdapterState;
}

/**
 * Yields the frames of the given entries that come after `cursor` (§6 "resume"): every
 * entry is folded, so the adapter state at the cursor equals the uninterrupted one, and
 * frames at or before the cursor are suppressed. This is exact mid-part resume: no repair
 * frames, same part ids, same frame ids.
 */
export function* replayFrames(
  entries: Iterable<StoredEntry>,
  options: ReplayFramesOptions = {},
): Generator<Frame, AdapterState> {
  const cursor = options.cursor ?? null;
  let state = options.state ?? INITIAL_ADAPTER_STATE;
  for (const stored of entries) {
    const result = adapt(state, stored);
    state = result.state;
    const order = cursor ? compareEntryIds(stored.id, cursor.entryId) : 1;
    if (order < 0) continue;
    if (order > 0) {
      yield* result.frames;
      continue;
    }
    // The cursor's own entry: drop frames at or before frame k. An unnumbered frame
    // (a synthesized part opening) travels with the numbered frame that follows it.
    let index = 0;
    for (const frame of result.frames) {
      if (index > cursor!.frame) yield frame;
      if (frame.id !== null) index++;
    }
  }
  return state;
}
