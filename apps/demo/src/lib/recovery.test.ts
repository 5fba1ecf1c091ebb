import { describe, expect, it } from "vitest";
import { recoveryOf, shownPhase } from "./recovery";

const base = {
  phase: "streaming",
  attempts: 0,
  lostConnection: false,
  detached: false,
  turnActive: true,
} as const;

describe("recoveryOf", () => {
  it("says nothing while streaming or idle", () => {
    expect(recoveryOf(base)).toBeNull();
    expect(recoveryOf({ ...base, phase: "idle", turnActive: false })).toBeNull();
  });

  it("resumes while reconnecting or offline, with the attempts so far", () => {
    expect(recoveryOf({ ...base, phase: "reconnecting", attempts: 3 })).toEqual({
      kind: "resuming",
      phase: "reconnecting",
      attempts: 3,
    });
    expect(recoveryOf({ ...base, phase: "offline" })).toMatchObject({ kind: "resuming", phase: "offline" });
  });

  it("offers Retry while a lost connection's error stands, and drops it once the answer is complete", () => {
    expect(recoveryOf({ ...base, phase: "gave-up", attempts: 8, lostConnection: true })).toEqual({
      kind: "gave-up",
      attempts: 8,
    });
    // History adoption cleared the error: the turn is over and nothing needs saying.
    expect(recoveryOf({ ...base, phase: "gave-up", lostConnection: false, turnActive: false })).toBeNull();
  });

  it("shows a detach only while the turn it left is still active", () => {
    expect(recoveryOf({ ...base, phase: "idle", detached: true })).toEqual({ kind: "detached" });
    expect(recoveryOf({ ...base, phase: "idle", detached: true, turnActive: false })).toBeNull();
  });
});

describe("shownPhase", () => {
  it("keeps every phase while the turn runs or the lost connection's error stands", () => {
    expect(shownPhase("gave-up", { lostConnection: true, turnActive: true })).toBe("gave-up");
    expect(shownPhase("gave-up", { lostConnection: true, turnActive: false })).toBe("gave-up");
    // Given up before the error reached the chat: still news while the turn runs.
    expect(shownPhase("gave-up", { lostConnection: false, turnActive: true })).toBe("gave-up");
    expect(shownPhase("offline", { lostConnection: false, turnActive: false })).toBe("offline");
  });

  it("shows idle once a give-up is over: the turn ended and the answer was adopted", () => {
    expect(shownPhase("gave-up", { lostConnection: false, turnActive: false })).toBe("idle");
  });
});
