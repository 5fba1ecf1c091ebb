import type { StoredEntry } from "@chat-replay/protocol";
import { expect, it } from "vitest";
import { BufferHub } from "../src/buffer-hub";
import { MemoryStreamStore } from "../src/memory-stream-store";

it("a store whose reads come back empty at once (closed, failing fast) cannot starve the timers of the hub's waiters", async () => {
  const store = new MemoryStreamStore();
  let reads = 0;
  const FAST_EMPTY = 10_000;
  // The first 10,000 reads return [] at once, as a closed store or a dead cluster master does;
  // then reads block as usual. Spinning on settled promises would do all of them before any timer.
  const read = store.read.bind(store);
  store.read = async (key, after, options): Promise<StoredEntry[]> => {
    if (++reads <= FAST_EMPTY) return [];
    return read(key, after, options);
  };
  const hub = new BufferHub(store, 50);
  try {
    const result = await hub.waitForEntries("k", "0-0", 50);
    expect(result.kind).toBe("idle"); // its timeout fired
    expect(reads).toBeLessThan(FAST_EMPTY);
  } finally {
    hub.close();
  }
});
