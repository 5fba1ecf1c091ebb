import { describe, expect, it } from "vitest";
import {
  encodeSseChunk,
  encodeSseEvent,
  encodeSseFrame,
  SSE_DONE,
  SSE_FINISH,
  SSE_KEEPALIVE,
} from "./sse-encoder";

describe("the SSE encoder", () => {
  it("§5 writes a numbered frame as an id line and one data line", () => {
    const frame = { id: "1718000000000-3:1", chunk: { type: "text-delta", id: "p", delta: "a\nb" } } as const;
    expect(encodeSseFrame(frame)).toBe(
      'id: 1718000000000-3:1\ndata: {"type":"text-delta","id":"p","delta":"a\\nb"}\n\n',
    );
  });

  it("§5 writes start, finish and unnumbered frames without an id line", () => {
    expect(encodeSseChunk({ type: "start", messageId: "s:r" })).toBe(
      'data: {"type":"start","messageId":"s:r"}\n\n',
    );
    expect(encodeSseFrame({ id: null, chunk: { type: "text-start", id: "p" } })).toBe(
      'data: {"type":"text-start","id":"p"}\n\n',
    );
  });

  it("§5 ends a stream with finish then [DONE]; a keepalive is a comment", () => {
    expect(SSE_DONE).toBe("data: [DONE]\n\n");
    expect(SSE_FINISH).toBe(`${encodeSseChunk({ type: "finish" })}${SSE_DONE}`);
    expect(SSE_KEEPALIVE).toBe(": keepalive\n\n");
  });

  it("§5 writes the position event as an id-only event", () => {
    expect(encodeSseEvent({ id: "0-0" })).toBe("id: 0-0\n\n");
  });

  it("splits multi-line data into data lines and refuses an id with a line break", () => {
    expect(encodeSseEvent({ id: "1", data: "a\nb\r\nc" })).toBe("id: 1\ndata: a\ndata: b\ndata: c\n\n");
    expect(() => encodeSseEvent({ id: "1\n" })).toThrow(TypeError);
  });
});
