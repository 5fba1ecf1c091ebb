import { describe, expect, it } from "vitest";
import { type QueuedItem, SseFrameQueue } from "./sse-frame-queue";

const encoder = new TextEncoder();

/** Feeds `text` split at every given byte offset and returns the dispatched items. */
function parse(input: string | Uint8Array, splits: number[] = []): QueuedItem[] {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  const queue = new SseFrameQueue();
  let start = 0;
  for (const split of [...splits, bytes.length]) {
    queue.feed(bytes.slice(start, split));
    start = split;
  }
  const items: QueuedItem[] = [];
  for (let item = queue.shift(); item; item = queue.shift()) items.push(item);
  return items;
}

describe("SseFrameQueue (§7 cursor framing, §8.50)", () => {
  it.each([
    ["LF", "id: 1-0:0\ndata: a\n\n"],
    ["CR", "id: 1-0:0\rdata: a\r\r"],
    ["CRLF", "id: 1-0:0\r\ndata: a\r\n\r\n"],
    ["no space after colon", "id:1-0:0\ndata:a\n\n"],
  ])("ends lines on %s", (_name, text) => {
    expect(parse(text)).toEqual([{ kind: "event", data: "a", id: "1-0:0" }]);
  });

  it("strips exactly one space after the colon", () => {
    expect(parse("data:  two\n\n")).toEqual([{ kind: "event", data: " two", id: undefined }]);
  });

  it("skips a leading BOM", () => {
    expect(parse("\uFEFFid: 1-0:0\ndata: a\n\n")).toEqual([{ kind: "event", data: "a", id: "1-0:0" }]);
  });

  it("ignores an id containing NUL", () => {
    expect(parse("id: 1-0\u0000:0\ndata: a\n\n")).toEqual([{ kind: "event", data: "a", id: undefined }]);
  });

  it("reports an empty id (a cursor reset) and id-only events", () => {
    expect(parse("id\ndata: a\n\nid: 5-0:0\n\n")).toEqual([
      { kind: "event", data: "a", id: "" },
      { kind: "id", id: "5-0:0" },
    ]);
  });

  it("never dispatches a half-received event", () => {
    expect(parse("id: 1-0:0\ndata: a\n\nid: 1-0:1\ndata: b\n")).toEqual([
      { kind: "event", data: "a", id: "1-0:0" },
    ]);
  });

  it("ignores comments (keepalives)", () => {
    expect(parse(": keepalive\n\ndata: a\n\n")).toEqual([{ kind: "event", data: "a", id: undefined }]);
  });

  it("reassembles bytes split anywhere, even inside a UTF-8 sequence", () => {
    const text = 'id: 7-1:2\ndata: {"delta":"héllo 😀 wörld"}\n\n';
    const bytes = encoder.encode(text);
    const expected = parse(text);
    for (let split = 1; split < bytes.length; split++) {
      expect(parse(bytes, [split])).toEqual(expected);
    }
    expect(parse(bytes, [...Array(bytes.length).keys()].slice(1))).toEqual(expected);
  });
});
