/**
 * The longest cursor sent back, in UTF-8 bytes. Far above any id this protocol issues (64
 * characters, §5), far below the request-header limits of servers and proxies (8–16 KiB),
 * which would answer a longer one with 431 and make every reconnect fail.
 */
export const MAX_SENT_CURSOR_BYTES = 1024;

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * How to send an event id back to the server byte-exact (the EventSource rules send the
 * last event id as UTF-8 bytes):
 * - in the `Last-Event-ID` header, as the id's UTF-8 bytes one per character (a header
 *   value is a byte string; `fetch` refuses characters above U+00FF, so a non-ASCII id
 *   written as is would make every reconnect throw);
 * - in the `last_event_id` query parameter when the header would alter it (leading or
 *   trailing spaces or tabs are trimmed from header values);
 * - not at all (`null`) when it is longer than {@link MAX_SENT_CURSOR_BYTES}: the server
 *   then answers as to a client without a cursor, and the transport rebuilds the bubble
 *   from that full replay (§7).
 */
export function lastEventIdRequest(id: string): { header?: string; query?: string } | null {
  const bytes = encoder.encode(id);
  if (bytes.length === 0 || bytes.length > MAX_SENT_CURSOR_BYTES) return null;
  if (/^[ \t]|[ \t]$/.test(id)) return { query: id };
  let header = "";
  for (const byte of bytes) header += String.fromCharCode(byte);
  return { header };
}

/** Whether {@link lastEventIdRequest} would send this id at all. */
export function isSendableCursor(id: string): boolean {
  return lastEventIdRequest(id) !== null;
}
