import { describe, expect, it } from "vitest";
import { recoveryOf } from "./recovery";

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
