import { describe, expect, it } from "vitest";
import { FrameLog } from "./frame-log";

describe("FrameLog", () => {
  it("numbers frames, keeps the newest up to its capacity, and never reuses a number after clear", () => {
    const log = new FrameLog(2);
    let notified = 0;
    log.subscribe(() => notified++);
    for (const type of ["start", "text-start", "text-delta"])
      log.push({ id: null, type, source: "GET stream" });
    expect(log.getSnapshot().map((frame) => [frame.seq, frame.type])).toEqual([
      [2, "text-start"],
      [3, "text-delta"],
    ]);
    log.clear();
    log.push({ id: "1-0:0", type: "finish", source: "GET stream" });
    expect(log.getSnapshot()).toEqual([{ seq: 4, id: "1-0:0", type: "finish", source: "GET stream" }]);
    expect(notified).toBe(5);
  });
});
