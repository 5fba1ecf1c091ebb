import { parseEventId } from "@chat-replay/protocol";

/**
 * A cursor (`<entry-id>:<frame>`, §7) in words a visitor can read: the entry's time when
 * its id is a millisecond timestamp (memory and Redis stores both mint such ids), its
 * sequence number and the frame within it. `null` for no cursor or one that does not parse.
 * @example describeEventId("1796090398526-0:2") // "entry 10:39:58.526 #0, frame 2" (local time)
 */
export function describeEventId(eventId: string | null): string | null {
  const cursor = parseEventId(eventId);
  if (!cursor) return null;
  const [ms = "", seq = "0"] = cursor.entryId.split("-");
  const time = Number(ms);
  const when =
    Number.isSafeInteger(time) && time > 0
      ? new Date(time).toLocaleTimeString("en-GB", { hour12: false }) +
        `.${String(time % 1000).padStart(3, "0")}`
      : ms;
  return `entry ${when} #${seq}, frame ${cursor.frame}`;
}
