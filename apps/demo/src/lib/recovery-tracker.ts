import type { ConnectionState } from "@chat-replay/client";

/** What the demo knows about recovering from drops, beyond the transport's own snapshot. */
export interface RecoveryState {
  /** Successful re-attaches after a drop, an outage or a Retry: attempts that failed do not count. */
  readonly reconnects: number;
  /** Reconnect attempts spent since the connection was lost; 0 while nothing is lost. */
  readonly attempts: number;
}

/** Where the tracker reads connection states: a `ReplayTransport` fits. */
export interface ConnectionSource {
  subscribe(listener: () => void): () => void;
  getSnapshot(): ConnectionState;
}

const LOST_PHASES: ReadonlySet<ConnectionState["phase"]> = new Set(["reconnecting", "offline", "gave-up"]);

/**
 * Counts reconnects that worked, which the transport cannot tell from its attempt counter:
 * every phase change is published at once, so a lost phase followed by `streaming` is one
 * re-attach, however many attempts it took.
 * @example
 * const tracker = new RecoveryTracker();
 * const stop = tracker.follow(transport);
 * tracker.getSnapshot().reconnects;
 */
export class RecoveryTracker {
  private state: RecoveryState = { reconnects: 0, attempts: 0 };
  /** The transport's attempt counter when the connection was lost; null while connected. */
  private attemptsBefore: number | null = null;
  private readonly listeners = new Set<() => void>();

  /** Follows a transport's states from now on; returns the unsubscribe. */
  follow(source: ConnectionSource): () => void {
    this.observe(source.getSnapshot());
    return source.subscribe(() => this.observe(source.getSnapshot()));
  }

  /** Feeds one connection state (each published state, in order). */
  observe(connection: ConnectionState): void {
    if (LOST_PHASES.has(connection.phase)) {
      this.attemptsBefore ??= connection.reconnects;
      this.set({ ...this.state, attempts: connection.reconnects - this.attemptsBefore });
      return;
    }
    const recovered = connection.phase === "streaming" && this.attemptsBefore !== null;
    this.attemptsBefore = null;
    this.set({ reconnects: this.state.reconnects + (recovered ? 1 : 0), attempts: 0 });
  }

  /** Subscribe to changes (fits `useSyncExternalStore`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The current counts; a new object only when one changed. */
  readonly getSnapshot = (): RecoveryState => this.state;

  private set(next: RecoveryState): void {
    if (next.reconnects === this.state.reconnects && next.attempts === this.state.attempts) return;
    this.state = next;
    for (const listener of [...this.listeners]) listener();
  }
}
