import { describe, expect, it } from "vitest";
import { describeEventId } from "./event-position";

describe("describeEventId", () => {
  it("reads a timestamp entry id as a time, with sequence and frame", () => {
    expect(describeEventId("1796090398526-3:2")).toMatch(/^entry \d\d:\d\d:\d\d\.526 #3, frame 2$/);
  });

  it("has nothing to say about no cursor or garbage", () => {
    expect(describeEventId(null)).toBeNull();
    expect(describeEventId("not a cursor")).toBeNull();
  });
});
