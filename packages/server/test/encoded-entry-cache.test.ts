import { type BufferEntry, INITIAL_ADAPTER_STATE, type StoredEntry } from "@chat-replay/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BufferHub, RECENT_LIMIT } from "../src/buffer-hub";
import { EntrySource } from "../src/frame-stream/entry-source";
import { type FoldedText, FrameFolder } from "../src/frame-stream/frame-folder";
import { MemoryStreamStore } from "../src/memory-stream-store";

const TURN: BufferEntry[] = [
  { type: "text-start", part: 0 },
  { type: "text-delta", part: 0, text: "Hello" },
  { type: "text-delta", part: 0, text: " world" },
  { type: "text-end", part: 0 },
];

const hubs: BufferHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

/** A hub whose shared tail of `key` has read `entries` (what a live reader at the head gets). */
async function liveTail(entries: readonly BufferEntry[], key = "k") {
  const store = new MemoryStreamStore({ maxLength: 100_000 });
  const hub = new BufferHub(store, 50);
  hubs.push(hub);
  const waiting = follow(hub, key, "0-0", entries.length);
  await store.appendMany(key, entries);
  return { store, hub, entries: await waiting };
}

/** Waits on the hub (as a reader at the head does) until `count` entries after `after` arrived. */
async function follow(hub: BufferHub, key: string, after: string, count: number): Promise<StoredEntry[]> {
  const got: StoredEntry[] = [];
  while (got.length < count) {
    const result = await hub.waitForEntries(key, got.at(-1)?.id ?? after, 10_000);
    if (result.kind !== "entries") throw new Error(`expected entries, got ${result.kind}`);
    got.push(...result.entries);
  }
  return got;
}

const decoder = new TextDecoder();
const textOf = (folded: FoldedText) => decoder.decode(folded.bytes);

const folderOf = (hub: BufferHub, state = INITIAL_ADAPTER_STATE, key = "k") =>
  new FrameFolder(state, 0, null, { entries: hub.encoded, key });

describe("encode once, write many (§4 fan-out)", () => {
  it("a second reader of the tail's entries takes every entry's bytes from the first reader's fold", async () => {
    const { hub, entries } = await liveTail(TURN);
    const firstText = textOf(folderOf(hub).fold(entries));
    expect(hub.encodedEntries).toBe(TURN.length);
    const set = vi.spyOn(hub.encoded, "set");
    const get = vi.spyOn(hub.encoded, "get");
    // A reader that arrived later, folding from its own (equal, not identical) initial state.
    const second = folderOf(hub, structuredClone(INITIAL_ADAPTER_STATE));
    expect(textOf(second.fold(entries.slice(0, 2))) + textOf(second.fold(entries.slice(2)))).toBe(firstText);
    expect(get.mock.results.map((result) => result.value !== null)).toEqual([true, true, true, true]);
    expect(set).not.toHaveBeenCalled();
    // Without the cache the bytes are the same.
    expect(textOf(new FrameFolder(INITIAL_ADAPTER_STATE, 0, null).fold(entries))).toBe(firstText);
  });

  it("a live reader's one-entry batch is the very bytes the first reader encoded: no encoding or copy per reader", async () => {
    const { hub, entries } = await liveTail(TURN);
    const first = folderOf(hub);
    const second = folderOf(hub, structuredClone(INITIAL_ADAPTER_STATE));
    for (const stored of entries) {
      const mine = first.fold([stored]).bytes;
      expect(second.fold([stored]).bytes).toBe(mine);
    }
  });

  it("a reader whose state differs never takes another reader's fold; a resume still suppresses up to its cursor", async () => {
    const { hub, entries } = await liveTail(TURN);
    folderOf(hub).fold(entries);
    const other = { ...INITIAL_ADAPTER_STATE, openParts: [] as never[], toolCalls: { x: {} } } as never;
    expect(hub.encoded.get("k", entries[1]!.id, other)).toBeNull();
    expect(hub.encoded.get("other-buffer", entries[1]!.id, INITIAL_ADAPTER_STATE)).toBeNull();
    const resumed = new FrameFolder(
      INITIAL_ADAPTER_STATE,
      0,
      { entryId: entries[1]!.id, frame: 0 },
      { entries: hub.encoded, key: "k" },
    );
    const text = textOf(resumed.fold(entries));
    expect(text).not.toContain("Hello");
    expect(text).toContain(" world");
  });

  it("keeps folds only for the entries in a tail's window: bounded, and a catch-up read of older entries caches nothing", async () => {
    const deltas = (count: number): BufferEntry[] =>
      Array.from({ length: count }, (_, index) => ({ type: "text-delta", part: 0, text: `w${index} ` }));
    const { store, hub, entries } = await liveTail(TURN);
    const reader = folderOf(hub);
    reader.fold(entries);
    let position = entries.at(-1)!.id;
    // A live reader at the head follows 3 windows' worth of appends, batch by batch.
    for (let batch = 0; batch < 3 * (RECENT_LIMIT / 512); batch++) {
      const waiting = follow(hub, "k", position, 512);
      await store.appendMany("k", deltas(512));
      const arrived = await waiting;
      reader.fold(arrived);
      position = arrived.at(-1)!.id;
      expect(hub.encodedEntries).toBeLessThanOrEqual(2 * RECENT_LIMIT);
    }
    expect(hub.encodedEntries).toBeGreaterThan(0);
    // A late reader replays the turn from the store (catch-up): nothing older than the window is kept.
    const before = hub.encodedEntries;
    const old: StoredEntry[] = await store.read("k", "0-0", { count: 1024 });
    folderOf(hub).fold(old);
    expect(hub.encodedEntries).toBe(before);
  });
});

describe("write coalescing of live readers (§4)", () => {
  const deltas = (count: number): BufferEntry[] =>
    Array.from({ length: count }, (_, index) => ({ type: "text-delta", part: 0, text: `w${index} ` }));

  /** A live reader at the head: its first batch handed out, now waiting on the shared tail. */
  async function liveReader(coalesceMs: number) {
    const store = new MemoryStreamStore({ maxLength: 100_000 });
    // A clock that never moves: every batch after the first comes within the interval.
    const hub = new BufferHub(store, 50, coalesceMs, () => 0);
    hubs.push(hub);
    const [first] = await store.appendMany("k", [{ type: "text-start", part: 0 }]);
    const source = new EntrySource(store, hub, "k", "0-0");
    const signal = new AbortController().signal;
    expect(await source.next(10_000, signal)).toHaveLength(1); // caught up from the store
    const waiting = source.next(10_000, signal); // at the head: waits on the tail
    return { store, source, signal, first: first!, waiting };
  }

  it("a reader back within the interval of its previous batch waits it out and takes what arrived meanwhile at once", async () => {
    const { store, source, signal, waiting } = await liveReader(5);
    const ten = deltas(10);
    await store.append("k", ten[0]!);
    await store.appendMany("k", ten.slice(1));
    // The tail woke on the first of these and handed it out.
    expect(await waiting).toHaveLength(1);
    // Back at once: the rest (and what comes while it waits) arrive as one batch.
    const next = source.next(10_000, signal);
    await store.appendMany("k", deltas(5));
    const batch = await next;
    expect(batch !== "idle" && batch.map((stored) => stored.entry)).toEqual([
      ...deltas(10).slice(1),
      ...deltas(5),
    ]);
  });

  it("with coalescing off a reader takes entries as they come", async () => {
    const { store, source, signal, waiting } = await liveReader(0);
    const ten = deltas(10);
    await store.append("k", ten[0]!);
    await store.appendMany("k", ten.slice(1));
    expect(await waiting).toHaveLength(1);
    const next = source.next(10_000, signal);
    const five = deltas(5);
    await store.append("k", five[0]!);
    await store.appendMany("k", five.slice(1));
    const batch = await next;
    // It read at once: not everything appended after it asked (the coalesced reader gets all 14).
    expect(batch !== "idle" && batch.length).toBeGreaterThanOrEqual(9);
    expect(batch !== "idle" && batch.length).toBeLessThan(14);
  });
});
