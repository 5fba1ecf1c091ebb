/** Props of {@link SessionGone}. */
export interface SessionGoneProps {
  readonly onForget: () => void;
}

/** Shown when the server no longer knows the session (the demo keeps sessions in memory). */
export function SessionGone({ onForget }: SessionGoneProps) {
  return (
    <div className="session-gone" role="alert">
      <p>
        The server does not know this session any more. The demo server keeps sessions in memory, so a restart
        forgets them.
      </p>
      <button type="button" className="button" onClick={onForget}>
        Forget this session
      </button>
    </div>
  );
}
