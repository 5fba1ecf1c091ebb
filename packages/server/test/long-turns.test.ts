import type { LanguageModelV4, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { compareEventCursors, HEADERS, parseEventId } from "@chat-replay/protocol";
import { type UIMessage, type UIMessageChunk, uiMessageChunkSchema } from "ai";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { MemorySessionStore } from "../src/memory-session-store";
import { MemoryStreamStore } from "../src/memory-stream-store";
import { RedisSessionStore } from "../src/redis-session-store";
import { RedisStreamStore } from "../src/redis-stream-store";
import { createScriptedModel } from "../src/scripted-model";
import type { SessionStore } from "../src/session-store";
import type { StreamStore } from "../src/stream-store";
import { assemble, normalize, readEvents, startServer, type TestClient } from "./harness";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./redis-env";

// §4/§6/§8.54–58: turns 10–100× longer than the buffer's cap (max-len 64). Late readers at
// random points — without a cursor, with a valid cursor, with a trimmed cursor, on another
// instance, with drops at random offsets — and the stored history all equal the live stream.

const MAX_LEN = 64;

interface Gate {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function gate(): Gate {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A scripted model whose stream stops before chosen chunk indices until the test releases it. */
function pacedModel(pauses: readonly number[]) {
  const inner = createScriptedModel({ defaults: { delayMs: 0 } });
  const reached = new Map<number, Gate>();
  const released = new Map<number, Gate>();
  for (const pause of pauses) {
    reached.set(pause, gate());
    released.set(pause, gate());
  }
  let index = 0;
  const model: LanguageModelV4 = {
    ...inner,
    doGenerate: (options) => inner.doGenerate(options),
    doStream: async (options) => {
      const result = await inner.doStream(options);
      const gate = new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
        async transform(part, controller) {
          const at = index++;
          const pause = reached.get(at);
          if (pause) {
            pause.resolve();
            await released.get(at)!.promise;
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(gate) };
    },
  };
  return {
    model,
    /** Resolves true when the model reached chunk `at`, false when the turn ended before. */
    reached: (at: number, ended: Promise<unknown>) =>
      Promise.race([reached.get(at)!.promise.then(() => true), ended.then(() => false)]),
    release: (at: number) => released.get(at)!.resolve(),
    releaseAll: () => {
      for (const gate of released.values()) gate.resolve();
    },
  };
}

/** What one following client has applied so far (mutated as frames arrive). */
interface Progress {
  chunks: UIMessageChunk[];
  ids: string[];
  cursor: string | null;
  /** The turn ended while the client's cursor was stale: it adopts history instead (§7). */
  adoptsHistory: boolean;
  stale: number;
  /** Responses the server ended early (not a planned drop): a reader far behind a trim. */
  cuts: number;
}

const fresh = (): Progress => ({
  chunks: [],
  ids: [],
  cursor: null,
  adoptsHistory: false,
  stale: 0,
  cuts: 0,
});
const copy = (progress: Progress): Progress => ({
  ...progress,
  chunks: [...progress.chunks],
  ids: [...progress.ids],
});

/**
 * Follows a turn like the transport does: resumes with its cursor; a full replay rebuilds
 * the bubble from scratch (§7 replay rebuild); a finish-only answer means "read history".
 * `first` is a POST response to continue from (its frames are appended). Drops the
 * connection after `drops[n]` numbered frames of its n-th response. Returns at `finish`.
 */
async function follow(
  clients: readonly TestClient[],
  sessionId: string,
  progress: Progress,
  drops: readonly number[],
  first?: Response,
): Promise<Progress> {
  for (let attempt = 0; ; attempt++) {
    const client = clients[attempt % clients.length]!;
    const response =
      attempt === 0 && first ? first : await client.stream(sessionId, progress.cursor ?? undefined);
    if (response.status === 204) return { ...progress, adoptsHistory: true };
    expect(response.status).toBe(200);
    if (response.headers.get(HEADERS.cursor) === "stale") progress.stale++;
    const rebuild = !(attempt === 0 && first) && response.headers.get(HEADERS.replayMode) !== "resume";
    const stopAfter = drops[attempt];
    let started = false;
    let finished = false;
    const reading = readEvents(response, {
      ...(stopAfter === undefined ? {} : { stopAfter }),
      onEvent: (event) => {
        if (event.data === "[DONE]" || finished) return;
        const chunk = JSON.parse(event.data) as UIMessageChunk;
        checks.push(Promise.resolve(uiMessageChunkSchema().validate?.(chunk) ?? { success: true }));
        if (chunk.type === "start") {
          started = true;
          if (rebuild) {
            progress.chunks = [];
            progress.ids = [];
          }
          return;
        }
        if (chunk.type === "finish") {
          finished = true;
          if (!started && rebuild) progress.adoptsHistory = true;
          return;
        }
        progress.chunks.push(chunk);
        if (event.id !== undefined) {
          progress.ids.push(event.id);
          progress.cursor = event.id;
        }
      },
    });
    // A reader the server cut (entries trimmed from under it, §6) is a drop like any other.
    await reading.catch((error: unknown) => {
      if (!(error instanceof TypeError)) throw error;
    });
    if (finished) return progress;
    if (stopAfter === undefined) progress.cuts++;
  }
}

/** Chunk validations (the AI SDK's own schema), awaited at the end of a run. */
const checks: Promise<{ success: boolean }>[] = [];

/** A message without part ids, to compare content across two runs of the same turn. */
function withoutPartIds(message: unknown): unknown {
  return JSON.parse(JSON.stringify(message), (key, value) =>
    key === "id" && typeof value === "string" && /^\d+-\d+/.test(value) ? undefined : value,
  );
}

/** Frame ids strictly increase: no duplicate, nothing out of order. */
function expectIncreasing(ids: readonly string[]): void {
  for (let index = 1; index < ids.length; index++) {
    const before = parseEventId(ids[index - 1]!)!;
    const after = parseEventId(ids[index]!)!;
    expect(compareEventCursors(before, after), `${ids[index - 1]} then ${ids[index]}`).toBeLessThan(0);
  }
}

async function message(chunks: readonly UIMessageChunk[], messageId: string): Promise<unknown> {
  return normalize(await assemble([{ type: "start", messageId }, ...chunks, { type: "finish" }]));
}

interface Stores {
  streamStore(): StreamStore;
  sessionStore(): SessionStore;
  /** Several server instances on the same stores (Redis), or one (memory). */
  readonly instances: number;
}

const turnArbitrary = fc.record({
  reasoning: fc.integer({ min: 50, max: 1500 }),
  words: fc.integer({ min: 500, max: 4000 }),
  tool: fc.boolean(),
  approval: fc.boolean(),
  /** Where late readers attach, as fractions of the model's chunks. */
  pauses: fc.uniqueArray(fc.integer({ min: 2, max: 97 }), { minLength: 2, maxLength: 4 }),
  drops: fc.array(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 3 }), {
    minLength: 9,
    maxLength: 9,
  }),
});

function describeLongTurns(name: string, stores: Stores, numRuns: number) {
  describe(`long turns past the trim point: ${name}`, () => {
    it(`§8.55 late readers (no cursor, valid cursor, trimmed cursor${stores.instances > 1 ? ", other instance" : ""}, drops) and history all equal the live transcript`, async () => {
      let staleSeen = 0;
      const seed = Number(process.env.LONG_TURN_SEED ?? Date.now() % 100_000);
      console.log(`long turns (${name}): seed ${seed}, ${numRuns} runs`);
      await fc.assert(
        fc.asyncProperty(turnArbitrary, async (turn) => {
          staleSeen += await runLongTurn(stores, turn);
        }),
        { numRuns, seed, endOnFailure: true },
      );
      // The trimmed-cursor readers must really have met trimmed cursors.
      expect(staleSeen).toBeGreaterThan(0);
    }, 240_000);
  });
}

type LongTurn = typeof turnArbitrary extends fc.Arbitrary<infer T> ? T : never;

function promptOf(turn: LongTurn): string {
  return [
    "long",
    `[[reasoning=${turn.reasoning}]]`,
    `[[words=${turn.words}]]`,
    // The approval tool needs a human decision; `search` runs at once.
    turn.approval ? "[[tool=deploy]] [[approval]]" : turn.tool ? "[[tool=search]]" : "",
    "[[delay=0]]",
  ].join(" ");
}

/** Runs a whole turn (both phases) on `client`, following it to its end. */
async function runTurn(
  clients: readonly TestClient[],
  sessionId: string,
  turn: LongTurn,
  progress: Progress,
  onPhase0?: () => void,
): Promise<void> {
  const sender = clients[0]!;
  await follow(clients, sessionId, progress, [], await sender.send(sessionId, promptOf(turn)));
  if (!turn.approval) return;
  onPhase0?.();
  await sender.waitForStatus(sessionId, (status) => status.turn_status === "waiting_for_approval");
  const request = progress.chunks.find((chunk) => chunk.type === "tool-approval-request");
  const approvalId = request && "approvalId" in request ? request.approvalId : "";
  const continued = await sender.request(`/api/sessions/${sessionId}/continue`, {
    method: "POST",
    body: JSON.stringify({ decisions: [{ approvalId, approved: true }] }),
  });
  await follow(clients, sessionId, progress, [], continued);
}

/** The turn on a server that never trims (cap far above its length): the reference transcript. */
async function referenceTranscript(turn: LongTurn): Promise<{ whole: unknown; atPause: unknown }> {
  const { client } = await startServer({ streamStore: new MemoryStreamStore({ maxLength: 1_000_000 }) });
  const sessionId = await client.createSession();
  const progress = fresh();
  let atPause: UIMessageChunk[] | null = null;
  await runTurn([client], sessionId, turn, progress, () => {
    atPause = progress.chunks.slice();
  });
  return {
    whole: await message(progress.chunks, "s:r"),
    atPause: atPause === null ? null : await message(atPause as UIMessageChunk[], "s:r"),
  };
}

async function runLongTurn(stores: Stores, turn: LongTurn): Promise<number> {
  const reference = await referenceTranscript(turn);
  const chunks = turn.reasoning + turn.words;
  const pauses = [...new Set(turn.pauses.map((percent) => Math.floor((chunks * percent) / 100)))].sort(
    (a, b) => a - b,
  );
  const paced = pacedModel(pauses);
  const servers = [];
  for (let index = 0; index < stores.instances; index++) {
    servers.push(
      await startServer({
        model: paced.model,
        streamStore: stores.streamStore(),
        sessionStore: stores.sessionStore(),
      }),
    );
  }
  const owner = servers[0]!.client;
  const sessionId = await owner.createSession();
  // One owner, several instances: every client carries the owner's cookie.
  const clients = servers.map((server) => {
    const client = server.newClient();
    client.cookie = owner.cookie;
    return client;
  });
  const rotate = (offset: number) => clients.map((_, index) => clients[(index + offset) % clients.length]!);

  const sender = fresh();
  let senderAtPause: UIMessageChunk[] | null = null;
  let early: Progress | null = null;
  const senderDone = runTurn(clients, sessionId, turn, sender, () => {
    senderAtPause = sender.chunks.slice();
  });
  senderDone.catch(() => {});
  const readers: Promise<Progress>[] = [];
  let dropIndex = 0;
  const nextDrops = () => turn.drops[dropIndex++ % turn.drops.length]!;
  for (const pause of pauses) {
    if (!(await paced.reached(pause, senderDone))) break;
    if (early === null && sender.ids.length >= 2) early = copy(sender);
    const order = readers.length;
    // No cursor: a reload, a second tab, a new device.
    readers.push(follow(rotate(order), sessionId, fresh(), nextDrops()));
    // A valid cursor: the sender's state right now.
    if (sender.cursor !== null) readers.push(follow(rotate(order + 1), sessionId, copy(sender), nextDrops()));
    // An old cursor: trimmed by now in most turns, so a stale full replay (rebuild).
    if (early !== null) readers.push(follow(rotate(order + 2), sessionId, copy(early), nextDrops()));
    paced.release(pause);
  }
  paced.releaseAll();
  await senderDone;
  await owner.waitForStatus(sessionId, (status) => status.turn_status === "idle");

  expectIncreasing(sender.ids);
  const whole = await message(sender.chunks, "s:r");
  const atPause = senderAtPause === null ? null : await message(senderAtPause, "s:r");
  // Same content as a turn that was never trimmed (part ids differ: they come from entry ids).
  expect(withoutPartIds(whole)).toEqual(withoutPartIds(reference.whole));
  if (atPause !== null) expect(withoutPartIds(atPause)).toEqual(withoutPartIds(reference.atPause));
  const history = (await owner.history(sessionId)).filter((entry: UIMessage) => entry.role === "assistant");
  expect(history).toHaveLength(1);
  // History carries exactly the live ids.
  expect({ ...(normalize(history[0]) as object), id: "s:r" }).toEqual(whole);
  if (process.env.LONG_TURN_VERBOSE) {
    const done = await Promise.all(readers);
    console.log(
      `frames ${sender.ids.length}, readers ${readers.length}, sender stale ${sender.stale}, adopted ${done.filter((r) => r.adoptsHistory).length}, cuts ${done.map((r) => r.cuts).join(",")}`,
    );
  }
  let stale = sender.stale;
  for (const reader of await Promise.all(readers)) {
    stale += reader.stale;
    // A late reader is served, not cut again and again until the turn is over.
    expect(reader.cuts).toBeLessThanOrEqual(2);
    if (reader.adoptsHistory) continue;
    expectIncreasing(reader.ids);
    const got = await message(reader.chunks, "s:r");
    if (atPause !== null && JSON.stringify(got) === JSON.stringify(atPause)) continue;
    expect(got).toEqual(whole);
  }
  for (const result of await Promise.all(checks.splice(0))) expect(result.success).toBe(true);
  await Promise.all(servers.map((server) => server.close()));
  return stale;
}

describeLongTurns(
  "memory",
  {
    streamStore: () => new MemoryStreamStore({ maxLength: MAX_LEN }),
    sessionStore: () => new MemorySessionStore(),
    instances: 1,
  },
  Number(process.env.LONG_TURN_RUNS ?? 12),
);

describeWithRedis("long turns on Redis", (url) => {
  const prefix = uniquePrefix("long");
  afterAll(async () => {
    await deleteKeys(url, prefix);
  });
  describeLongTurns(
    "Redis, two instances",
    {
      streamStore: () => new RedisStreamStore({ redis: url, maxLength: MAX_LEN }),
      sessionStore: () => new RedisSessionStore({ redis: url, keyPrefix: prefix }),
      instances: 2,
    },
    Number(process.env.LONG_TURN_REDIS_RUNS ?? 6),
  );
});

describe("history of a very long turn", () => {
  it("§8.57 a 100,000-delta turn's stored history equals what was streamed", async () => {
    // The scripted model's word bound is raised explicitly for this turn.
    const model = createScriptedModel({ defaults: { delayMs: 0 }, limits: { maxWords: 100_000 } });
    const { client } = await startServer({ model });
    const sessionId = await client.createSession();
    const { events } = await readEvents(await client.send(sessionId, "huge [[words=100000]] [[delay=0]]"));
    const chunks = events.filter((event) => event.data !== "[DONE]").map((event) => JSON.parse(event.data));
    const deltas = chunks.filter((chunk) => chunk.type === "text-delta").length;
    expect(deltas).toBeGreaterThanOrEqual(100_000);
    const streamed = normalize(await assemble(chunks));
    await client.waitForStatus(sessionId, (status) => status.turn_status === "idle");
    const assistant = (await client.history(sessionId)).find((entry) => entry.role === "assistant");
    expect(normalize(assistant)).toEqual(streamed);
  }, 120_000);
});
