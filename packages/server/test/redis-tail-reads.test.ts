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
  });
});
