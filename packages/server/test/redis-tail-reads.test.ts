import type { BufferEntry, StoredEntry } from "@chat-replay/protocol";
import { afterAll, expect, it, vi } from "vitest";
import { BufferHub } from "../src/buffer-hub";
import { RedisStreamStore } from "../src/redis-stream-store";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";

describeWithRedis("a shared tail at the head reads Redis once per batch (§4 fan-out)", (url) => {
  const prefix = uniquePrefix("tail-reads");
  const store = new RedisStreamStore({ redis: url, connectionName: "chat-replay-test-tail-reads" });
  const hub = new BufferHub(store, 1_000);
  afterAll(async () => {
    hub.close();
    await store.close();
    await deleteKeys(url, prefix);
  });

  /** Waits on the hub, as a reader at the head does, until an entry after `after` arrives. */
  async function next(key: string, after: string): Promise<StoredEntry[]> {
    const result = await hub.waitForEntries(key, after, 10_000);
    if (result.kind !== "entries") throw new Error(`expected entries, got ${result.kind}`);
    return result.entries;
  }

  it("goes straight to the blocking XREAD (which returns what is there) instead of a read before it", async () => {
    const key = `${prefix}:{s}:buffer`;
    const [first] = await store.appendMany(key, [{ type: "text-start", part: 0 }]);
    const readNow = vi.spyOn(store as unknown as { readNow: () => Promise<StoredEntry[]> }, "readNow");
    let position = first!;
    const delta = (index: number): BufferEntry => ({ type: "text-delta", part: 0, text: `w${index} ` });
    for (let index = 0; index < 20; index++) {
      const waiting = next(key, position);
      await store.append(key, delta(index));
      const arrived = await waiting;
      expect(arrived.map((stored) => stored.entry)).toEqual([delta(index)]);
      position = arrived.at(-1)!.id;
    }
    // 20 entries, one at a time: the tail's reads were all blocking ones, none before them.
    expect(readNow).not.toHaveBeenCalled();
    readNow.mockRestore();
  });

  it("with several live buffers, readers coming back do not interrupt the shared XREAD: each tail keeps following", async () => {
    const keys = [0, 1, 2].map((index) => `${prefix}:{s${index}}:buffer`);
    const positions = new Map<string, string>();
    for (const key of keys)
      positions.set(key, (await store.appendMany(key, [{ type: "text-start", part: 0 }]))[0]!);
    // Every reader waits once, so every tail is in the blocking XREAD before the count starts.
    const first = keys.map((key) => next(key, positions.get(key)!));
    for (const key of keys) await store.append(key, { type: "text-delta", part: 0, text: "start " });
    for (const [index, key] of keys.entries()) positions.set(key, (await first[index]!).at(-1)!.id);
    const reader = (store as unknown as { reader: { interrupt: (generation: number) => Promise<void> } })
      .reader;
    const interrupt = vi.spyOn(reader, "interrupt");
    // All three readers wait at once; each comes back after writing to its socket (a later
    // turn of the event loop) while the shared XREAD waits for the other two.
    const pending = new Map(keys.map((key) => [key, next(key, positions.get(key)!)]));
    for (let round = 0; round < 10; round++) {
      for (const key of keys) {
        await store.append(key, { type: "text-delta", part: 0, text: `r${round} ` });
        positions.set(key, (await pending.get(key)!).at(-1)!.id);
        await new Promise((resolve) => setTimeout(resolve, 1));
        pending.set(key, next(key, positions.get(key)!));
      }
    }
    for (const key of keys) {
      await store.append(key, { type: "text-end", part: 0 });
      await pending.get(key);
    }
    // 30 entries over 3 buffers: without following, each reader's return was a CLIENT UNBLOCK.
    expect(interrupt.mock.calls.length).toBeLessThan(3);
  });
});
