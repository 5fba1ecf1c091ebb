import { INITIAL_ADAPTER_STATE, type StoredEntry } from "@chat-replay/protocol";
import { describe, expect, it, vi } from "vitest";
import { EncodedEntryCache } from "../src/frame-stream/encoded-entry-cache";
import { FrameFolder } from "../src/frame-stream/frame-folder";

const entries: StoredEntry[] = [
  { id: "10-0", entry: { type: "text-start", part: 0 } },
  { id: "10-1", entry: { type: "text-delta", part: 0, text: "Hello" } },
  { id: "11-0", entry: { type: "text-delta", part: 0, text: " world" } },
  { id: "12-0", entry: { type: "text-end", part: 0 } },
];

describe("encode once, write many (§4 fan-out)", () => {
  it("a second reader of the same entries takes every entry's bytes from the cache and folds none itself", () => {
    const cache = new EncodedEntryCache();
    const first = new FrameFolder(INITIAL_ADAPTER_STATE, 0, null, { entries: cache, key: "k" });
    const firstText = first.fold(entries).text;
    expect(cache.size).toBe(entries.length);
    const set = vi.spyOn(cache, "set");
    const get = vi.spyOn(cache, "get");
    // A reader that arrived later, folding from its own (equal, not identical) initial state.
    const second = new FrameFolder(structuredClone(INITIAL_ADAPTER_STATE), 0, null, {
      entries: cache,
      key: "k",
    });
    expect(second.fold(entries.slice(0, 2)).text + second.fold(entries.slice(2)).text).toBe(firstText);
    expect(get.mock.results.map((result) => result.value !== null)).toEqual([true, true, true, true]);
    expect(set).not.toHaveBeenCalled();
    // Without a cache the bytes are the same.
    expect(new FrameFolder(INITIAL_ADAPTER_STATE, 0, null).fold(entries).text).toBe(firstText);
  });

  it("a reader whose state differs never takes another reader's fold; a resume still suppresses up to its cursor", () => {
    const cache = new EncodedEntryCache();
    new FrameFolder(INITIAL_ADAPTER_STATE, 0, null, { entries: cache, key: "k" }).fold(entries);
    const other = { ...INITIAL_ADAPTER_STATE, openParts: [] as never[], toolCalls: { x: {} } } as never;
    expect(cache.get("k", "10-1", other)).toBeNull();
    expect(cache.get("other-buffer", "10-1", INITIAL_ADAPTER_STATE)).toBeNull();
    const resumed = new FrameFolder(
      INITIAL_ADAPTER_STATE,
      0,
      { entryId: "10-1", frame: 0 },
      { entries: cache, key: "k" },
    );
    const text = resumed.fold(entries).text;
    expect(text).not.toContain("Hello");
    expect(text).toContain(" world");
  });

  it("stays bounded: the oldest entries go first", () => {
    const cache = new EncodedEntryCache(100);
    for (let index = 0; index < 1_000; index++) {
      cache.set("k", `${index}-0`, {
        before: INITIAL_ADAPTER_STATE,
        after: INITIAL_ADAPTER_STATE,
        frames: [],
        text: "",
      });
    }
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(cache.get("k", "999-0", INITIAL_ADAPTER_STATE)).not.toBeNull();
    expect(cache.get("k", "0-0", INITIAL_ADAPTER_STATE)).toBeNull();
  });
});
