import { sessionHash } from "../lib/hash-route";
import type { SessionSummary } from "../lib/session-registry";

/** Props of {@link SessionList}. */
export interface SessionListProps {
  readonly sessions: readonly SessionSummary[];
  readonly activeId: string | null;
  /** A create request is in flight. */
  readonly creating: boolean;
  readonly onCreate: () => void;
}

/** The sessions this browser created (newest first) and a button for a new one. */
export function SessionList({ sessions, activeId, creating, onCreate }: SessionListProps) {
  return (
    <div className="session-list">
      <button type="button" className="button primary" onClick={onCreate} disabled={creating}>
        {creating ? "Creating…" : "New chat"}
      </button>
      {sessions.length === 0 ? (
        <p className="muted">No chats yet.</p>
      ) : (
        <ul>
          {sessions.map((session) => (
            <li key={session.id}>
              <a
                href={sessionHash(session.id)}
                aria-current={session.id === activeId ? "page" : undefined}
                title={session.id}
              >
                {session.title}
                <span className="muted session-time">{formatTime(session.createdAt)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
