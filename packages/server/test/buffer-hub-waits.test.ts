// The hub's waits are per entry for every live reader, so they cost no timer and no event
// listener each: one deadline timer per buffer's tail, one abort listener per reader signal.
import { getEventListeners } from "node:events";
import { afterEach, expect, it, vi } from "vitest";
import { BufferHub, type WaitResult } from "../src/buffer-hub";
import { MemoryStreamStore } from "../src/memory-stream-store";

const hubs: BufferHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

function newHub(): { hub: BufferHub; store: MemoryStreamStore } {
  const store = new MemoryStreamStore();
  const hub = new BufferHub(store, 1_000);
  hubs.push(hub);
  return { hub, store };
}

it("waits on one buffer with different timeouts each end idle at their own deadline, the shortest first", async () => {
  const { hub } = newHub();
  const order: number[] = [];
  const started = performance.now();
  const ended = new Map<number, number>();
  // Registered longest first: the tail's one timer must move earlier for each shorter one.
  const waits = [300, 200, 40].map((timeout) =>
    hub.waitForEntries("k", "0-0", timeout).then((result) => {
      expect(result.kind).toBe("idle");
      order.push(timeout);
      ended.set(timeout, performance.now() - started);
    }),
  );
  await Promise.all(waits);
  expect(order).toEqual([40, 200, 300]);
  for (const [timeout, after] of ended) expect(after).toBeGreaterThanOrEqual(timeout - 1);
});

it("an entry resolves every waiter, and their timeouts do not fire later", async () => {
  const { hub, store } = newHub();
  const results = Promise.all([50, 60, 70].map((timeout) => hub.waitForEntries("k", "0-0", timeout)));
  await store.append("k", { type: "text-start", part: 0 });
  expect((await results).map((result) => result.kind)).toEqual(["entries", "entries", "entries"]);
});

it("a reader waiting again and again with one signal holds one abort listener, and aborting it ends only its wait", async () => {
  const { hub, store } = newHub();
  const reader = new AbortController();
  const other = new AbortController();
  let position = (await store.appendMany("k", [{ type: "text-start", part: 0 }]))[0]!;
  for (let index = 0; index < 20; index++) {
    const waiting = hub.waitForEntries("k", position, 10_000, reader.signal);
    await store.append("k", { type: "text-delta", part: 0, text: `w${index}` });
    const result = await waiting;
    if (result.kind !== "entries") throw new Error(`expected entries, got ${result.kind}`);
    position = result.entries.at(-1)!.id;
  }
  expect(getEventListeners(reader.signal, "abort")).toHaveLength(1);
  const mine = hub.waitForEntries("k", position, 10_000, reader.signal);
  const theirs = hub.waitForEntries("k", position, 10_000, other.signal);
  reader.abort();
  expect((await mine).kind).toBe("idle");
  await store.append("k", { type: "text-end", part: 0 });
  expect((await theirs).kind).toBe("entries");
  // An already aborted signal does not wait at all.
  expect((await hub.waitForEntries("empty", "0-0", 10_000, reader.signal)).kind).toBe("idle");
});

it("a tail listener waits once per entry with one abort listener, is answered synchronously, and an abort ends its wait", async () => {
  const { hub, store } = newHub();
  const reader = new AbortController();
  const got: WaitResult[] = [];
  const listener = hub.listener("k", (result) => got.push(result), reader.signal);
  let position = (await store.appendMany("k", [{ type: "text-start", part: 0 }]))[0]!;
  for (let index = 0; index < 10; index++) {
    expect(listener.wait(position, 10_000)).toBeNull();
    await store.append("k", { type: "text-delta", part: 0, text: `w${index}` });
    await vi.waitFor(() => expect(got).toHaveLength(index + 1));
    const result = got.at(-1)!;
    if (result.kind !== "entries") throw new Error(`expected entries, got ${result.kind}`);
    position = result.entries.at(-1)!.id;
  }
  expect(getEventListeners(reader.signal, "abort")).toHaveLength(1);
  // Before the tail's window (it began at the newest entry): answered at once, nothing delivered later.
  expect(listener.wait("0-0", 10_000)?.kind).toBe("behind");
  expect(listener.wait(position, 10_000)).toBeNull();
  expect(() => listener.wait(position, 10_000)).toThrow();
  reader.abort();
  expect(got.at(-1)).toEqual({ kind: "idle" });
  expect(got).toHaveLength(11);
});
