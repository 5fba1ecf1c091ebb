import type { ConnectionState } from "@chat-replay/client";
import { describe, expect, it } from "vitest";
import { RecoveryTracker } from "./recovery-tracker";

function state(phase: ConnectionState["phase"], attempts: number): ConnectionState {
  return { lastEventId: null, reconnects: attempts, phase, bytesReceived: 0, staleCursors: 0 };
}

describe("RecoveryTracker", () => {
  it("counts a re-attach once, however many attempts it took", () => {
    const tracker = new RecoveryTracker();
    for (const next of [
      state("streaming", 0),
      state("reconnecting", 0),
      state("reconnecting", 1),
      state("reconnecting", 2),
      state("reconnecting", 3),
    ]) {
      tracker.observe(next);
    }
    expect(tracker.getSnapshot()).toEqual({ reconnects: 0, attempts: 3 });
    tracker.observe(state("streaming", 3));
    expect(tracker.getSnapshot()).toEqual({ reconnects: 1, attempts: 0 });
  });

  it("counts a Retry after giving up, and an offline wait, as re-attaches", () => {
    const tracker = new RecoveryTracker();
    for (const next of [
      state("streaming", 0),
      state("reconnecting", 0),
      state("reconnecting", 1),
      state("gave-up", 1),
      state("streaming", 1),
      state("offline", 1),
      state("reconnecting", 1),
      state("reconnecting", 2),
      state("streaming", 2),
    ]) {
      tracker.observe(next);
    }
    expect(tracker.getSnapshot()).toEqual({ reconnects: 2, attempts: 0 });
  });

  it("a first attach, a finished turn and a new turn are not reconnects", () => {
    const tracker = new RecoveryTracker();
    for (const next of [state("idle", 0), state("streaming", 0), state("idle", 0), state("streaming", 0)]) {
      tracker.observe(next);
    }
    expect(tracker.getSnapshot().reconnects).toBe(0);
  });

  it("a lost connection that ends without streaming again (the turn ended) is not a reconnect", () => {
    const tracker = new RecoveryTracker();
    for (const next of [
      state("streaming", 0),
      state("reconnecting", 1),
      state("idle", 1),
      state("streaming", 1),
    ]) {
      tracker.observe(next);
    }
    expect(tracker.getSnapshot().reconnects).toBe(0);
  });
});
