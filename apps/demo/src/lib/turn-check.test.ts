import { describe, expect, it } from "vitest";
import { currentTurnCheck, type TurnCheck, turnVerdict } from "./turn-check";

const finished: TurnCheck = { messageId: "a1", received: 220, stored: 220 };

describe("currentTurnCheck", () => {
  it("shows this tab's finished turn while it is the last answer and nothing runs", () => {
    expect(currentTurnCheck(finished, "a1", true)).toBe(finished);
  });

  it("hides the previous turn's check while a new turn runs, and once another answer is last", () => {
    // The next turn is running: live words count, not the last verdict.
    expect(currentTurnCheck(finished, "a1", false)).toBeNull();
    expect(currentTurnCheck(finished, "a2", false)).toBeNull();
    // That turn ended without a check of its own here (detached, or streamed in another tab).
    expect(currentTurnCheck(finished, "a2", true)).toBeNull();
    expect(currentTurnCheck(null, "a1", true)).toBeNull();
  });
});

describe("turnVerdict", () => {
  it("is pending until the stored words are known, then match or differ", () => {
    expect(turnVerdict(null)).toBe("pending");
    expect(turnVerdict({ ...finished, stored: null })).toBe("pending");
    expect(turnVerdict(finished)).toBe("match");
    expect(turnVerdict({ ...finished, received: 219 })).toBe("differ");
  });
});
