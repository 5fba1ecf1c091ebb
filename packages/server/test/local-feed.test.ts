// §4 "local feed": the writer's own instance serves its readers of a buffer from its appends,
// without a store read per entry; entries another process appends meanwhile still arrive,
// in order, with no gap and no duplicate. On Redis (the memory store's reads are in-process,
// so it has no appendLinked and is not fed).
import { type BufferEntry, ChatReplayError, type StoredEntry } from "@chat-replay/protocol";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { BufferHub } from "../src/buffer-hub";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { RedisStreamStore } from "../src/redis-stream-store";
import { createReplayServer } from "../src/replay-server";
import type { StreamStore } from "../src/stream-store";
import { createScriptedModel, writerStreamStore } from "../src/testing";
import { until } from "./harness";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";

const delta = (text: string): BufferEntry => ({ type: "text-delta", part: 0, text });

/** A reader at the head, as `EntrySource` is: waits on the hub and collects what it is handed. */
class HeadReader {
  readonly received: StoredEntry[] = [];
  private stopped = false;
  readonly done: Promise<void>;

  constructor(
    hub: BufferHub,
    store: StreamStore,
    key: string,
    after: string,
    enough: (received: StoredEntry[]) => boolean,
  ) {
    this.done = (async () => {
      let position = after;
      while (!this.stopped && !enough(this.received)) {
        const result = await hub.waitForEntries(key, position, 10_000);
        // Behind the tail: catch up from the store, as a reader does.
        const entries =
          result.kind === "entries"
            ? result.entries
            : result.kind === "behind"
              ? await store.read(key, position, { count: 1_000 })
              : [];
        this.received.push(...entries);
        position = entries.at(-1)?.id ?? position;
        if (result.kind === "error") {
          throw result.error;
        }
      }
    })();
  }

  stop(): void {
    this.stopped = true;
  }
}

function texts(entries: readonly StoredEntry[]): string[] {
  return entries.map((stored) =>
    stored.entry.type === "text-delta" ? stored.entry.text : stored.entry.type,
  );
}

/** Waits until `condition` holds (the harness's `until`, for a plain condition). */
function holds(condition: () => boolean): Promise<true> {
  return until(async () => (condition() ? true : undefined), 10_000, "the condition");
}

/** The same checks on each store: the writer's hub reads nothing per entry, and nothing is lost. */
function describeLocalFeed(
  name: string,
  open: () => { writer: StreamStore; other: StreamStore; key: () => string },
) {
  describe(`local feed: ${name}`, () => {
    const hubs: BufferHub[] = [];
    afterEach(() => {
      for (const hub of hubs.splice(0)) hub.close();
    });
    const { writer, other, key: newKey } = open();

    /** A hub on the writer store, the store as the writer's instance appends to it, and a buffer begun with one entry. */
    async function started() {
      const hub = new BufferHub(writer, 1_000);
      hubs.push(hub);
      const fed = hub.feeding(writer);
      const key = newKey();
      const [first] = await fed.appendMany(key, [{ type: "text-start", part: 0 }]);
      return { hub, fed, key, first: first! };
    }

    it("a reader on the writer's instance gets every local append without a store read per entry", async () => {
      const { hub, fed, key, first } = await started();
      const read = vi.spyOn(writer, "read");
      let position = first;
      for (let index = 0; index < 40; index++) {
        const waiting = hub.waitForEntries(key, position, 10_000);
        await fed.append(key, delta(`w${index}`));
        const result = await waiting;
        if (result.kind !== "entries") throw new Error(`expected entries, got ${result.kind}`);
        expect(texts(result.entries)).toEqual([`w${index}`]);
        position = result.entries.at(-1)!.id;
      }
      // The tail's first read (before any local append) blocks on the store; every entry after
      // that came from the appends themselves. Without the feed: one read per entry (40).
      expect(read.mock.calls.length).toBeLessThanOrEqual(2);
      read.mockRestore();
    });

    it("local appends in flight at once reach the reader once each, in buffer order", async () => {
      const { hub, fed, key, first } = await started();
      const reader = new HeadReader(hub, writer, key, first, (received) => received.length >= 200);
      await holds(() => hub.activeTails === 1);
      const batches = Array.from({ length: 50 }, (_, batch) =>
        fed.appendMany(
          key,
          [0, 1, 2, 3].map((index) => delta(`${batch}.${index}`)),
        ),
      );
      await Promise.all(batches);
      await reader.done;
      const stored = await writer.read(key, first, { count: 1_000 });
      expect(reader.received).toEqual(stored);
      expect(reader.received).toHaveLength(200);
    });

    it("an entry another process appends between local appends arrives in order, neither lost nor repeated", async () => {
      const { hub, fed, key, first } = await started();
      const reader = new HeadReader(hub, writer, key, first, (received) => received.length >= 7);
      await holds(() => hub.activeTails === 1);
      await fed.append(key, delta("a"));
      await holds(() => reader.received.length === 1);
      // Another instance appends (a cancel there): the next local append does not follow the
      // tail's newest entry, so the tail reads the store for what it lacks.
      await other.append(key, delta("foreign-1"));
      await fed.append(key, delta("b"));
      await fed.append(key, delta("c"));
      // And one that no local append follows: the tail returns to the store within LOCAL_FEED_MS.
      await other.append(key, delta("foreign-2"));
      await holds(() => reader.received.length === 5);
      await fed.appendMany(key, [delta("d"), delta("e")]);
      await reader.done;
      expect(texts(reader.received)).toEqual(["a", "foreign-1", "b", "c", "foreign-2", "d", "e"]);
      expect(reader.received).toEqual(await writer.read(key, first, { count: 100 }));
    });

    it("a tail that starts while this process appends (its head unknown yet) misses nothing", async () => {
      const { hub, fed, key, first } = await started();
      // The reader registers (the tail looks up the newest id) while appends land.
      const appending = (async () => {
        for (let index = 0; index < 30; index++) await fed.append(key, delta(`x${index}`));
      })();
      const reader = new HeadReader(hub, writer, key, first, (received) => received.length >= 30);
      await appending;
      await reader.done;
      expect(texts(reader.received)).toEqual(Array.from({ length: 30 }, (_, index) => `x${index}`));
    });
  });
}

describeWithRedis("local feed on Redis", (url) => {
  const prefix = uniquePrefix("local-feed");
  const writer = new RedisStreamStore({ redis: url, connectionName: "chat-replay-test-local-feed" });
  // A second store: another instance's own connections.
  const other = new RedisStreamStore({ redis: url, connectionName: "chat-replay-test-local-feed-other" });
  afterAll(async () => {
    await Promise.all([writer.close(), other.close()]);
    await deleteKeys(url, prefix);
  });
  let next = 0;
  describeLocalFeed("Redis", () => ({ writer, other, key: () => `${prefix}:{s${next++}}:buffer` }));

  it("writerStreamStore (testing subpath) is the server's own writer store: its appends land in the store the server was given; other objects are refused", async () => {
    const streamStore = new RedisStreamStore({
      redis: url,
      connectionName: "chat-replay-test-local-feed-server",
    });
    const server = createReplayServer({ model: createScriptedModel(), streamStore });
    try {
      const store = writerStreamStore(server);
      expect(store).not.toBe(streamStore);
      const key = `${prefix}:{writer}:buffer`;
      const [id] = await store.appendMany(key, [delta("x")]);
      expect(await streamStore.read(key, "0-0")).toEqual([{ id, entry: delta("x") }]);
      expect(() => writerStreamStore({ ...server })).toThrow(ChatReplayError);
    } finally {
      await server.close();
    }
  });
});

it("a store without appendLinked (the in-process memory store, whose reads cost nothing) is used as it is", async () => {
  const streamStore = new MemoryStreamStore();
  const server = createReplayServer({ model: createScriptedModel(), streamStore });
  try {
    expect(writerStreamStore(server)).toBe(streamStore);
  } finally {
    await server.close();
  }
});
