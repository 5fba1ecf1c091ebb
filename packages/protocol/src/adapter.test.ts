import { describe, expect, it } from "vitest";
import { adapt, INITIAL_ADAPTER_STATE } from "./adapter";
import type { BufferEntry } from "./buffer-entry";
import { replayFrames } from "./replay-frames";
import { assembleMessage, chunksOf } from "./testing/assemble";
import { storeEntries } from "./testing/turn-arbitrary";
import type { Frame } from "./ui-message-chunk";

function framesOf(entries: BufferEntry[]): Frame[] {
  return [...replayFrames(storeEntries(entries))];
}

describe("adapt", () => {
  it("§8.9 text start with text at E gives text-start E:0 and text-delta E:1; the next entry restarts at 0", () => {
    const frames = framesOf([
      { type: "text-start", part: 0, text: "Hello" },
      { type: "text-delta", part: 0, text: " world" },
    ]);
    expect(frames).toEqual([
      { id: "1718000000000-0:0", chunk: { type: "text-start", id: "1718000000000-0:0" } },
      { id: "1718000000000-0:1", chunk: { type: "text-delta", id: "1718000000000-0:0", delta: "Hello" } },
      { id: "1718000000000-1:0", chunk: { type: "text-delta", id: "1718000000000-0:0", delta: " world" } },
    ]);
  });

  it("§8.10 entries that produce nothing consume no ids", () => {
    const frames = framesOf([
      { type: "lifecycle", name: "step-start" },
      { type: "text-start", part: 0 },
      { type: "message", role: "assistant", content: "x" },
      { type: "text-delta", part: 0, text: "a" },
    ]);
    expect(frames.map((frame) => frame.id)).toEqual(["1718000000000-1:0", "1718000000001-0:0"]);
  });

  it("§8.11 an end marker closes open text, reasoning and tool input with the end entry's ids, in opening order", () => {
    const entries: BufferEntry[] = [
      { type: "reasoning-start", part: 0, text: "think" },
      { type: "text-start", part: 1, text: "say" },
      { type: "tool-input-start", part: 2, toolCallId: "c1", toolName: "search" },
      { type: "tool-input-delta", part: 2, toolCallId: "c1", delta: '{"q"' },
      { type: "end", reason: "final", phase: 0 },
    ];
    const stored = storeEntries(entries);
    const endId = stored[4]!.id;
    const frames = [...replayFrames(stored)].filter((frame) => frame.id?.startsWith(`${endId}:`));
    expect(frames).toEqual([
      { id: `${endId}:0`, chunk: { type: "reasoning-end", id: `${stored[0]!.id}:0` } },
      { id: `${endId}:1`, chunk: { type: "text-end", id: `${stored[1]!.id}:0` } },
      {
        id: `${endId}:2`,
        chunk: { type: "tool-input-available", toolCallId: "c1", toolName: "search", input: {} },
      },
    ]);
  });

  it("§8.11 closing frames never reuse the previous entry's id", () => {
    const stored = storeEntries([
      { type: "text-start", part: 0, text: "x" },
      { type: "end", reason: "final", phase: 0 },
    ]);
    const last = [...replayFrames(stored)].at(-1)!;
    expect(last.id).toBe(`${stored[1]!.id}:0`);
  });

  it("§8.13 empty deltas produce no frame; a text start on an open part index ends the old part first", () => {
    const stored = storeEntries([
      { type: "text-start", part: 0 },
      { type: "text-delta", part: 0, text: "" },
      { type: "reasoning-delta", part: 0, text: "" },
      { type: "text-start", part: 0, text: "again" },
    ]);
    const frames = [...replayFrames(stored)];
    expect(chunksOf(frames)).toEqual([
      { type: "text-start", id: `${stored[0]!.id}:0` },
      { type: "text-end", id: `${stored[0]!.id}:0` },
      { type: "text-start", id: `${stored[3]!.id}:1` },
      { type: "text-delta", id: `${stored[3]!.id}:1`, delta: "again" },
    ]);
  });

  it("§8.14 a tool result for an unknown call without a tool name gives nothing; with a name, input {} then output", () => {
    expect(framesOf([{ type: "tool-output", toolCallId: "ghost", output: 1 }])).toEqual([]);
    expect(
      chunksOf(framesOf([{ type: "tool-output", toolCallId: "c9", toolName: "lookup", output: 1 }])),
    ).toEqual([
      { type: "tool-input-available", toolCallId: "c9", toolName: "lookup", input: {} },
      { type: "tool-output-available", toolCallId: "c9", output: 1 },
    ]);
  });

  it("§8.15 an approval request while the tool input still streams gives tool-input-available then tool-approval-request", () => {
    const chunks = chunksOf(
      framesOf([
        { type: "tool-input-start", part: 0, toolCallId: "c1", toolName: "deploy" },
        { type: "tool-input-delta", part: 0, toolCallId: "c1", delta: '{"env":' },
        {
          type: "approval-request",
          items: [{ toolCallId: "c1", toolName: "deploy", input: { env: "prod" } }],
        },
        { type: "end", reason: "pause", phase: 0 },
      ]),
    );
    expect(chunks.slice(2)).toEqual([
      { type: "tool-input-available", toolCallId: "c1", toolName: "deploy", input: { env: "prod" } },
      { type: "tool-approval-request", approvalId: "c1", toolCallId: "c1" },
    ]);
  });

  it("uses the cached approval input when a result arrives for a call whose input was never emitted", () => {
    const chunks = chunksOf(
      framesOf([
        {
          type: "message",
          role: "assistant",
          content: [],
          approvalRequest: [{ toolCallId: "c2", toolName: "rm", input: { path: "/tmp" } }],
        },
        { type: "tool-output", toolCallId: "c2", denied: true },
      ]),
    );
    expect(chunks).toEqual([
      { type: "tool-input-available", toolCallId: "c2", toolName: "rm", input: { path: "/tmp" } },
      { type: "tool-approval-request", approvalId: "c2", toolCallId: "c2" },
      { type: "tool-output-denied", toolCallId: "c2" },
    ]);
  });

  it("derives a tool call id from the entry id when the runner gave none", () => {
    const stored = storeEntries([
      { type: "tool-input-start", part: 3, toolName: "search" },
      { type: "tool-input-delta", part: 3, delta: "{}" },
      { type: "tool-input-available", part: 3, input: {} },
    ]);
    const callId = `call:${stored[0]!.id}`;
    expect(chunksOf([...replayFrames(stored)])).toEqual([
      { type: "tool-input-start", toolCallId: callId, toolName: "search" },
      { type: "tool-input-delta", toolCallId: callId, inputTextDelta: "{}" },
      { type: "tool-input-available", toolCallId: callId, toolName: "search", input: {} },
    ]);
  });

  it("§8.16 data chunks carry their own event id, so a replayed data chunk upserts into one part", async () => {
    const frames = framesOf([{ type: "artifact", data: { name: "report.md" } }]);
    expect(frames[0]).toEqual({
      id: "1718000000000-0:0",
      chunk: { type: "data-artifact", id: "1718000000000-0:0", data: { name: "report.md" } },
    });
    const message = await assembleMessage([...chunksOf(frames), ...chunksOf(frames)]);
    expect(message?.parts.filter((part) => part.type === "data-artifact")).toHaveLength(1);
  });

  it("§8.17 an error marker gives a text part with the failure and an error chunk, all with ids", () => {
    const stored = storeEntries([{ type: "error", message: "Model overloaded" }]);
    const frames = [...replayFrames(stored)];
    const id = stored[0]!.id;
    expect(frames).toEqual([
      { id: `${id}:0`, chunk: { type: "text-start", id: `${id}:0` } },
      { id: `${id}:1`, chunk: { type: "text-delta", id: `${id}:0`, delta: "Model overloaded" } },
      { id: `${id}:2`, chunk: { type: "text-end", id: `${id}:0` } },
      { id: `${id}:3`, chunk: { type: "error", errorText: "Model overloaded" } },
    ]);
  });

  it("§8.18 the adapter never emits start, finish or frames without ids for complete buffers", () => {
    const frames = framesOf([
      { type: "text-start", part: 0, text: "a" },
      { type: "end", reason: "final", phase: 0 },
    ]);
    expect(frames.every((frame) => frame.id !== null)).toBe(true);
    expect(frames.some((frame) => frame.chunk.type === "start" || frame.chunk.type === "finish")).toBe(false);
  });

  it("opens a part whose start was trimmed on its first delta, without consuming an id (§6)", () => {
    const stored = storeEntries([{ type: "text-delta", part: 4, text: "tail" }]);
    const id = stored[0]!.id;
    expect([...replayFrames(stored)]).toEqual([
      { id: null, chunk: { type: "text-start", id: `${id}:p4` } },
      { id: `${id}:0`, chunk: { type: "text-delta", id: `${id}:p4`, delta: "tail" } },
    ]);
  });

  it("interrupt, compaction and runner errors map to data-interrupt, data-compaction and error", () => {
    expect(
      chunksOf(
        framesOf([
          { type: "interrupt", reason: "user_cancel" },
          { type: "compaction", data: { saved: 10 } },
          { type: "runner-error", errorText: "tool crashed" },
        ]),
      ),
    ).toEqual([
      { type: "data-interrupt", id: "1718000000000-0:0", data: { reason: "user_cancel" } },
      { type: "data-compaction", id: "1718000000000-1:0", data: { saved: 10 } },
      { type: "error", errorText: "tool crashed" },
    ]);
  });

  it("is pure: folding never mutates the input state", () => {
    const before = adapt(INITIAL_ADAPTER_STATE, { id: "1-0", entry: { type: "text-start", part: 0 } });
    const snapshot = JSON.stringify(before.state);
    adapt(before.state, { id: "1-1", entry: { type: "end", reason: "final", phase: 0 } });
    expect(JSON.stringify(before.state)).toBe(snapshot);
    expect(INITIAL_ADAPTER_STATE.openParts).toHaveLength(0);
  });

  it("an approval response gives tool-approval-response per decision, so observers see it too", () => {
    expect(
      chunksOf(
        framesOf([
          { type: "approval-request", items: [{ toolCallId: "c1", toolName: "deploy", input: {} }] },
          { type: "end", reason: "pause", phase: 0 },
          { type: "approval-response", items: [{ toolCallId: "c1", approved: false, reason: "no" }] },
        ]),
      ).slice(2),
    ).toEqual([{ type: "tool-approval-response", approvalId: "c1", approved: false, reason: "no" }]);
  });
});
