import { parseEventId } from "@chat-replay/protocol";
import type { UIMessageChunk } from "ai";
import { describe, expect, it } from "vitest";
import { type Delivery, FrameGroups } from "./frame-groups";

const encoder = new TextEncoder();
const event = (id: string | null, chunk: UIMessageChunk) =>
  `${id === null ? "" : `id: ${id}\n`}data: ${JSON.stringify(chunk)}\n\n`;
const start: UIMessageChunk = { type: "start", messageId: "s:r" };
const finish: UIMessageChunk = { type: "finish" };
const textStart: UIMessageChunk = { type: "text-start", id: "t" };
const delta = (text: string): UIMessageChunk => ({ type: "text-delta", id: "t", delta: text });

/** Feeds `text` split at the given byte offsets and returns every delivery that is ready. */
function deliveries(text: string, options: { splits?: number[]; skipUntil?: string } = {}): Delivery[] {
  const bytes = encoder.encode(text);
  const groups = new FrameGroups(options.skipUntil ? parseEventId(options.skipUntil) : null);
  let from = 0;
  for (const split of [...(options.splits ?? []), bytes.length]) {
    groups.feed(bytes.slice(from, split));
    from = split;
  }
  const out: Delivery[] = [];
  for (let next = groups.shift(); next; next = groups.shift()) out.push(next);
  return out;
}

describe("FrameGroups (§7: unnumbered frames travel with the numbered frame that follows them)", () => {
  it("holds unnumbered content until the next numbered event, whose id rides on the group's last chunk", () => {
    const snapshot = event(null, textStart) + event(null, delta("all so far")) + event("9-3", delta("!"));
    expect(deliveries(snapshot.slice(0, -1))).toEqual([]);
    expect(deliveries(snapshot)).toEqual([
      { chunk: textStart, id: undefined },
      { chunk: delta("all so far"), id: undefined },
      { chunk: delta("!"), id: "9-3" },
    ]);
  });

  it("an id-only event closes a group too", () => {
    expect(deliveries(`${event(null, textStart)}id: 9-3\n\n`)).toEqual([{ chunk: textStart, id: "9-3" }]);
    expect(deliveries("id: 0-0\n\n")).toEqual([{ chunk: null, id: "0-0" }]);
  });

  it("passes start at once and never holds it", () => {
    expect(deliveries(event(null, start) + event(null, textStart))).toEqual([
      { chunk: start, id: undefined },
    ]);
  });

  it("a terminal chunk releases the held chunks before it", () => {
    expect(deliveries(event(null, textStart) + event(null, delta("a")) + event(null, finish))).toEqual([
      { chunk: textStart, id: undefined },
      { chunk: delta("a"), id: undefined },
      { chunk: finish, id: undefined },
    ]);
  });

  it("an empty id (a cursor reset) closes a group and carries the reset", () => {
    expect(deliveries(event(null, textStart) + event("", delta("a")))).toEqual([
      { chunk: textStart, id: undefined },
      { chunk: delta("a"), id: "" },
    ]);
  });

  it("at every byte cut, a group is delivered whole or not at all", () => {
    const text =
      event(null, start) +
      "id: 0-0\n\n" +
      event(null, textStart) +
      event(null, delta("héllo 😀")) +
      event("9-3", delta("!")) +
      event("10-0:0", delta("?"));
    const bytes = encoder.encode(text);
    const whole = deliveries(text);
    const groupEnds = [1, 2, 5, 6]; // deliveries through start, 0-0, the group (9-3), 10-0:0
    for (let cut = 0; cut <= bytes.length; cut++) {
      const prefix = new FrameGroups();
      prefix.feed(bytes.slice(0, cut));
      let count = 0;
      while (prefix.shift()) count++;
      expect([0, ...groupEnds], `cut at ${cut}`).toContain(count);
      expect(deliveries(text, { splits: [cut] }), `split at ${cut}`).toEqual(whole);
    }
  });

  it("while skipping a full replay, drops whole groups at or before the cursor and the position event", () => {
    const text =
      "id: 0-0\n\n" +
      event(null, textStart) +
      event("5-0:0", delta("a")) +
      event(null, { type: "reasoning-start", id: "r" }) +
      event("6-0:0", { type: "reasoning-delta", id: "r", delta: "b" }) +
      event("6-0:1", delta("c"));
    expect(deliveries(text, { skipUntil: "5-0:0" })).toEqual([
      { chunk: { type: "reasoning-start", id: "r" }, id: undefined },
      { chunk: { type: "reasoning-delta", id: "r", delta: "b" }, id: "6-0:0" },
      { chunk: delta("c"), id: "6-0:1" },
    ]);
  });
});
