/** What the URL hash selects: the open session, if any, and a read-only share token for it. */
export interface HashRoute {
  readonly sessionId: string | null;
  /** A share link's token (`?share=`): this browser reads the session without owning it. */
  readonly shareToken: string | null;
}

const SESSION_PREFIX = "#/session/";

/**
 * Reads the route from `location.hash` (`#/session/<id>` or `#/session/<id>?share=<token>`);
 * anything else selects no session.
 * @example parseHashRoute("#/session/abc?share=t") // { sessionId: "abc", shareToken: "t" }
 */
export function parseHashRoute(hash: string): HashRoute {
  if (!hash.startsWith(SESSION_PREFIX)) return { sessionId: null, shareToken: null };
  const [path = "", query = ""] = hash.slice(SESSION_PREFIX.length).split("?", 2);
  const raw = path.split("/")[0] ?? "";
  try {
    const id = decodeURIComponent(raw);
    const shareToken = new URLSearchParams(query).get("share");
    return { sessionId: id === "" ? null : id, shareToken: id === "" || !shareToken ? null : shareToken };
  } catch {
    // A malformed escape is not a session id.
    return { sessionId: null, shareToken: null };
  }
}

/** The hash that opens a session (read-only with a share token); reloading the page returns to it. */
export function sessionHash(sessionId: string, shareToken?: string): string {
  const path = `${SESSION_PREFIX}${encodeURIComponent(sessionId)}`;
  return shareToken ? `${path}?${new URLSearchParams({ share: shareToken })}` : path;
}
