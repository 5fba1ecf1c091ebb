import type { UIMessage } from "ai";

/**
 * Chooses between the live message list and a stored-history snapshot (§7 History
 * adoption): the snapshot wins only if it already holds every live message (by id; an
 * observer's synthetic `active-user:` prompt may be replaced). A snapshot that lags behind
 * the live list never replaces it, and an equal one returns `live` itself, so adopting
 * changes nothing visible.
 */
export function adoptHistory(live: UIMessage[], snapshot: UIMessage[]): UIMessage[] {
  const stored = new Set(snapshot.map((message) => message.id));
  const lagging = live.some((message) => !stored.has(message.id) && !message.id.startsWith("active-user:"));
  if (lagging) return live;
  return JSON.stringify(live) === JSON.stringify(snapshot) ? live : snapshot;
}
