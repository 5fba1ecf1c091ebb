import type { UIMessage } from "ai";

/**
 * Chooses between the live message list and a stored-history snapshot (§7 History
 * adoption): the snapshot wins only if it already holds every live message (by id; an
 * observer's synthetic `active-user:` prompt may be replaced). A snapshot that lags behind
 * the live list never replaces it, and an equal one returns `live` itself, so adopting
 * changes nothing visible.
 */
export function adoptHistory(live: UIMessage[], snapshot: UIMessage[]): UIMessage[] {
  if (!historyCovers(live, snapshot)) return live;
  return JSON.stringify(live) === JSON.stringify(snapshot) ? live : snapshot;
}

/**
 * Whether a stored-history snapshot holds every live message (by id; an observer's
 * synthetic `active-user:` prompt excepted): the live content is complete in it.
 */
export function historyCovers(live: UIMessage[], snapshot: UIMessage[]): boolean {
  const stored = new Set(snapshot.map((message) => message.id));
  return live.every((message) => stored.has(message.id) || message.id.startsWith("active-user:"));
}
