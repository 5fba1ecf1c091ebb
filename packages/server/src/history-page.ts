import type { HistoryPage, HistoryPageQuery, HistoryRow, SessionStore } from "./session-store";

/**
 * The newest `limit` turns of `rows` before the cursor, hiding the active run (§3 History
 * pages). A turn is the rows of one run id (they are contiguous: one turn runs at a time);
 * an untagged row is a turn alone. The cursor is the position of a page's first row.
 */
export function pageOfRows(rows: readonly HistoryRow[], query: HistoryPageQuery): HistoryPage {
  const end = query.before === null ? rows.length : Math.min(rows.length, Number(query.before));
  let start = end;
  let turns = 0;
  let currentTurn: string | null = null;
  for (let index = end - 1; index >= 0; index -= 1) {
    const row = rows[index]!;
    if (query.hideRunId !== null && row.runId === query.hideRunId) continue;
    const turn = row.runId ?? `row:${index}`;
    if (turn !== currentTurn) {
      if (turns === query.limit) break;
      turns += 1;
      currentTurn = turn;
    }
    start = index;
  }
  const page = rows
    .slice(start, end)
    .filter((row) => query.hideRunId === null || row.runId !== query.hideRunId);
  const older = rows.slice(0, start).some((row) => query.hideRunId === null || row.runId !== query.hideRunId);
  return { rows: page, before: older ? String(start) : null };
}

/** A page from the store's own `getHistoryPage`, else from all of `getHistory`. */
export async function pageHistory(
  store: SessionStore,
  sessionId: string,
  query: HistoryPageQuery,
): Promise<HistoryPage> {
  if (store.getHistoryPage) return store.getHistoryPage(sessionId, query);
  return pageOfRows(await store.getHistory(sessionId), query);
}
