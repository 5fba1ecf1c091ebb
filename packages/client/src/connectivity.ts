/**
 * What the core needs to know about the page it runs in: whether the network is up and
 * the tab visible, and a signal when either changes. Reconnect backoff pauses while
 * offline or hidden and retries at once when both are back (§7 Never give up).
 */
export interface Connectivity {
  isOnline(): boolean;
  isVisible(): boolean;
  /** Calls `listener` on every change (`online`, `offline`, `visibilitychange`); returns an unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/**
 * The browser's `navigator.onLine`, `document.visibilityState` and their events; outside
 * a browser (Node, workers without a document) always online and visible.
 */
export function browserConnectivity(): Connectivity {
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  const doc = (globalThis as { document?: Document }).document;
  const target = (globalThis as { addEventListener?: unknown }).addEventListener
    ? (globalThis as unknown as EventTarget)
    : null;
  return {
    isOnline: () => nav?.onLine !== false,
    isVisible: () => doc?.visibilityState !== "hidden",
    subscribe(listener) {
      target?.addEventListener("online", listener);
      target?.addEventListener("offline", listener);
      doc?.addEventListener("visibilitychange", listener);
      return () => {
        target?.removeEventListener("online", listener);
        target?.removeEventListener("offline", listener);
        doc?.removeEventListener("visibilitychange", listener);
      };
    },
  };
}

/**
 * A hand-driven {@link Connectivity} for tests and previews: `set({ online: false })`
 * takes the page offline and notifies subscribers.
 */
export class ManualConnectivity implements Connectivity {
  private online = true;
  private visible = true;
  private readonly listeners = new Set<() => void>();

  isOnline(): boolean {
    return this.online;
  }

  isVisible(): boolean {
    return this.visible;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes the state and notifies every subscriber. */
  set(change: { online?: boolean; visible?: boolean }): void {
    this.online = change.online ?? this.online;
    this.visible = change.visible ?? this.visible;
    for (const listener of [...this.listeners]) listener();
  }
}
