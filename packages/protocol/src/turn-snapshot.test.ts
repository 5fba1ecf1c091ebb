import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BufferEntry } from "./buffer-entry";
import { replayFrames } from "./replay-frames";
import { assembleMessage, chunksOf } from "./testing/assemble";
import { storeEntries, turnEntriesArbitrary } from "./testing/turn-arbitrary";
import {
  compactChunks,
  foldSnapshot,
  snapshotFrames,
  snapshotHeadSchema,
  snapshotSegmentSchema,
  type TurnSnapshot,
} from "./turn-snapshot";

const longText: BufferEntry[] = [
  { type: "reasoning-start", part: 0, text: "Let" },
  ...Array.from({ length: 50 }, (): BufferEntry => ({ type: "reasoning-delta", part: 0, text: " me" })),
  { type: "reasoning-end", part: 0 },
  { type: "text-start", part: 1 },
  ...Array.from({ length: 200 }, (_, i): BufferEntry => ({ type: "text-delta", part: 1, text: ` w${i}` })),
];

/** Folds `entries` into snapshots at every cut in `cuts` (sorted), one segment per cut. */
function foldInSegments(stored: ReturnType<typeof storeEntries>, cuts: number[]): TurnSnapshot | null {
  let snapshot: TurnSnapshot | null = null;
  let from = 0;
  for (const cut of cuts) {
    const fold = foldSnapshot(snapshot, stored.slice(from, cut));
    if (fold) snapshot = fold.snapshot;
    from = cut;
  }
  return snapshot;
}

describe("turn snapshots", () => {
  it("§8.54 a snapshot of a long part is a few frames: start, one merged delta, end", () => {
    const stored = storeEntries(longText);
    const snapshot = foldSnapshot(null, stored)!.snapshot;
    expect(snapshot.chunks.map((chunk) => chunk.type)).toEqual([
      "reasoning-start",
      "reasoning-delta",
      "reasoning-end",
      "text-start",
      "text-delta",
    ]);
    expect(snapshot.entryId).toBe(stored.at(-1)!.id);
    expect(snapshot.state.openParts).toHaveLength(1);
    const frames = snapshotFrames(snapshot);
    expect(frames.slice(0, -1).every((frame) => frame.id === null)).toBe(true);
    expect(frames.at(-1)!.id).toBe(snapshot.entryId);
  });

  it("§8.54 snapshot chunks + the tail folded from its state assemble to the whole turn, at every cut and in any number of segments", async () => {
    await fc.assert(
      fc.asyncProperty(
        turnEntriesArbitrary,
        fc.array(fc.nat(), { maxLength: 6 }),
        async (entries, rawCuts) => {
          const stored = storeEntries(entries);
          const whole = await assembleMessage(chunksOf([...replayFrames(stored)]));
          const cuts = [...new Set(rawCuts.map((cut) => 1 + (cut % stored.length)))].sort((a, b) => a - b);
          const snapshot = foldInSegments(stored, cuts);
          const cut = cuts.at(-1) ?? 0;
          const tail = stored.slice(cut);
          const chunks = [
            ...(snapshot ? snapshotFrames(snapshot).map((frame) => frame.chunk) : []),
            ...chunksOf([...replayFrames(tail, snapshot ? { state: snapshot.state } : {})]),
          ];
          expect(await assembleMessage(chunks)).toEqual(whole);
          if (snapshot) {
            // Stored form round-trips through its schemas.
            expect(snapshotHeadSchema.parse(JSON.parse(JSON.stringify(snapshot)))).toBeTruthy();
            expect(snapshotSegmentSchema.parse(JSON.parse(JSON.stringify(snapshot.chunks)))).toHaveLength(
              snapshot.chunks.length,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("§8.54 folding in segments equals folding at once (the stored segments compact to the same chunks)", () => {
    fc.assert(
      fc.property(turnEntriesArbitrary, fc.array(fc.nat(), { maxLength: 6 }), (entries, rawCuts) => {
        const stored = storeEntries(entries);
        const cuts = [...new Set(rawCuts.map((cut) => 1 + (cut % stored.length)))].sort((a, b) => a - b);
        cuts.push(stored.length);
        const inSegments = foldInSegments(stored, cuts)!;
        const atOnce = foldSnapshot(null, stored)!.snapshot;
        expect(inSegments).toEqual(atOnce);
      }),
      { numRuns: 300 },
    );
  });

  it("§8.54 the phase and end of the snapshot entry follow the pause ends folded", () => {
    const stored = storeEntries([
      { type: "text-start", part: 0, text: "a" },
      { type: "end", reason: "pause", phase: 0 },
      { type: "approval-response", items: [{ toolCallId: "c", approved: true }] },
      { type: "end", reason: "pause", phase: 1 },
    ]);
    const atPause = foldSnapshot(null, stored.slice(0, 2))!.snapshot;
    expect(atPause).toMatchObject({ phase: 0, end: { reason: "pause", phase: 0 } });
    const after = foldSnapshot(atPause, stored.slice(2, 3))!.snapshot;
    expect(after).toMatchObject({ phase: 1, end: null });
    expect(foldSnapshot(after, stored.slice(3))!.snapshot).toMatchObject({ phase: 1, end: { phase: 1 } });
    expect(foldSnapshot(after, [])).toBeNull();
  });

  it("compaction never merges across an error chunk", () => {
    const compacted = compactChunks([
      { type: "text-start", id: "a" },
      { type: "text-delta", id: "a", delta: "x" },
      { type: "error", errorText: "e" },
      { type: "text-delta", id: "a", delta: "y" },
    ]);
    expect(compacted).toHaveLength(4);
  });
});
