import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adapt, INITIAL_ADAPTER_STATE } from "./adapter";
import { parseEventId } from "./event-id";
import { framesAfter } from "./frames-after";
import { storeEntries } from "./testing/turn-arbitrary";
import type { Frame } from "./ui-message-chunk";

const E = "1718000000000-5";
const numbered = (k: number): Frame => ({ id: `${E}:${k}`, chunk: { type: "text-end", id: `p${k}` } });
const unnumbered: Frame = { id: null, chunk: { type: "reasoning-start", id: `${E}:p0` } };

describe("framesAfter", () => {
  it("sends every frame without a cursor, and every frame of an entry after the cursor's", () => {
    const frames = [numbered(0), unnumbered, numbered(1)];
    expect(framesAfter(E, frames, null)).toBe(frames);
    expect(framesAfter(E, frames, parseEventId("1718000000000-4:7"))).toBe(frames);
  });

  it("sends nothing of an entry before the cursor's", () => {
    expect(framesAfter(E, [numbered(0)], parseEventId("1718000000000-6:0"))).toEqual([]);
    expect(framesAfter(E, [numbered(0)], parseEventId("1718000000001-0"))).toEqual([]);
  });

  it("§8.24 sends nothing of the cursor's entry for a bare E", () => {
    expect(framesAfter(E, [numbered(0), unnumbered, numbered(1)], parseEventId(E))).toEqual([]);
  });

  it("§8.22 sends the cursor's entry's frames numbered after k", () => {
    const frames = [numbered(0), numbered(1), numbered(2)];
    expect(framesAfter(E, frames, parseEventId(`${E}:0`))).toEqual([numbered(1), numbered(2)]);
    expect(framesAfter(E, frames, parseEventId(`${E}:2`))).toEqual([]);
  });

  it("§7 an unnumbered part opening travels with the numbered frame that follows it", () => {
    // A reasoning delta on a part index whose open part is text: `text-end` (k=0), then an
    // unnumbered `reasoning-start`, then the delta (k=1).
    const [text, reasoning] = storeEntries([
      { type: "text-start", part: 0, text: "a" },
      { type: "reasoning-delta", part: 0, text: "b" },
    ]);
    const state = adapt(INITIAL_ADAPTER_STATE, text!).state;
    const frames = adapt(state, reasoning!).frames;
    expect(frames.map((frame) => frame.chunk.type)).toEqual([
      "text-end",
      "reasoning-start",
      "reasoning-delta",
    ]);
    expect(frames[1]!.id).toBeNull();
    expect(framesAfter(reasoning!.id, frames, parseEventId(`${reasoning!.id}:0`))).toEqual(frames.slice(1));
    expect(framesAfter(reasoning!.id, frames, parseEventId(`${reasoning!.id}:1`))).toEqual([]);
  });

  it("keeps an unnumbered frame exactly when it keeps the next numbered one (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 12 }), fc.nat(12), (shape, k) => {
        let index = 0;
        const frames = shape.map((isNumbered) => (isNumbered ? numbered(index++) : unnumbered));
        const kept = framesAfter(E, frames, { entryId: E, frame: k });
        const expected = frames.filter((_frame, position) => {
          const next = frames.slice(position).find((later) => later.id !== null);
          const nextIndex = next ? Number(next.id!.split(":")[1]) : index;
          return nextIndex > k;
        });
        expect(kept).toEqual(expected);
      }),
    );
  });
});
