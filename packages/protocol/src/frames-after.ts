import { compareEntryIds, type EventCursor } from "./event-id";
import type { Frame } from "./ui-message-chunk";

const NO_FRAMES: readonly Frame[] = /* @__PURE__ */ Object.freeze([]);

/**
 * The frames of one entry that a reader sends after `cursor` (§6 resume, §7 Cursor): the one
 * "frames after the cursor" rule of the protocol. Entries before the cursor's entry send
 * nothing; the cursor's entry sends its frames whose numbered index is greater than
 * `cursor.frame` (none for a bare `E`), an unnumbered frame travelling with the numbered
 * frame that follows it; later entries, and every entry without a cursor, send all frames.
 * `frames` must be the entry's whole fold, in order (`adapt(state, entry).frames`).
 * @example framesAfter("5-0", adapt(state, entry).frames, parseEventId("5-0:1"))
 */
export function framesAfter(
  entryId: string,
  frames: readonly Frame[],
  cursor: EventCursor | null,
): readonly Frame[] {
  if (cursor === null) return frames;
  const order = compareEntryIds(entryId, cursor.entryId);
  if (order > 0) return frames;
  if (order < 0) return NO_FRAMES;
  const after: Frame[] = [];
  // `index` is the number of the next numbered frame, so an unnumbered frame (a synthesized
  // part opening, §6) is kept exactly when the numbered frame after it is.
  let index = 0;
  for (const frame of frames) {
    if (index > cursor.frame) after.push(frame);
    if (frame.id !== null) index++;
  }
  return after;
}
