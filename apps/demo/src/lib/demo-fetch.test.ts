import { describe, expect, it, vi } from "vitest";
import { chunkType, createDemoFetch } from "./demo-fetch";
import type { FrameRecord } from "./frame-log";

const encoder = new TextEncoder();

/** A fetch whose SSE body sends `first` at once and then stays open until cancelled. */
function openSseFetch(first: string): { fetch: typeof fetch; cancelled: () => boolean } {
  let cancelled = false;
  const fetchImpl: typeof fetch = async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start: (controller) => controller.enqueue(encoder.encode(first)),
        cancel: () => {
          cancelled = true;
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  return { fetch: fetchImpl, cancelled: () => cancelled };
}

describe("createDemoFetch", () => {
  it("reports each SSE frame with its id, chunk type and request", async () => {
    const frames: Omit<FrameRecord, "seq">[] = [];
    const source = openSseFetch(
      'data: {"type":"start"}\n\nid: 1-0:0\ndata: {"type":"text-delta"}\n\nid: 1-0:1\nda',
    );
    const demo = createDemoFetch({ fetch: source.fetch, onFrame: (frame) => frames.push(frame) });
    const response = await demo.fetch("/api/sessions/s/stream");
    await response.body!.getReader().read();
    expect(frames).toEqual([
      { id: null, type: "start", source: "GET stream" },
      { id: "1-0:0", type: "text-delta", source: "GET stream" },
    ]);
  });

  it("drops an open stream: the reader fails with a network TypeError and the connection closes", async () => {
    const source = openSseFetch("id: 1-0:0\ndata: {}\n\n");
    const demo = createDemoFetch({ fetch: source.fetch });
    const response = await demo.fetch("/api/sessions/s/messages", { method: "POST" });
    const reader = response.body!.getReader();
    await reader.read();
    expect(demo.getOpenStreams()).toBe(1);
    const pending = reader.read();
    expect(demo.dropConnection()).toBe(1);
    await expect(pending).rejects.toBeInstanceOf(TypeError);
    expect(source.cancelled()).toBe(true);
    expect(demo.getOpenStreams()).toBe(0);
  });

  it("plays offline: cuts streams, fails requests, reports offline until goOnline", async () => {
    const source = openSseFetch("id: 1-0:0\ndata: {}\n\n");
    const demo = createDemoFetch({ fetch: source.fetch });
    const changes: boolean[] = [];
    demo.connectivity.subscribe(() => changes.push(demo.connectivity.isOnline()));
    const reader = (await demo.fetch("/api/sessions/s/stream")).body!.getReader();
    await reader.read();
    demo.goOffline(60_000);
    await expect(reader.read()).rejects.toBeInstanceOf(TypeError);
    await expect(demo.fetch("/api/sessions/s/status")).rejects.toBeInstanceOf(TypeError);
    expect(demo.isOffline()).toBe(true);
    demo.goOnline();
    expect(demo.isOffline()).toBe(false);
    expect(changes).toEqual([false, true]);
    expect((await demo.fetch("/api/sessions/s/stream")).ok).toBe(true);
  });

  it("comes back online by itself when the offline play's time is up ('Go offline for 20 s')", () => {
    vi.useFakeTimers();
    try {
      const demo = createDemoFetch({ fetch: openSseFetch("").fetch });
      const changes: boolean[] = [];
      demo.connectivity.subscribe(() => changes.push(demo.connectivity.isOnline()));
      demo.goOffline(20_000);
      vi.advanceTimersByTime(19_999);
      expect(demo.isOffline()).toBe(true);
      vi.advanceTimersByTime(1);
      expect(demo.isOffline()).toBe(false);
      expect(changes).toEqual([false, true]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("passes non-SSE responses through untouched", async () => {
    const json = Response.json({ ok: true });
    const demo = createDemoFetch({ fetch: async () => json });
    expect(await demo.fetch("/api/sessions/s/status")).toBe(json);
    expect(demo.dropConnection()).toBe(0);
  });
});

describe("chunkType", () => {
  it("reads the chunk type, [DONE], or ? for anything else", () => {
    expect(chunkType('{"type":"finish"}')).toBe("finish");
    expect(chunkType("[DONE]")).toBe("[DONE]");
    expect(chunkType("not json")).toBe("?");
    expect(chunkType('{"no":"type"}')).toBe("?");
  });
});
