import { ReplayClient } from "@chat-replay/client";

/** A session this browser created, as the session list shows it. */
export interface SessionSummary {
  readonly id: string;
  readonly title: string;
  /** ISO timestamp from the server. */
  readonly createdAt: string;
}

/** Where the registry keeps its list; `localStorage` in the browser. */
export type RegistryStorage = Pick<Storage, "getItem" | "setItem">;

const STORAGE_KEY = "chat-replay-demo:sessions";

/**
 * The sessions this browser created, newest first. The protocol has no "list my sessions"
 * route, so the demo remembers ids locally; the server stays the source of truth for
 * everything inside a session.
 * @example
 * const registry = new SessionRegistry(window.localStorage);
 * registry.add(await createServerSession(fetch, "Chat 1"));
 */
export class SessionRegistry {
  private sessions: readonly SessionSummary[];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: RegistryStorage | null) {
    this.sessions = readSessions(storage);
  }

  /** Adds (or moves to the top) a session and persists the list. */
  add(session: SessionSummary): void {
    this.write([session, ...this.sessions.filter((known) => known.id !== session.id)]);
  }

  /** Forgets a session locally (e.g. one the server no longer knows after a restart). */
  remove(sessionId: string): void {
    this.write(this.sessions.filter((known) => known.id !== sessionId));
  }

  /** Subscribe to changes (fits `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The sessions, newest first; a new array only when the list changed. */
  readonly getSnapshot = (): readonly SessionSummary[] => this.sessions;

  /**
   * Follows changes other tabs make (the browser's `storage` event fires in every other tab
   * of the origin): call with `window`; returns the unsubscribe.
   */
  syncAcrossTabs(target: Pick<Window, "addEventListener" | "removeEventListener">): () => void {
    const onStorage = (event: StorageEvent) => {
      if (event.key !== STORAGE_KEY && event.key !== null) return;
      const next = readSessions(this.storage);
      if (JSON.stringify(next) === JSON.stringify(this.sessions)) return;
      this.sessions = next;
      for (const listener of this.listeners) listener();
    };
    target.addEventListener("storage", onStorage);
    return () => target.removeEventListener("storage", onStorage);
  }

  private write(next: readonly SessionSummary[]): void {
    this.sessions = next;
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage full or disabled (private mode): the list still works for this page's lifetime.
    }
    for (const listener of this.listeners) listener();
  }
}

function readSessions(storage: RegistryStorage | null): readonly SessionSummary[] {
  try {
    const parsed = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "[]") as unknown;
    return Array.isArray(parsed) ? parsed.filter(isSessionSummary) : [];
  } catch {
    // Corrupt storage starts an empty list rather than breaking the page.
    return [];
  }
}

function isSessionSummary(value: unknown): value is SessionSummary {
  if (typeof value !== "object" || value === null) return false;
  const { id, title, createdAt } = value as Record<string, unknown>;
  return typeof id === "string" && typeof title === "string" && typeof createdAt === "string";
}

/**
 * Creates a session on the replay server (`POST /api/sessions`; the response also sets the
 * owner cookie on first use) and returns its summary.
 */
export async function createServerSession(fetchImpl: typeof fetch, title: string): Promise<SessionSummary> {
  const session = await new ReplayClient({ fetch: fetchImpl }).createSession({ title });
  return { id: session.id, title: session.title, createdAt: new Date(session.createdAt).toISOString() };
}
