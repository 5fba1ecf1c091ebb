import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BufferEntry } from "./buffer-entry";
import { parseEventId } from "./event-id";
import { replayFrames } from "./replay-frames";
import { assembleMessage, chunksOf } from "./testing/assemble";
import { storeEntries, turnEntriesArbitrary } from "./testing/turn-arbitrary";

const mixedTurn: BufferEntry[] = [
  { type: "reasoning-start", part: 0, text: "Let me" },
  { type: "reasoning-delta", part: 0, text: " think." },
  { type: "reasoning-end", part: 0 },
  { type: "text-start", part: 1, text: "Searching" },
  { type: "text-delta", part: 1, text: " now." },
  { type: "tool-input-start", part: 2, toolCallId: "c1", toolName: "search" },
  { type: "tool-input-delta", part: 2, toolCallId: "c1", delta: '{"query":' },
  { type: "tool-input-delta", part: 2, toolCallId: "c1", delta: '"replay"}' },
  { type: "tool-input-available", part: 2, toolCallId: "c1", input: { query: "replay" } },
  { type: "tool-output", toolCallId: "c1", output: { hits: 2 } },
  { type: "text-start", part: 3, text: "Found" },
  { type: "text-delta", part: 3, text: " two." },
  { type: "end", reason: "final", phase: 0 },
];

describe("replayFrames", () => {
  it("§8.22 resuming at every frame of a turn with reasoning, text and a tool call reproduces the uninterrupted stream", async () => {
    const stored = storeEntries(mixedTurn);
    const full = [...replayFrames(stored)];
    const uninterrupted = await assembleMessage(chunksOf(full));
    full.forEach((frame, position) => {
      const cursor = parseEventId(frame.id)!;
      const resumed = [...replayFrames(stored, { cursor })];
      expect(resumed.every((later) => !full.slice(0, position + 1).includes(later))).toBe(true);
      expect([...full.slice(0, position + 1), ...resumed]).toEqual(full);
    });
    expect(uninterrupted?.parts.map((part) => part.type)).toEqual([
      "reasoning",
      "text",
      "tool-search",
      "text",
    ]);
  });

  it("§8.23 a cursor inside an open text, reasoning or tool-input part continues the same part id with no extra start", () => {
    const stored = storeEntries(mixedTurn);
    for (const index of [0, 3, 6]) {
      const cursor = { entryId: stored[index]!.id, frame: 0 };
      const resumed = chunksOf([...replayFrames(stored, { cursor })]);
      const starts = resumed.filter((chunk) => chunk.type.endsWith("-start"));
      const firstDelta = resumed.find((chunk) => chunk.type.endsWith("-delta"));
      expect(firstDelta).toBeDefined();
      if (index === 6) expect(firstDelta).toMatchObject({ toolCallId: "c1" });
      else expect(firstDelta).toMatchObject({ id: `${stored[index]!.id}:0` });
      expect(starts.every((chunk) => !("id" in chunk) || chunk.id !== `${stored[index]!.id}:0`)).toBe(true);
    }
  });

  it("§8.24 a plain entry cursor E suppresses every frame of E", () => {
    const stored = storeEntries(mixedTurn);
    const resumed = [...replayFrames(stored, { cursor: parseEventId(stored[3]!.id) })];
    expect(resumed[0]?.id).toBe(`${stored[4]!.id}:0`);
  });

  it("returns the final adapter state so callers can checkpoint", () => {
    const generator = replayFrames(storeEntries(mixedTurn.slice(0, 4)));
    let step = generator.next();
    while (!step.done) step = generator.next();
    expect(step.value.openParts).toHaveLength(1);
  });

  it("§8.12 two folds of one buffer are byte-identical", () => {
    const stored = storeEntries(mixedTurn);
    expect(JSON.stringify([...replayFrames(stored)])).toBe(JSON.stringify([...replayFrames(stored)]));
  });

  it("prefix up to any cut + replay after the cut equals the uninterrupted frames, and the SDK accepts every chunk (property)", async () => {
    await fc.assert(
      fc.asyncProperty(turnEntriesArbitrary, fc.nat(), async (entries, cutSeed) => {
        const stored = storeEntries(entries);
        const full = [...replayFrames(stored)];
        const numbered = full.filter((frame) => frame.id !== null);
        if (numbered.length === 0) return;
        const cut = numbered[cutSeed % numbered.length]!;
        const cutPosition = full.indexOf(cut);
        const resumed = [...replayFrames(stored, { cursor: parseEventId(cut.id) })];
        expect([...full.slice(0, cutPosition + 1), ...resumed]).toEqual(full);
        const ids = full.flatMap((frame) => (frame.id ? [frame.id] : []));
        expect(new Set(ids).size).toBe(ids.length);
        await assembleMessage(chunksOf(full));
      }),
      { numRuns: 300 },
    );
  });
});
