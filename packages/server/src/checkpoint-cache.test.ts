import { adapt, INITIAL_ADAPTER_STATE } from "@chat-replay/protocol";
import { describe, expect, it } from "vitest";
import { CheckpointCache } from "./checkpoint-cache";

describe("CheckpointCache", () => {
  const state = adapt(INITIAL_ADAPTER_STATE, { id: "5-0", entry: { type: "text-start", part: 0 } }).state;

  it("returns the newest checkpoint strictly before an entry", () => {
    const cache = new CheckpointCache(10);
    cache.record("k", "5-0", state);
    cache.record("k", "999-1", INITIAL_ADAPTER_STATE);
    cache.record("k", "1000-0", state);
    expect(cache.before("k", "5-0")).toBeNull();
    expect(cache.before("k", "5-1")).toEqual({ entryId: "5-0", state });
    expect(cache.before("k", "1000-0")?.entryId).toBe("999-1");
    expect(cache.before("k", "2000-0")?.entryId).toBe("1000-0");
    expect(cache.before("other", "2000-0")).toBeNull();
  });

  it("ignores checkpoints that do not extend the buffer's list", () => {
    const cache = new CheckpointCache(10);
    cache.record("k", "10-0", state);
    cache.record("k", "9-0", INITIAL_ADAPTER_STATE);
    expect(cache.before("k", "10-0")).toBeNull();
  });

  it("forgets the least recently used buffers beyond its capacity", () => {
    const cache = new CheckpointCache(10, 2);
    cache.record("a", "1-0", state);
    cache.record("b", "1-0", state);
    cache.record("a", "2-0", state);
    cache.record("c", "1-0", state);
    expect(cache.before("b", "9-0")).toBeNull();
    expect(cache.before("a", "9-0")?.entryId).toBe("2-0");
  });
});
