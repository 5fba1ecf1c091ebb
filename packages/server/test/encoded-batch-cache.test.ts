import { type BufferEntry, INITIAL_ADAPTER_STATE, type StoredEntry } from "@chat-replay/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EncodedBatches } from "../src/frame-stream/encoded-batch-cache";
import { FrameFolder } from "../src/frame-stream/frame-folder";
import { MemorySessionStore } from "../src/memory-session-store";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { createScriptedModel } from "../src/scripted-model";
import { readText, startServer } from "./harness";

// §4 encode once, write many, for readers that catch up: full catch-up batches are folded
// and encoded once per process and their bytes shared by every later reader of the turn.

afterEach(() => {
  vi.restoreAllMocks();
});

const decoder = new TextDecoder();
const BATCH = 1024;

/** Two servers on the same stores: `cached` with the default batch cache, `plain` with none. */
async function twoServers() {
  const streamStore = new MemoryStreamStore({ maxLength: 100_000 });
  const sessionStore = new MemorySessionStore();
  const model = createScriptedModel({ defaults: { delayMs: 0 }, limits: { maxWords: 20_000 } });
  const cached = await startServer({ streamStore, sessionStore, model });
  const plain = await startServer({ streamStore, sessionStore, model, limits: { replayCacheBytes: 0 } });
  return { cached, plain };
}

/** The ids of a finished turn's entries (`<entry>:<frame>` ids of the frames, entry part). */
function entryIdsOf(body: string): string[] {
  const ids = [...body.matchAll(/^id: ([^:\n]+):\d+$/gm)].map((match) => match[1]!);
  return [...new Set(ids)];
}

describe("encoded catch-up batches (§4 encode once, write many)", () => {
  it("a replay after the first takes its batches' bytes from the cache, byte for byte what a server without the cache sends; readers from other cursors join the kept batches", async () => {
    const { cached, plain } = await twoServers();
    const client = cached.client;
    const sessionId = await client.createSession();
    const live = await readText(await client.send(sessionId, "long [[words=6000]] [[delay=0]]"));
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const entryIds = entryIdsOf(live);
    expect(entryIds.length).toBeGreaterThan(5 * BATCH);
    // The plain server accepts the same owner cookie (same secret): the same owner on both.
    const other = plain.newClient();
    other.cookie = client.cookie;

    const get = vi.spyOn(EncodedBatches.prototype, "get");
    const hits = () => get.mock.results.filter((result) => result.value !== null).length;
    const same = async (cursor: string) => {
      const body = await readText(await client.stream(sessionId, cursor));
      expect(body).toBe(await readText(await other.stream(sessionId, cursor)));
    };
    // The first frame (row 1 of the bench): its batches after the first are kept.
    await same(`${entryIds[0]}:0`);
    expect(hits()).toBe(0);
    // A reader from elsewhere in the turn starts at another checkpoint, so its reads do not
    // line up with the kept batches: its first read is cut where a kept batch starts, and
    // from there on it is served from them (on its very first replay).
    await same(`${entryIds[600]}:0`);
    expect(hits()).toBeGreaterThanOrEqual(Math.floor(entryIds.length / BATCH) - 2);
    for (const cursor of [`${entryIds[0]}:0`, `${entryIds[1500]}:0`, `${entryIds[3333]}`]) {
      const before = hits();
      await same(cursor);
      await same(cursor);
      // Served from kept batches: at least the full batches after its first.
      expect(hits() - before).toBeGreaterThanOrEqual(Math.floor((entryIds.length - 3500) / BATCH));
    }
    // Full replays (no cursor: snapshot, then entries) are unchanged too.
    expect(await readText(await client.stream(sessionId))).toBe(
      await readText(await other.stream(sessionId)),
    );
  }, 60_000);
});

describe("EncodedBatches", () => {
  const deltas = (count: number, from = 0): BufferEntry[] =>
    Array.from({ length: count }, (_, index) => ({ type: "text-delta", part: 0, text: `w${from + index} ` }));

  async function storedTurn(entries: readonly BufferEntry[]): Promise<StoredEntry[]> {
    const store = new MemoryStreamStore({ maxLength: 100_000 });
    await store.appendMany("k", entries);
    return store.read("k", "0-0", { count: entries.length });
  }

  it("takes a kept batch only for the same read (count and last id), stopping phase and fold state", async () => {
    const entries = await storedTurn([{ type: "text-start", part: 0 }, ...deltas(BATCH - 1)]);
    const batches = new EncodedBatches(1 << 20);
    const folder = new FrameFolder(INITIAL_ADAPTER_STATE, 0, null, { entries: noEntries, batches, key: "k" });
    const folded = folder.fold(entries, { after: "0-0", catchUp: true });
    expect(batches.size).toBe(1);
    const hit = batches.get("k", "0-0", entries, structuredClone(INITIAL_ADAPTER_STATE), 0);
    expect(hit?.bytes).toBe(folded.bytes);
    // A read that came back shorter or different (trimmed meanwhile, another buffer) misses.
    expect(batches.get("k", "0-0", entries.slice(0, -1), INITIAL_ADAPTER_STATE, 0)).toBeNull();
    expect(batches.get("k", "0-0", entries.slice(1), INITIAL_ADAPTER_STATE, 0)).toBeNull();
    expect(batches.get("other", "0-0", entries, INITIAL_ADAPTER_STATE, 0)).toBeNull();
    // Another stopping phase, or another fold state before it, never shares the bytes.
    expect(batches.get("k", "0-0", entries, INITIAL_ADAPTER_STATE, 1)).toBeNull();
    const otherState = { openParts: [], toolCalls: { x: { open: true } } } as never;
    expect(batches.get("k", "0-0", entries, otherState, 0)).toBeNull();
  });

  it("a reader with a higher stopping phase folds past a pause end another reader's batch stopped at", async () => {
    const entries = await storedTurn([
      { type: "text-start", part: 0 },
      ...deltas(10),
      { type: "end", reason: "pause", phase: 0 },
      ...deltas(BATCH - 12, 10),
    ]);
    const batches = new EncodedBatches(1 << 20);
    const cache = { entries: noEntries, batches, key: "k" };
    const stopped = new FrameFolder(INITIAL_ADAPTER_STATE, 0, null, cache).fold(entries, {
      after: "0-0",
      catchUp: true,
    });
    expect(stopped.done).toBe(true);
    const onward = new FrameFolder(INITIAL_ADAPTER_STATE, 1, null, cache).fold(entries, {
      after: "0-0",
      catchUp: true,
    });
    expect(onward.done).toBe(false);
    expect(decoder.decode(onward.bytes)).toContain(`w${BATCH - 3} `);
    expect(decoder.decode(stopped.bytes)).not.toContain(`w${BATCH - 3} `);
  });

  it("holds at most its budget, dropping the least recently used batch first", async () => {
    const batches = new EncodedBatches(10_000);
    const batch = (size: number) => ({
      before: INITIAL_ADAPTER_STATE,
      after: INITIAL_ADAPTER_STATE,
      stopPhase: 0,
      count: 1,
      lastId: "1-0",
      bytes: new Uint8Array(size),
      done: false,
    });
    const one: StoredEntry[] = [{ id: "1-0", entry: { type: "text-delta", part: 0, text: "x" } }];
    for (let index = 0; index < 10; index++) batches.set("k", `${index}-0`, batch(1_000));
    expect(batches.bytes).toBe(10_000);
    // Touch the oldest, then add one more: the second oldest goes, the touched one stays.
    expect(batches.get("k", "0-0", one, INITIAL_ADAPTER_STATE, 0)).not.toBeNull();
    batches.set("k", "10-0", batch(1_000));
    expect(batches.bytes).toBeLessThanOrEqual(10_000);
    expect(batches.has("k", "0-0")).toBe(true);
    expect(batches.has("k", "1-0")).toBe(false);
    // A batch bigger than an eighth of the budget is not kept at all.
    batches.set("k", "big", batch(2_000));
    expect(batches.has("k", "big")).toBe(false);
  });

  it("a read that only partly covers kept batches is cut where the first of them starts", async () => {
    const entries = await storedTurn(deltas(3 * BATCH));
    const batches = new EncodedBatches(1 << 24);
    batches.set("k", entries[700]!.id, {
      before: INITIAL_ADAPTER_STATE,
      after: INITIAL_ADAPTER_STATE,
      stopPhase: 0,
      count: BATCH,
      lastId: entries[700 + BATCH]!.id,
      bytes: new Uint8Array(1),
      done: false,
    });
    expect(batches.startIndex("k", entries.slice(0, BATCH))).toBe(700);
    expect(batches.startIndex("k", entries.slice(701, 701 + BATCH))).toBe(-1);
    expect(batches.startIndex("other", entries.slice(0, BATCH))).toBe(-1);
  });
});

/** No per-entry cache (the tail window's): these tests look at batches only. */
const noEntries = { get: () => null, set: () => {} };
