/** What the URL hash selects: the open session, if any. */
export interface HashRoute {
  readonly sessionId: string | null;
}

const SESSION_PREFIX = "#/session/";

/**
 * Reads the route from `location.hash` (`#/session/<id>`); anything else selects no session.
 * @example parseHashRoute("#/session/abc") // { sessionId: "abc" }
 */
export function parseHashRoute(hash: string): HashRoute {
  if (!hash.startsWith(SESSION_PREFIX)) return { sessionId: null };
  const raw = hash.slice(SESSION_PREFIX.length).split(/[/?]/)[0] ?? "";
  try {
    const id = decodeURIComponent(raw);
    return { sessionId: id === "" ? null : id };
  } catch {
    // A malformed escape is not a session id.
    return { sessionId: null };
  }
}

/** The hash that opens a session; reloading the page returns to it. */
export function sessionHash(sessionId: string): string {
  return `${SESSION_PREFIX}${encodeURIComponent(sessionId)}`;
}
