/** Props of {@link SessionGone}. */
export interface SessionGoneProps {
  /**
   * Whether this browser created the session (it is in the local list). The server answers
   * 404 alike for another owner's session and a forgotten one, so existence never leaks;
   * only this browser's own list can tell the two apart.
   */
  readonly ownedHere: boolean;
  /** Opened through a share link that the server refused (revoked or expired). */
  readonly shared: boolean;
  readonly onForget: () => void;
}

/** Shown when the server will not show the session: someone else's, a dead link, or forgotten. */
export function SessionGone({ ownedHere, shared, onForget }: SessionGoneProps) {
  return (
    <div
      className="session-gone"
      role="alert"
      data-reason={shared ? "link" : ownedHere ? "forgotten" : "foreign"}
    >
      {shared ? (
        <p>This share link no longer works: it was revoked, it expired, or the chat was deleted.</p>
      ) : ownedHere ? (
        <p>
          The server does not know this chat any more. The demo server keeps chats in memory, so a restart
          forgets them.
        </p>
      ) : (
        <>
          <p>
            <strong>This chat belongs to another browser.</strong> Chats are private to the browser that
            started them.
          </p>
          <p>
            To watch it here, ask its owner for a read-only link: <em>Open on another device</em> in their
            chat.
          </p>
        </>
      )}
      <button type="button" className="button" onClick={onForget}>
        {ownedHere ? "Forget this chat" : "Back to my chats"}
      </button>
    </div>
  );
}
