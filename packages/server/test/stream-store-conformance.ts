import {
  type BufferEntry,
  compareEntryIds,
  foldSnapshot,
  INITIAL_ADAPTER_STATE,
  type StoredEntry,
} from "@chat-replay/protocol";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { StreamStore } from "../src/stream-store";
import { TurnSnapshotter } from "../src/turn-snapshotter";

/** Options a conformance run passes to the store factory. */
export interface StreamStoreFactoryOptions {
  /** Approximate MAXLEN of every buffer of the store. */
  readonly maxLength?: number;
  /** Clock for entry ids. */
  readonly now?: () => number;
}

/** A bound far above any healthy wake-up latency and far below the long `block` of the tests. */
const PROMPT_MS = 2_000;
/** A block long enough that a read only returns early when something wakes it. */
const LONG_BLOCK_MS = 10_000;
/** Short TTL for the expiry tests. */
const TTL_MS = 30;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves `"pending"` if `promise` has not settled after `ms`, else its value. */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  try {
    return await Promise.race([promise, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it holds; false when it still does not after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = PROMPT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
}

const newKey = () => `conf:${crypto.randomUUID()}`;
const text = (value: string, part = 0): BufferEntry => ({ type: "text-delta", part, text: value });
const finalEnd: BufferEntry = { type: "end", reason: "final", phase: 0 };
const pauseEnd: BufferEntry = { type: "end", reason: "pause", phase: 0 };
const idsOf = (entries: readonly StoredEntry[]) => entries.map((stored) => stored.id);

/** A settable clock for injected `now`. */
function manualClock(ms: number): { ms: number; readonly now: () => number } {
  const clock = { ms, now: () => clock.ms };
  return clock;
}

/**
 * Declares the `StreamStore` conformance suite (§4, §8 items 1–4, 6, 7 and 32 at store level)
 * for one implementation. `create` is called once or more per test with that test's options;
 * every store it returns is closed after the test, and `cleanup` runs once after the suite.
 */
export function describeStreamStoreConformance(
  name: string,
  create: (options: StreamStoreFactoryOptions) => Promise<StreamStore> | StreamStore,
  cleanup?: () => Promise<void>,
  /** Optional port methods the store has, whose checks run too (they fail if it lacks them). */
  capabilities: { readonly appendLinked?: boolean } = {},
): void {
  describe(`StreamStore conformance: ${name}`, () => {
    const stores: StreamStore[] = [];
    const controllers: AbortController[] = [];

    async function open(options: StreamStoreFactoryOptions = {}): Promise<StreamStore> {
      const store = await create(options);
      stores.push(store);
      return store;
    }

    /** An abort signal that is fired after the test, so no blocked read outlives it. */
    function testSignal(): AbortController {
      const controller = new AbortController();
      controllers.push(controller);
      return controller;
    }

    /** Appends `count` text deltas and returns their ids. */
    async function appendMany(store: StreamStore, key: string, count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let index = 0; index < count; index++) ids.push(await store.append(key, text(`#${index}`)));
      return ids;
    }

    afterEach(async () => {
      for (const controller of controllers.splice(0)) controller.abort();
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });

    if (cleanup) afterAll(cleanup);

    // §8.1 — ids

    it("§8.1 three appends in one ms get T-0, T-1, T-2", async () => {
      const store = await open({ now: () => 1_718_000_000_000 });
      const key = newKey();
      expect(await appendMany(store, key, 3)).toEqual([
        "1718000000000-0",
        "1718000000000-1",
        "1718000000000-2",
      ]);
    });

    it("§8.1 a batch append gets consecutive ids in order, continuing the buffer's sequence", async () => {
      const store = await open({ now: () => 1_718_000_000_000 });
      const key = newKey();
      const first = await store.append(key, text("single"));
      const batch = await store.appendMany(key, [text("a"), text("b"), text("c")]);
      expect([first, ...batch]).toEqual([
        "1718000000000-0",
        "1718000000000-1",
        "1718000000000-2",
        "1718000000000-3",
      ]);
      expect(await store.appendMany(key, [])).toEqual([]);
      const read = await store.read(key, "0-0");
      expect(read.map((stored) => stored.entry)).toEqual([text("single"), text("a"), text("b"), text("c")]);
    });

    it.runIf(capabilities.appendLinked === true)(
      "§8.1 appendLinked names the entry the batch follows and returns the entries as reads do",
      async () => {
        const store = await open({ now: () => 1_718_000_000_000 });
        if (!store.appendLinked) throw new Error("expected appendLinked");
        const key = newKey();
        const first = await store.appendLinked(key, [text("a")]);
        expect(first.previous).toBeNull();
        const second = await store.appendLinked(key, [text("b"), text("c")]);
        expect(second.previous).toBe(first.stored[0]!.id);
        // Several in flight at once still chain: each names the newest entry before its own.
        const concurrent = await Promise.all(
          [0, 1, 2, 3].map((index) => store.appendLinked!(key, [text(`${index}`)])),
        );
        const read = await store.read(key, "0-0");
        expect(
          [...first.stored, ...second.stored, ...concurrent.flatMap((linked) => linked.stored)].sort((a, b) =>
            compareEntryIds(a.id, b.id),
          ),
        ).toEqual(read);
        for (const linked of concurrent) {
          const index = read.findIndex((stored) => stored.id === linked.stored[0]!.id);
          expect(linked.previous).toBe(read[index - 1]!.id);
        }
        expect(await store.appendLinked(key, [])).toEqual({ previous: null, stored: [] });
      },
    );

    it("§8.1 a clock moving backwards still yields a strictly greater id", async () => {
      const clock = manualClock(5_000);
      const store = await open({ now: clock.now });
      const key = newKey();
      const first = await store.append(key, text("a"));
      clock.ms = 4_000;
      const second = await store.append(key, text("b"));
      clock.ms = 1;
      const third = await store.append(key, text("c"));
      expect([first, second, third]).toEqual(["5000-0", "5000-1", "5000-2"]);
      expect(compareEntryIds(second, first)).toBeGreaterThan(0);
      expect(compareEntryIds(third, second)).toBeGreaterThan(0);
      clock.ms = 6_000;
      expect(await store.append(key, text("d"))).toBe("6000-0");
    });

    it("§8.1 the first append at clock 0 gets an id after 0-0", async () => {
      const store = await open({ now: () => 0 });
      const key = newKey();
      const id = await store.append(key, text("early"));
      expect(compareEntryIds(id, "0-0")).toBeGreaterThan(0);
      expect(idsOf(await store.read(key, "0-0"))).toEqual([id]);
    });

    it("§8.1 each key has its own id sequence", async () => {
      const store = await open({ now: () => 7_000 });
      const first = newKey();
      const second = newKey();
      expect(await appendMany(store, first, 2)).toEqual(["7000-0", "7000-1"]);
      expect(await appendMany(store, second, 2)).toEqual(["7000-0", "7000-1"]);
    });

    // §8.2 — reads

    it("§8.2 read after T-1 returns only later entries", async () => {
      const store = await open({ now: () => 9_000 });
      const key = newKey();
      await appendMany(store, key, 4);
      const entries = await store.read(key, "9000-1");
      expect(entries).toEqual([
        { id: "9000-2", entry: text("#2") },
        { id: "9000-3", entry: text("#3") },
      ]);
      expect(await store.read(key, "9000-3")).toEqual([]);
    });

    it("§8.2 read after 0-0 returns all entries, oldest first", async () => {
      const store = await open();
      const key = newKey();
      const ids = await appendMany(store, key, 5);
      const entries = await store.read(key, "0-0");
      expect(idsOf(entries)).toEqual(ids);
      expect(entries.map((stored) => stored.entry)).toEqual(
        [0, 1, 2, 3, 4].map((index) => text(`#${index}`)),
      );
    });

    it("§8.2 read returns at most count entries, resumable from the last id", async () => {
      const store = await open();
      const key = newKey();
      const ids = await appendMany(store, key, 5);
      const first = await store.read(key, "0-0", { count: 2 });
      expect(idsOf(first)).toEqual(ids.slice(0, 2));
      const second = await store.read(key, first.at(-1)!.id, { count: 2 });
      expect(idsOf(second)).toEqual(ids.slice(2, 4));
      const third = await store.read(key, second.at(-1)!.id, { count: 2 });
      expect(idsOf(third)).toEqual(ids.slice(4));
    });

    it("§8.2 read returns at most 100 entries by default", async () => {
      const store = await open();
      const key = newKey();
      const ids = await appendMany(store, key, 120);
      expect(idsOf(await store.read(key, "0-0"))).toEqual(ids.slice(0, 100));
    });

    it("§8.2 read without block on a missing or drained buffer returns empty at once", async () => {
      const store = await open();
      const key = newKey();
      expect(await store.read(key, "0-0")).toEqual([]);
      expect(await store.read(key, "0-0", { block: 0 })).toEqual([]);
      const [id] = await appendMany(store, key, 1);
      expect(await store.read(key, id!, { block: 0 })).toEqual([]);
    });

    it("§8.2 read on an empty buffer waits up to block, then returns empty", async () => {
      const store = await open();
      const key = newKey();
      const read = store.read(key, "0-0", { block: 200 });
      expect(await settledWithin(read, 20)).toBe("pending");
      expect(await read).toEqual([]);
      expect(await store.read(key, "0-0", { block: 50 })).toEqual([]);
    });

    it("§8.2 a blocked read after the newest id waits up to block, then returns empty", async () => {
      const store = await open();
      const key = newKey();
      const [id] = await appendMany(store, key, 1);
      expect(await store.read(key, id!, { block: 50 })).toEqual([]);
    });

    it("§8.2 an append during a blocked read returns it at once", async () => {
      const store = await open();
      const key = newKey();
      const controller = testSignal();
      const read = store.read(key, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, 20)).toBe("pending");
      const id = await store.append(key, text("wake"));
      expect(await settledWithin(read, PROMPT_MS)).toEqual([{ id, entry: text("wake") }]);
    });

    it("§8.2 an append during a blocked read after the newest id returns only the new entry", async () => {
      const store = await open();
      const key = newKey();
      const [first] = await appendMany(store, key, 1);
      const controller = testSignal();
      const read = store.read(key, first!, { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, 20)).toBe("pending");
      const id = await store.append(key, finalEnd);
      expect(await settledWithin(read, PROMPT_MS)).toEqual([{ id, entry: finalEnd }]);
    });

    it("§8.2 an abort signal ends a blocked read", async () => {
      const store = await open();
      const key = newKey();
      const controller = testSignal();
      const read = store.read(key, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, 20)).toBe("pending");
      controller.abort();
      expect(await settledWithin(read, PROMPT_MS)).toEqual([]);
    });

    it("§8.2 an already aborted signal does not block", async () => {
      const store = await open();
      const key = newKey();
      const controller = testSignal();
      controller.abort();
      const read = store.read(key, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, PROMPT_MS)).toEqual([]);
    });

    it("§8.2 one append wakes every blocked reader of the key", async () => {
      const store = await open();
      const key = newKey();
      const controller = testSignal();
      const reads = [0, 1, 2].map(() =>
        store.read(key, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal }),
      );
      expect(await settledWithin(Promise.race(reads), 20)).toBe("pending");
      const id = await store.append(key, text("all"));
      expect(await settledWithin(Promise.all(reads), PROMPT_MS)).toEqual([
        [{ id, entry: text("all") }],
        [{ id, entry: text("all") }],
        [{ id, entry: text("all") }],
      ]);
    });

    // §8.3 — trimming

    /** Appends `count` text deltas, refreshing the buffer's snapshot every `every` entries. */
    async function appendWithSnapshots(
      store: StreamStore,
      key: string,
      count: number,
      every: number,
    ): Promise<string[]> {
      const snapshotter = new TurnSnapshotter(store, key, every);
      const ids: string[] = [];
      for (let index = 0; index < count; index++) {
        ids.push(await store.append(key, text(`#${index}`)));
        await snapshotter.appended(1);
      }
      return ids;
    }

    it("§8.3 §8.59 without a checkpoint nothing is trimmed: the buffer is the only copy of its entries", async () => {
      const store = await open({ maxLength: 100 });
      const key = newKey();
      const ids = await appendMany(store, key, 150);
      expect(idsOf(await store.range(key, "-", "+"))).toEqual(ids);
      expect(await store.trimmedThrough(key)).toBeNull();
      expect(await store.checkpoint(key, ids.at(-1)!)).toEqual({
        entryId: "0-0",
        state: INITIAL_ADAPTER_STATE,
      });
    });

    it("§8.3 §8.59 a cap of N keeps at least the N newest entries and trims only through a checkpoint", async () => {
      const cap = 100;
      const every = 20;
      const store = await open({ maxLength: cap });
      const key = newKey();
      const ids = await appendWithSnapshots(store, key, cap + 80, every);
      const oldest = await store.oldestId(key);
      expect(compareEntryIds(oldest!, ids[0]!)).toBeGreaterThan(0);
      expect(await store.newestId(key)).toBe(ids.at(-1));
      const kept = await store.range(key, "-", "+");
      expect(kept.length).toBeGreaterThanOrEqual(cap);
      expect(kept.length).toBeLessThanOrEqual(cap + 16 + every);
      // What is kept is a suffix of what was appended, so the N newest are all there.
      expect(idsOf(kept)).toEqual(ids.slice(ids.length - kept.length));
      expect(kept.map((stored) => stored.entry)).toEqual(
        ids.slice(ids.length - kept.length).map((_, index) => text(`#${ids.length - kept.length + index}`)),
      );
      expect(idsOf(await store.read(key, "0-0", { count: 1_000 }))).toEqual(idsOf(kept));
      // Trimmed exactly through a checkpoint: the entry before the oldest, whose state is kept.
      const trimmed = await store.trimmedThrough(key);
      expect(trimmed).toBe(ids[ids.length - kept.length - 1]);
      const base = await store.checkpoint(key, oldest!);
      expect(base?.entryId).toBe(trimmed);
      expect(base?.state.openParts).toHaveLength(1);
      // Before the trim point no fold state is left: such cursors are stale.
      expect(await store.checkpoint(key, ids[0]!)).toBeNull();
      // The snapshot still holds every trimmed entry's text.
      const snapshot = await store.readSnapshot(key);
      const merged = snapshot!.chunks.find((chunk) => chunk.type === "text-delta");
      expect(merged && "delta" in merged ? merged.delta : "").toMatch(/^#0#1#2/);
    });

    it("§8.3 snapshot writes are compare-and-set on the entry they extend, and read back whole", async () => {
      const store = await open();
      const key = newKey();
      const stored = [
        { id: await store.append(key, { type: "text-start", part: 0, text: "Hel" }), entry: text("") },
      ];
      stored[0]!.entry = { type: "text-start", part: 0, text: "Hel" };
      const first = foldSnapshot(null, stored)!;
      expect(await store.writeSnapshot(newKey(), { previous: null, ...first })).toBe(false);
      expect(await store.writeSnapshot(key, { previous: "1-0", ...first })).toBe(false);
      expect(await store.writeSnapshot(key, { previous: null, ...first })).toBe(true);
      expect(await store.writeSnapshot(key, { previous: null, ...first })).toBe(false);
      const nextId = await store.append(key, text("lo"));
      const second = foldSnapshot(first.snapshot, [{ id: nextId, entry: text("lo") }])!;
      expect(await store.writeSnapshot(key, { previous: first.snapshot.entryId, ...second })).toBe(true);
      expect(await store.readSnapshot(key)).toEqual(second.snapshot);
      expect(await store.checkpoint(key, nextId)).toEqual({ entryId: nextId, state: second.snapshot.state });
      expect(await store.checkpoint(key, first.snapshot.entryId)).toEqual({
        entryId: first.snapshot.entryId,
        state: first.snapshot.state,
      });
      expect(await store.readSnapshot(newKey())).toBeNull();
    });

    it("§8.4 a buffer's snapshot and checkpoints expire with it", async () => {
      const store = await open();
      const key = newKey();
      const ids = await appendWithSnapshots(store, key, 4, 2);
      expect(await store.readSnapshot(key)).not.toBeNull();
      await store.expire(key, TTL_MS);
      expect(await eventually(async () => (await store.readSnapshot(key)) === null)).toBe(true);
      expect(await store.checkpoint(key, ids.at(-1)!)).toEqual({
        entryId: "0-0",
        state: INITIAL_ADAPTER_STATE,
      });
    });

    it("§8.3 a missing buffer has no oldest or newest id", async () => {
      const store = await open();
      const key = newKey();
      expect(await store.oldestId(key)).toBeNull();
      expect(await store.newestId(key)).toBeNull();
      expect(await store.range(key, "-", "+")).toEqual([]);
      expect(await store.read(key, "0-0")).toEqual([]);
    });

    // §8.4 — expiry

    it("§8.4 an expired buffer is gone after its TTL", async () => {
      const store = await open();
      const key = newKey();
      await appendMany(store, key, 2);
      await store.append(key, finalEnd);
      await store.expire(key, TTL_MS);
      expect(await eventually(async () => (await store.oldestId(key)) === null)).toBe(true);
      expect(await store.newestId(key)).toBeNull();
      expect(await store.range(key, "-", "+")).toEqual([]);
      expect(await store.read(key, "0-0")).toEqual([]);
    });

    it("§8.4 a buffer without expire stays", async () => {
      const store = await open();
      const kept = newKey();
      const expiring = newKey();
      const [keptId] = await appendMany(store, kept, 1);
      await store.append(kept, pauseEnd);
      await store.append(expiring, finalEnd);
      await store.expire(expiring, TTL_MS);
      expect(await eventually(async () => (await store.oldestId(expiring)) === null)).toBe(true);
      await sleep(TTL_MS * 3);
      expect(await store.oldestId(kept)).toBe(keptId);
      expect(await store.range(kept, "-", "+")).toHaveLength(2);
    });

    it("§8.4 an append after expiry recreates the buffer without TTL", async () => {
      const store = await open();
      const key = newKey();
      await appendMany(store, key, 2);
      await store.append(key, finalEnd);
      await store.expire(key, TTL_MS);
      expect(await eventually(async () => (await store.oldestId(key)) === null)).toBe(true);
      const id = await store.append(key, text("again"));
      await sleep(TTL_MS * 4);
      expect(await store.oldestId(key)).toBe(id);
      expect(await store.read(key, "0-0")).toEqual([{ id, entry: text("again") }]);
    });

    it("§8.4 expire on a missing buffer is a no-op, even while a reader waits on it", async () => {
      const store = await open();
      const key = newKey();
      const controller = testSignal();
      const read = store.read(key, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, 20)).toBe("pending");
      await store.expire(key, TTL_MS);
      const id = await store.append(key, text("fresh"));
      expect(await settledWithin(read, PROMPT_MS)).toEqual([{ id, entry: text("fresh") }]);
      await sleep(TTL_MS * 4);
      expect(await store.oldestId(key)).toBe(id);
    });

    it("§8.4 a second expire replaces the first TTL", async () => {
      const store = await open();
      const shortened = newKey();
      const extended = newKey();
      await store.append(shortened, finalEnd);
      await store.append(extended, finalEnd);
      await store.expire(shortened, 60_000);
      await store.expire(extended, TTL_MS);
      await store.expire(shortened, TTL_MS);
      await store.expire(extended, 60_000);
      expect(await eventually(async () => (await store.oldestId(shortened)) === null)).toBe(true);
      await sleep(TTL_MS * 3);
      expect(await store.oldestId(extended)).not.toBeNull();
    });

    // §8.6 / §8.32 — entries and keys

    it("§8.6 entries round-trip exactly, including unicode text and nested JSON", async () => {
      const store = await open();
      const key = newKey();
      const entries: BufferEntry[] = [
        { type: "text-start", part: 0 },
        { type: "text-delta", part: 0, text: "héllo 🌍👩🏽‍💻 日本語 مرحبا ∑ \u00e9 vs e\u0301" },
        { type: "text-delta", part: 0, text: 'quotes " \\ /, line\nbreak\r\ntab\t, nul \u0000, bom \ufeff' },
        { type: "text-delta", part: 0, text: "" },
        { type: "reasoning-delta", part: 1, text: "🤔 think" },
        {
          type: "tool-input-available",
          part: 2,
          toolCallId: "call-1",
          toolName: "search",
          input: {
            query: "ünïcödé 🔍",
            filters: { tags: ["a", "b", { deep: [1, 2.5, -3, 1e21, null, true, false] }], empty: {} },
            list: [],
            nothing: null,
          },
        },
        {
          type: "tool-output",
          toolCallId: "call-1",
          toolName: "search",
          output: [{ title: "résumé", score: 0.125, nested: { a: { b: { c: ["x"] } } } }],
        },
        { type: "tool-output", toolCallId: "call-2", errorText: "boom 💥", denied: true },
        {
          type: "approval-request",
          items: [{ toolCallId: "call-3", toolName: "deploy", input: { env: "prod", replicas: 3 } }],
        },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "text", text: "ok ✅" }],
          approvalRequest: [{ toolCallId: "call-3", toolName: "deploy", input: "raw string" }],
        },
        { type: "compaction", data: { summary: "…", kept: 3 } },
        { type: "artifact", data: "plain" },
        { type: "interrupt", reason: "cancelled" },
        { type: "runner-error", errorText: "lease lost" },
        { type: "lifecycle", name: "step-start" },
        { type: "error", message: "Ошибка" },
        pauseEnd,
        { type: "end", reason: "final", phase: 1 },
      ];
      const ids: string[] = [];
      for (const entry of entries) ids.push(await store.append(key, structuredClone(entry)));
      const expected = entries.map((entry, index) => ({ id: ids[index]!, entry }));
      expect(await store.read(key, "0-0")).toStrictEqual(expected);
      expect(await store.range(key, "-", "+")).toStrictEqual(expected);
    });

    it("§8.32 reads of one key never see another key's entries", async () => {
      const store = await open({ now: () => 3_000 });
      const mine = newKey();
      const other = newKey();
      await store.append(mine, text("mine-0"));
      await store.append(other, text("other-0"));
      await store.append(other, text("other-1"));
      await store.append(mine, text("mine-1"));
      expect(await store.read(mine, "0-0")).toEqual([
        { id: "3000-0", entry: text("mine-0") },
        { id: "3000-1", entry: text("mine-1") },
      ]);
      expect(await store.range(other, "-", "+")).toEqual([
        { id: "3000-0", entry: text("other-0") },
        { id: "3000-1", entry: text("other-1") },
      ]);
      expect(await store.newestId(mine)).toBe("3000-1");
    });

    it("§8.32 an append to another key does not wake a blocked reader", async () => {
      const store = await open();
      const mine = newKey();
      const other = newKey();
      const controller = testSignal();
      const read = store.read(mine, "0-0", { block: LONG_BLOCK_MS, signal: controller.signal });
      expect(await settledWithin(read, 20)).toBe("pending");
      await store.append(other, text("not yours"));
      expect(await settledWithin(read, 50)).toBe("pending");
      const id = await store.append(mine, text("yours"));
      expect(await settledWithin(read, PROMPT_MS)).toEqual([{ id, entry: text("yours") }]);
    });

    // §8.7 — numeric id order

    /** A buffer with ids 999-0 … 999-10, then 1000-0 and 1000-1. */
    async function boundaryBuffer(): Promise<{ store: StreamStore; key: string; ids: string[] }> {
      const clock = manualClock(999);
      const store = await open({ now: clock.now });
      const key = newKey();
      const ids = await appendMany(store, key, 11);
      clock.ms = 1_000;
      ids.push(...(await appendMany(store, key, 2)));
      return { store, key, ids };
    }

    it("§8.7 ids compare numerically across the 999 → 1000 boundary", async () => {
      const { store, key, ids } = await boundaryBuffer();
      expect(ids.slice(5, 6)).toEqual(["999-5"]);
      expect(ids.slice(9)).toEqual(["999-9", "999-10", "1000-0", "1000-1"]);
      expect(compareEntryIds("999-5", "1000-0")).toBeLessThan(0);
      expect(compareEntryIds("1000-0", "1000-1")).toBeLessThan(0);
      expect(idsOf(await store.read(key, "0-0"))).toEqual(ids);
      expect(idsOf(await store.range(key, "-", "+"))).toEqual(ids);
      expect(await store.oldestId(key)).toBe("999-0");
      expect(await store.newestId(key)).toBe("1000-1");
    });

    it("§8.7 read after 999-5 and 999-9 orders later entries numerically", async () => {
      const { store, key, ids } = await boundaryBuffer();
      expect(idsOf(await store.read(key, "999-5"))).toEqual(ids.slice(6));
      expect(idsOf(await store.read(key, "999-9"))).toEqual(["999-10", "1000-0", "1000-1"]);
      expect(idsOf(await store.read(key, "999-10"))).toEqual(["1000-0", "1000-1"]);
      expect(idsOf(await store.read(key, "1000-0"))).toEqual(["1000-1"]);
      expect(await store.read(key, "1000-1")).toEqual([]);
    });

    it("§8.7 range(min, max) is inclusive on both ends", async () => {
      const { store, key } = await boundaryBuffer();
      expect(idsOf(await store.range(key, "999-5", "1000-0"))).toEqual([
        "999-5",
        "999-6",
        "999-7",
        "999-8",
        "999-9",
        "999-10",
        "1000-0",
      ]);
      expect(idsOf(await store.range(key, "999-9", "999-10"))).toEqual(["999-9", "999-10"]);
      expect(idsOf(await store.range(key, "1000-0", "1000-0"))).toEqual(["1000-0"]);
      // Bounds between entries select what lies between them.
      expect(idsOf(await store.range(key, "999-10", "999-99"))).toEqual(["999-10"]);
      expect(idsOf(await store.range(key, "999-11", "1000-5"))).toEqual(["1000-0", "1000-1"]);
      expect(await store.range(key, "1000-0", "999-5")).toEqual([]);
      expect(await store.range(key, "1000-2", "+")).toEqual([]);
    });

    it('§8.7 range with "-" and "+" spans the open ends', async () => {
      const { store, key, ids } = await boundaryBuffer();
      expect(idsOf(await store.range(key, "-", "+"))).toEqual(ids);
      expect(idsOf(await store.range(key, "-", "999-1"))).toEqual(["999-0", "999-1"]);
      expect(idsOf(await store.range(key, "999-10", "+"))).toEqual(["999-10", "1000-0", "1000-1"]);
    });

    it("§8.7 range with count returns the oldest matching entries", async () => {
      const { store, key, ids } = await boundaryBuffer();
      expect(idsOf(await store.range(key, "-", "+", 2))).toEqual(ids.slice(0, 2));
      expect(idsOf(await store.range(key, "999-9", "+", 3))).toEqual(["999-9", "999-10", "1000-0"]);
      expect(idsOf(await store.range(key, "999-10", "1000-1", 100))).toEqual(["999-10", "1000-0", "1000-1"]);
    });
  });
}
