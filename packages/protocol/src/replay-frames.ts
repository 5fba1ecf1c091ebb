import { type AdapterState, adapt, INITIAL_ADAPTER_STATE } from "./adapter";
import type { StoredEntry } from "./buffer-entry";
import type { EventCursor } from "./event-id";
import { framesAfter } from "./frames-after";
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
 * each entry sends {@link framesAfter} the cursor. This is exact mid-part resume: no
 * repair frames, same part ids, same frame ids.
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
    yield* framesAfter(stored.id, result.frames, cursor);
  }
  return state;
}
