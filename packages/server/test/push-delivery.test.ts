// Push delivery (§4): a reader at the head of a buffer is handed each entry by the shared
// tail synchronously, without a promise wait per entry; a consumer that pushes back, a tail
// that fails and an idle turn go through the reader's async pump, and nothing is lost.
import { type BufferEntry, foldSnapshot, type StoredEntry } from "@chat-replay/protocol";
import { afterEach, expect, it, vi } from "vitest";
import { BufferHub } from "../src/buffer-hub";
import { createFrameStream } from "../src/frame-stream/create-frame-stream";
import { MemoryStreamStore } from "../src/memory-stream-store";
import type { StreamReadOptions } from "../src/stream-store";
import { until } from "./harness";

const hubs: BufferHub[] = [];
const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const reader of readers.splice(0)) await reader.cancel().catch(() => {});
  for (const hub of hubs.splice(0)) hub.close();
});

const delta = (index: number): BufferEntry => ({ type: "text-delta", part: 0, text: `w${index} ` });
const decoder = new TextDecoder();

/** A reader of buffer `k` (appended to through `store`), and the text it received so far. */
async function open(store: MemoryStreamStore, options: { keepaliveMs?: number; coalesceMs?: number } = {}) {
  const hub = new BufferHub(store, 1_000, options.coalesceMs ?? 0);
  hubs.push(hub);
  await store.appendMany("k", [{ type: "text-start", part: 0 }]);
  const body = createFrameStream({
    store,
    hub,
    key: "k",
    messageId: "m",
    cursor: null,
    stopPhase: 0,
    keepaliveMs: options.keepaliveMs ?? 60_000,
    retryDelayMs: 1,
  });
  const reader = body.getReader();
  readers.push(reader);
  let text = "";
  let reading = false;
  /** Reads chunks until `done(text)` holds; returns how many chunks that took. */
  const readUntil = async (done: (text: string) => boolean): Promise<number> => {
    reading = true;
    let chunks = 0;
    try {
      while (!done(text)) {
        const { value, done: ended } = await reader.read();
        if (ended) throw new Error("the body ended");
        text += decoder.decode(value);
        chunks++;
      }
    } finally {
      reading = false;
    }
    return chunks;
  };
  await readUntil((received) => received.includes('"text-start"'));
  return { hub, readUntil, text: () => text, reading: () => reading };
}

const has = (index: number) => (text: string) => text.includes(`"delta":"w${index} "`);

it("a live reader is handed every entry by the tail without a promise wait per entry", async () => {
  let listens = 0;
  const listener = BufferHub.prototype.listener;
  vi.spyOn(BufferHub.prototype, "listener").mockImplementation(function (this: BufferHub, ...args) {
    const made = listener.apply(this, args);
    return {
      wait: (after, timeoutMs) => {
        listens++;
        return made.wait(after, timeoutMs);
      },
    };
  });
  const store = new MemoryStreamStore();
  const { hub, readUntil, text } = await open(store);
  const waits = vi.spyOn(hub, "waitForEntries");
  listens = 0;
  for (let index = 0; index < 20; index++) {
    await store.append("k", delta(index));
    await readUntil(has(index));
  }
  // Every delta once, in order.
  const got = [...text().matchAll(/"delta":"(w\d+) "/g)].map((match) => match[1]);
  expect(got).toEqual(Array.from({ length: 20 }, (_, index) => `w${index}`));
  expect(waits).not.toHaveBeenCalled();
  // One callback wait per entry (and the one pending now).
  expect(listens).toBeGreaterThanOrEqual(20);
  expect(listens).toBeLessThanOrEqual(21);
});

it("a consumer that stops reading is not pushed to; what arrived meanwhile comes as one batch when it reads again", async () => {
  const store = new MemoryStreamStore();
  const { hub, readUntil } = await open(store);
  // Fill the body's queue: one chunk waits unread (highWaterMark 1), then the reader must stop.
  await store.append("k", delta(0));
  await until(async () => (hubWaiters(hub) === 0 ? true : undefined), 5_000, "the reader stopped listening");
  for (let index = 1; index <= 50; index++) await store.append("k", delta(index));
  // Nothing is lost: the queued chunk, then everything after it in one read from the tail or store.
  const chunks = await readUntil(has(50));
  expect(chunks).toBeLessThanOrEqual(2);
});

it("a tail read that fails while a reader listens is retried by the reader, and the turn goes on", async () => {
  let failures = 1;
  class FlakyStore extends MemoryStreamStore {
    override async read(key: string, after: string, options: StreamReadOptions = {}): Promise<StoredEntry[]> {
      // The tail's blocking read fails once, after the reader is listening.
      if ((options.block ?? 0) > 0 && failures > 0 && (await super.newestId(key)) !== null) {
        await super.read(key, after, { ...options, count: 1 });
        failures--;
        throw new Error("connection lost");
      }
      return super.read(key, after, options);
    }
  }
  const store = new FlakyStore();
  const { readUntil } = await open(store);
  for (let index = 0; index < 5; index++) {
    await store.append("k", delta(index));
    await readUntil(has(index));
  }
  expect(failures).toBe(0);
});

it("a reader idle at the head sends a keepalive and listens again", async () => {
  const store = new MemoryStreamStore();
  const { readUntil } = await open(store, { keepaliveMs: 30 });
  await readUntil((text) => text.includes(": keepalive"));
  await store.append("k", delta(0));
  await readUntil(has(0));
});

it("entries appended within the coalescing interval of a hand-out reach a listening reader together", async () => {
  const store = new MemoryStreamStore();
  const { readUntil } = await open(store, { coalesceMs: 20 });
  await store.append("k", delta(0));
  await readUntil(has(0));
  // Handed out just now: the next appends wait for the interval, then go as one chunk.
  await store.appendMany("k", [delta(1)]);
  await store.appendMany("k", [delta(2)]);
  await store.appendMany("k", [delta(3)]);
  expect(await readUntil(has(3))).toBe(1);
});

it("after a snapshot replay, a consumer with two reads pending gets the live entries that follow", async () => {
  const store = new MemoryStreamStore();
  const hub = new BufferHub(store, 1_000, 0);
  hubs.push(hub);
  const entry: BufferEntry = { type: "text-start", part: 0 };
  const id = await store.append("k", entry);
  expect(await store.writeSnapshot("k", { previous: null, ...foldSnapshot(null, [{ id, entry }])! })).toBe(
    true,
  );
  const reader = createFrameStream({
    store,
    hub,
    key: "k",
    messageId: "m",
    cursor: null,
    stopPhase: 0,
    keepaliveMs: 60_000,
  }).getReader();
  readers.push(reader);
  await reader.read(); // start
  // Two reads at once (the spec allows it): the snapshot answers the first.
  const first = reader.read();
  const second = reader.read();
  expect(decoder.decode((await first).value)).toContain('"text-start"');
  await store.append("k", delta(0));
  expect(decoder.decode((await second).value)).toContain('"delta":"w0 "');
});

it("a reader whose callbacks throw while the tail hands out fails alone: the others are served, nothing escapes", async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    const store = new MemoryStreamStore();
    const hub = new BufferHub(store, 1_000, 20);
    hubs.push(hub);
    await store.appendMany("k", [{ type: "text-start", part: 0 }]);
    let throwing = false;
    const body = (bad: boolean) =>
      createFrameStream({
        store,
        hub,
        key: "k",
        messageId: "m",
        cursor: null,
        stopPhase: 0,
        keepaliveMs: 60_000,
        onClose: bad
          ? () => {
              throw new Error("onClose threw");
            }
          : undefined,
        observer: bad
          ? {
              begun() {},
              firstFrame() {},
              written() {
                if (throwing) throw new Error("written threw");
              },
              closed() {},
            }
          : undefined,
      }).getReader();
    const bad = body(true);
    const good = body(false);
    readers.push(bad, good);
    let goodText = "";
    const goodUntil = async (index: number) => {
      while (!has(index)(goodText)) goodText += decoder.decode((await good.read()).value);
    };
    let badText = "";
    while (!has(0)(badText)) {
      if (badText === "") await store.append("k", delta(0));
      badText += decoder.decode((await bad.read()).value);
    }
    await goodUntil(0);
    // Within the coalescing interval: the tail's timer hands this out to both.
    throwing = true;
    const badRead = bad.read();
    await store.append("k", delta(1));
    await expect(badRead).rejects.toThrow("written threw");
    await goodUntil(1);
    expect(uncaught).toEqual([]);
  } finally {
    process.off("uncaughtException", onUncaught);
  }
});

/** Readers waiting on the tail of `k` (push waits included). */
function hubWaiters(hub: BufferHub): number {
  return (
    (hub as unknown as { tails: Map<string, { waiters: Set<unknown> }> }).tails.get("k")?.waiters.size ?? 0
  );
}
