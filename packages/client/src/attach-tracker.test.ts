import { describe, expect, it } from "vitest";
import { AttachTracker } from "./attach-tracker";
import type { SessionStatusView } from "./session-status-client";

const status = (
  turnStatus: SessionStatusView["turnStatus"],
  currRunId: string | null,
  version = 1,
): SessionStatusView => ({
  turnStatus,
  currRunId,
  prompt: currRunId ? "Hi" : null,
  promptMessageId: currRunId ? "m" : null,
  version,
});

describe("AttachTracker (§7 Attach)", () => {
  it("attaches once to a running turn while the chat is idle", () => {
    const tracker = new AttachTracker();
    expect(tracker.decide(status("running", "r1"), false)).toEqual({ upsertPrompt: true, attach: true });
    expect(tracker.decide(status("running", "r1"), false).attach).toBe(false);
  });

  it("waits while the chat has a request in flight", () => {
    const tracker = new AttachTracker();
    expect(tracker.decide(status("running", "r1"), true).attach).toBe(false);
    expect(tracker.decide(status("running", "r1"), false).attach).toBe(true);
  });

  it("§8.46 never re-attaches to a run this tab finished, even while status still says running", () => {
    const tracker = new AttachTracker();
    tracker.finished("r1");
    expect(tracker.decide(status("running", "r1"), false)).toEqual({ upsertPrompt: false, attach: false });
  });

  it("retries after a failed attach", () => {
    const tracker = new AttachTracker();
    tracker.decide(status("running", "r1"), false);
    tracker.failed();
    expect(tracker.decide(status("running", "r1"), false).attach).toBe(true);
  });

  it("§8.47 attaches exactly once to each of back-to-back turns", () => {
    const tracker = new AttachTracker();
    const attaches = [
      tracker.decide(status("running", "r1"), false),
      tracker.decide(status("running", "r1"), false),
      tracker.decide(status("running", "r2"), false),
      tracker.decide(status("running", "r2"), false),
      tracker.decide(status("idle", null), false),
      tracker.decide(status("running", "r3"), false),
    ].map((decision) => decision.attach);
    expect(attaches).toEqual([true, false, true, false, false, true]);
  });

  it("attaches again when someone else continues a paused turn (waiting → running)", () => {
    const tracker = new AttachTracker();
    expect(tracker.decide(status("waiting_for_approval", "r1"), false).attach).toBe(true);
    tracker.finished("r1");
    expect(tracker.decide(status("waiting_for_approval", "r1"), false).attach).toBe(false);
    expect(tracker.decide(status("running", "r1"), false).attach).toBe(true);
  });
});
