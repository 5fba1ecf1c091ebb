import type { UIMessage } from "ai";
import { describe, expect, it } from "vitest";
import { pageOfRows } from "./history-page";
import type { HistoryRow } from "./session-store";

const row = (id: string, runId: string | null): HistoryRow => ({
  message: { id, role: "user", parts: [] } as UIMessage,
  runId,
});
const ids = (rows: readonly HistoryRow[]) => rows.map((each) => each.message.id);

describe("pageOfRows (§3 History pages)", () => {
  const rows = [
    row("old", null),
    row("p1", "r1"),
    row("a1", "r1"),
    row("p2", "r2"),
    row("a2", "r2"),
    row("t2", "r2"),
    row("p3", "r3"),
  ];

  it("pages the newest turns first, a run's rows together, an untagged row a turn alone", () => {
    const first = pageOfRows(rows, { limit: 2, before: null, hideRunId: null });
    expect(ids(first.rows)).toEqual(["p2", "a2", "t2", "p3"]);
    const second = pageOfRows(rows, { limit: 2, before: first.before, hideRunId: null });
    expect(ids(second.rows)).toEqual(["old", "p1", "a1"]);
    expect(second.before).toBeNull();
  });

  it("hides the active run's rows and does not count it as a turn", () => {
    const page = pageOfRows(rows, { limit: 1, before: null, hideRunId: "r3" });
    expect(ids(page.rows)).toEqual(["p2", "a2", "t2"]);
    expect(page.before).not.toBeNull();
    const all = pageOfRows([row("p", "r")], { limit: 5, before: null, hideRunId: "r" });
    expect(all).toEqual({ rows: [], before: null });
  });

  it("a limit past the first row returns everything with no older cursor", () => {
    expect(pageOfRows(rows, { limit: 100, before: null, hideRunId: null })).toEqual({ rows, before: null });
    expect(pageOfRows([], { limit: 1, before: null, hideRunId: null })).toEqual({ rows: [], before: null });
  });
});
