import { afterEach, describe, expect, it } from "vitest";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { describeStreamStoreConformance } from "./stream-store-conformance";

describeStreamStoreConformance("MemoryStreamStore", (options) => new MemoryStreamStore(options));

/** The keys a memory store holds state for, placeholders of blocked reads included (white-box). */
function heldKeys(store: MemoryStreamStore): string[] {
  return [...(store as unknown as { readonly buffers: ReadonlyMap<string, unknown> }).buffers.keys()];
}

describe("MemoryStreamStore", () => {
  const stores: MemoryStreamStore[] = [];
  const open = () => {
    const store = new MemoryStreamStore();
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it("§8.2 (memory) a blocked read on a missing key leaves no buffer behind after it times out", async () => {
    const store = open();
    const key = `mem:${crypto.randomUUID()}`;
    const controller = new AbortController();
    const aborted = store.read(key, "0-0", { block: 10_000, signal: controller.signal });
    const timedOut = store.read(key, "0-0", { block: 30 });
    expect(await timedOut).toEqual([]);
    // The other reader still waits on the key, so its placeholder may stay until it leaves.
    controller.abort();
    expect(await aborted).toEqual([]);
    expect(await store.oldestId(key)).toBeNull();
    expect(await store.newestId(key)).toBeNull();
    expect(heldKeys(store)).toEqual([]);
    expect(await store.read(key, "0-0", { block: 20 })).toEqual([]);
    expect(heldKeys(store)).toEqual([]);
  });

  it("§8.2 (memory) close() wakes pending reads with empty results", async () => {
    const store = open();
    const missing = `mem:${crypto.randomUUID()}`;
    const drained = `mem:${crypto.randomUUID()}`;
    const id = await store.append(drained, { type: "text-delta", part: 0, text: "hi" });
    const reads = [store.read(missing, "0-0", { block: 10_000 }), store.read(drained, id, { block: 10_000 })];
    await new Promise((resolve) => setTimeout(resolve, 10));
    await store.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      Promise.all(reads),
      new Promise<"pending">((resolve) => {
        timer = setTimeout(() => resolve("pending"), 2_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).toEqual([[], []]);
    // A read after close does not block either.
    expect(await store.read(missing, "0-0", { block: 10_000 })).toEqual([]);
    expect(heldKeys(store)).toEqual([]);
  });
});
