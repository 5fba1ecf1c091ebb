// One server instance in its own process, driven over IPC by `rpc.ts`: ours (memory or
// Redis stores), the bare `node:http` reference, or the peer (resumable-stream). It also
// produces: appends to our buffers or pushes chunks into the peer's stream, in-process like
// a turn runner would.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BufferEntry } from "@chat-replay/protocol";
import {
  createReplayServer,
  defaultSnapshotEvery,
  MemorySessionStore,
  MemoryStreamStore,
  type ReplayServer,
  type SessionStore,
  type StreamStore,
  TurnSnapshotter,
} from "@chat-replay/server";
import { serveNode } from "@chat-replay/server/node";
import { createRedisStores } from "@chat-replay/server/redis";
import { createScriptedModel, writerStreamStore } from "@chat-replay/server/testing";
import { serve } from "@hono/node-server";
import { createClient } from "redis";
import { createResumableStreamContext, type ResumableStreamContext } from "resumable-stream";
import { type Op, serveOps } from "./ipc";
import { observabilityOptions } from "./observability-options";
import { monoNs, now, sleep } from "./stats";

interface Ours {
  readonly server: ReplayServer;
  readonly http: http.Server;
  /**
   * More servers of ours in this process on the same stores (`ours.start`'s `extra`): row 10
   * compares observability variants on one heap and one JIT, row 1 a server without the
   * batch cache.
   */
  readonly extra: http.Server[];
  readonly streamStore: StreamStore;
  /**
   * Each server's stream store as its own runner writes to it (`writerStreamStore`: its
   * appends feed that server's readers, §4 local feed), by name: `main` and each `extra`.
   */
  readonly writers: ReadonlyMap<string, StreamStore>;
  readonly sessionStore: SessionStore;
  readonly keyPrefix: string;
  readonly token: string;
  /** Entries between snapshot refreshes: the server's own interval (`limits.snapshotEvery`). */
  readonly snapshotEvery: number;
  /** One snapshotter per turn buffer this process writes, kept for the turn's life like the runner's. */
  readonly snapshotters: Map<string, TurnSnapshotter>;
}

/** Entries per `appendMany` when `ours.createTurn` writes a turn (the runner's pipelined batches). */
const CREATE_BATCH = 64;

/**
 * The turn runner's write path (turn-runner.ts `consume`): append a batch, then tell the
 * turn's `TurnSnapshotter`, which refreshes the stored snapshot every `snapshotEvery` entries.
 */
async function produce(
  o: Ours,
  key: string,
  entries: readonly BufferEntry[],
  writer: StreamStore,
): Promise<string[]> {
  const ids = await writer.appendMany(key, entries);
  await snapshotterOf(o, key).appended(entries.length);
  return ids;
}

/** The writer store of the server named by `args.via` (`main` when absent). */
function writerOf(o: Ours, args: Record<string, unknown>): StreamStore {
  const name = String(args.via ?? "main");
  const writer = o.writers.get(name);
  if (!writer) throw new Error(`no server ${name}`);
  return writer;
}

function snapshotterOf(o: Ours, key: string): TurnSnapshotter {
  let snapshotter = o.snapshotters.get(key);
  if (!snapshotter) {
    snapshotter = new TurnSnapshotter(o.streamStore, key, o.snapshotEvery);
    o.snapshotters.set(key, snapshotter);
  }
  return snapshotter;
}

/**
 * The end of a turn as `endTurn` (turn-lifecycle.ts) writes it: the snapshot is brought up
 * to date (history assembly), then the final end marker is appended on its own.
 */
async function produceEnd(o: Ours, key: string, writer: StreamStore): Promise<string> {
  await snapshotterOf(o, key).refresh();
  o.snapshotters.delete(key);
  return writer.append(key, { type: "end", reason: "final", phase: 0 });
}

interface PeerStream {
  readonly go: Deferred;
  readonly release: Deferred;
  readonly ready: Deferred;
  readonly done: Deferred;
  read: number;
}

interface Peer {
  readonly ctx: ResumableStreamContext;
  readonly http: http.Server;
  readonly clients: { quit(): Promise<unknown> }[];
  readonly streams: Map<string, PeerStream>;
}

class Deferred {
  resolve!: () => void;
  readonly promise = new Promise<void>((resolve) => {
    this.resolve = resolve;
  });
}

let ours: Ours | null = null;
let raw: http.Server | null = null;
/** Row 4's bare reference: the open responses of its node:http server. */
const rawFanout = new Set<http.ServerResponse>();
let peer: Peer | null = null;
const rawFrames: { single: Buffer[]; batches: Buffer[] } = { single: [], batches: [] };

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "x-vercel-ai-ui-message-stream": "v1",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function serveFetch(
  fetch: (request: Request) => Promise<Response>,
): Promise<{ http: http.Server; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ http: server as http.Server, port: info.port }),
    ) as http.Server;
  });
}

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} not started`);
  return value;
}

const ops: Record<string, Op> = {
  usage: async () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return { cpuMs: (cpu.user + cpu.system) / 1000, rss: memory.rss, heapUsed: memory.heapUsed };
  },

  gc: async () => {
    (globalThis as { gc?: () => void }).gc?.();
    return null;
  },

  /** Our server on the memory stores or on Redis. */
  "ours.start": async (args) => {
    const maxLength = Number(args.maxLength ?? 10_000);
    const keyPrefix = String(args.keyPrefix);
    let streamStore: StreamStore;
    let sessionStore: SessionStore;
    if (args.store === "redis") {
      const redis = createRedisStores({
        url: String(args.redisUrl),
        keyPrefix,
        maxLength,
        connectionName: String(args.connectionName ?? "chat-replay-bench"),
        // A Redis Cluster: `redisUrl` is a seed node; keys of a session share its hash slot.
        ...(args.cluster ? { cluster: true } : {}),
        log: () => {},
      });
      if (!(await redis.whenAvailable(5000))) throw new Error("Redis stores not available");
      streamStore = redis.streamStore;
      sessionStore = redis.sessionStore;
    } else {
      streamStore = new MemoryStreamStore({ maxLength });
      sessionStore = new MemorySessionStore();
    }
    // The server's default interval, passed explicitly so the producers below use the same one.
    const snapshotEvery = Number(args.snapshotEvery ?? defaultSnapshotEvery(streamStore));
    const create = (observability: unknown, replayCacheBytes?: number) =>
      createReplayServer({
        streamStore,
        sessionStore,
        keyPrefix,
        model: createScriptedModel({ defaults: { delayMs: 0 } }),
        // Shared by every instance of a run, so a token minted by the bench works on all of them.
        secret: String(args.secret),
        // The bench measures speed, not the abuse limits: none of them may refuse its clients.
        limits: {
          maxStreamsPerSession: 100_000,
          maxStreamsPerOwner: 100_000,
          maxStreams: 100_000,
          maxSessionsPerOwner: 100_000,
          maxTurnsPerMinute: 100_000,
          snapshotEvery,
          ...(replayCacheBytes === undefined ? {} : { replayCacheBytes }),
        },
        timing: { leaseMs: 3_600_000 },
        // Row 10 (issue 20): metrics and spans off (default), on with no SDK, or recorded.
        ...observabilityOptions(observability),
      });
    const server = create(args.observability);
    const { http: httpServer, port } = await serveNode(server, { port: 0 });
    // `extra`: more servers by name on the same stores, each with its own observability
    // (row 10) or batch cache (row 1); their ports are returned by name.
    const wanted =
      (args.extra as Record<string, { observability?: string; replayCacheBytes?: number }>) ?? {};
    const extra: http.Server[] = [];
    const ports: Record<string, number> = {};
    const writers = new Map<string, StreamStore>([["main", writerStreamStore(server)]]);
    for (const [name, settings] of Object.entries(wanted)) {
      const extraServer = create(settings.observability, settings.replayCacheBytes);
      const started = await serveNode(extraServer, { port: 0 });
      extra.push(started.http);
      ports[name] = started.port;
      writers.set(name, writerStreamStore(extraServer));
    }
    ours = {
      server,
      http: httpServer,
      extra,
      streamStore,
      writers,
      sessionStore,
      keyPrefix,
      token: String(args.token),
      snapshotEvery,
      snapshotters: new Map(),
    };
    return { port, ports, snapshotEvery };
  },

  /** Drops turn buffers a measurement is done with (they expire at once), so the heap stays flat. */
  "ours.drop": async (args) => {
    const o = need(ours, "ours");
    await Promise.all((args.keys as string[]).map((key) => o.streamStore.expire(key, 1)));
    return null;
  },

  /**
   * A session whose turn holds exactly `entries` entries (text-start, then text deltas of
   * `text`), written into the buffer the way the turn runner writes it: `appendMany` in
   * batches of {@link CREATE_BATCH}, each followed by the turn's `TurnSnapshotter`, so the
   * stored snapshot and checkpoints are what production would leave. Running (lease of an
   * hour, no runner) unless `end`, which refreshes the snapshot, appends the final end
   * marker and finalizes it (as `endTurn`). Returns the ids a reader needs and where the
   * snapshot stands (`snapshotId`, `tail` = entries after it).
   */
  "ours.createTurn": async (args) => {
    const o = need(ours, "ours");
    const entries = Number(args.entries);
    const text = String(args.text ?? "x");
    const response = await o.server.fetch(
      new Request("http://bench/api/sessions", {
        method: "POST",
        headers: { authorization: `Bearer ${o.token}`, "content-type": "application/json" },
        body: "{}",
      }),
    );
    if (!response.ok) throw new Error(`POST /api/sessions answered ${response.status}`);
    const sessionId = ((await response.json()) as { id: string }).id;
    const runId = crypto.randomUUID();
    const streamId = crypto.randomUUID();
    const begun = await o.sessionStore.beginTurn(sessionId, {
      runId,
      streamId,
      prompt: "bench",
      promptMessageId: `bench-${runId}`,
      leaseMs: 3_600_000,
    });
    if (!begun.ok) throw new Error("beginTurn refused");
    const key = `${o.keyPrefix}:{${sessionId}}:${streamId}`; // as the server's streamKey (session id = hash tag)
    const ids: string[] = [];
    const entryAt = (index: number): BufferEntry =>
      index === 0 ? { type: "text-start", part: 0 } : { type: "text-delta", part: 0, text };
    for (let from = 0; from < entries; from += CREATE_BATCH) {
      const batch: BufferEntry[] = [];
      for (let index = from; index < Math.min(entries, from + CREATE_BATCH); index++)
        batch.push(entryAt(index));
      ids.push(...(await produce(o, key, batch, writerOf(o, args))));
    }
    if (args.end) {
      ids.push(await produceEnd(o, key, writerOf(o, args)));
      await o.sessionStore.finalizeTurn(sessionId, runId, "idle");
    }
    const snapshot = await o.streamStore.readSnapshot(key);
    const snapshotId = snapshot?.entryId ?? null;
    return {
      sessionId,
      runId,
      streamId,
      key,
      count: ids.length,
      firstId: ids[0] ?? null,
      lastId: ids.at(-1) ?? null,
      penultimateId: ids.at(-2) ?? null,
      snapshotId,
      tail: snapshotId === null ? ids.length : ids.length - 1 - ids.indexOf(snapshotId),
    };
  },

  /**
   * Appends `count` text deltas to each key: paced (`intervalMs`; several keys' appends spread
   * evenly over it), one per event-loop turn
   * (`tick`), or as fast as the store takes them with `window` appends in flight (the turn
   * runner's pipelining). `stamp` puts the monotonic send time (ns) into each delta.
   * `end` appends the final end marker last. Every write goes through {@link produce}, so
   * the turn's snapshot follows the appends as it does under the runner, and through the
   * writer store of server `via` (default `main`), so that server's readers are fed by it.
   */
  "ours.append": async (args) => {
    const o = need(ours, "ours");
    const keys = args.keys as string[];
    const count = Number(args.count);
    const intervalMs = Number(args.intervalMs ?? 0);
    const window = Number(args.window ?? 1);
    const text = String(args.text ?? "x");
    const stamp = Boolean(args.stamp);
    const tick = Boolean(args.tick);
    const writer = writerOf(o, args);
    const cpuBefore = process.cpuUsage();
    const started = now();
    const pending: Promise<unknown>[] = [];
    const batches = new Map<string, BufferEntry[]>();
    for (let index = 0; index < count; index++) {
      for (const [slot, key] of keys.entries()) {
        if (intervalMs > 0) {
          // Several turns' appends are spread evenly over the interval, as independent turns'
          // are, not issued back to back (which would let one read serve them all).
          const wait = started + (index + slot / keys.length) * intervalMs - now();
          if (wait > 0) await sleep(wait);
        }
        const entry: BufferEntry = { type: "text-delta", part: 0, text: stamp ? `@${monoNs()}@` : text };
        if (window > 1) {
          // The turn runner's write path: entries that arrive while a write is in flight go
          // out together as one `appendMany` (see AppendPipeline in turn-runner.ts).
          batches.set(key, [...(batches.get(key) ?? []), entry]);
          if ((batches.get(key)?.length ?? 0) >= window) {
            pending.push(produce(o, key, batches.get(key) ?? [], writer));
            batches.set(key, []);
            await Promise.all(pending.splice(0));
          }
        } else {
          pending.push(produce(o, key, [entry], writer));
          await Promise.all(pending.splice(0));
        }
      }
      if (tick) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const [key, rest] of batches) if (rest.length > 0) await produce(o, key, rest, writer);
    await Promise.all(pending.splice(0));
    if (args.end) await Promise.all(keys.map((key) => produceEnd(o, key, writer)));
    const cpu = process.cpuUsage(cpuBefore);
    return { elapsedMs: now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
  },

  /** The bare `node:http` reference: writes the given pre-formatted frames, one by one or 64 at a time. */
  "raw.start": async (args) => {
    const body = Buffer.from(String(args.body), "utf8");
    const text = body.toString("utf8");
    const single: Buffer[] = [];
    let from = 0;
    for (;;) {
      const end = text.indexOf("\n\n", from);
      if (end < 0) break;
      single.push(Buffer.from(text.slice(from, end + 2), "utf8"));
      from = end + 2;
    }
    const batches: Buffer[] = [];
    for (let index = 0; index < single.length; index += 64) {
      batches.push(Buffer.concat(single.slice(index, index + 64)));
    }
    rawFrames.single = single;
    rawFrames.batches = batches;
    raw = http.createServer(async (req, res) => {
      const frames = req.url?.startsWith("/batch") ? rawFrames.batches : rawFrames.single;
      const perTick = req.url?.startsWith("/tick");
      res.writeHead(200, SSE_HEADERS);
      for (const frame of frames) {
        if (!res.write(frame)) await once(res, "drain");
        // `/tick`: one frame per event-loop turn, the pace of a live turn's appends.
        if (perTick) await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    return { port: await listen(raw), frames: single.length };
  },

  /**
   * Row 4's bare reference: a node:http server that keeps every GET open as an SSE response
   * (a `text-start` frame first, so observers see they are attached).
   */
  "rawFanout.start": async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write('data: {"type":"text-start","id":"0"}\n\n');
      rawFanout.add(res);
      res.on("close", () => rawFanout.delete(res));
    });
    return { port: await listen(server) };
  },

  /**
   * Writes `count` stamped text-delta frames every `intervalMs` to every open response of
   * `rawFanout.start` (one pre-formatted buffer per frame, shared by all), then ends them:
   * the least a process must do to fan a live turn out, for row 4 to set its delays against.
   */
  "rawFanout.send": async (args) => {
    const count = Number(args.count);
    const intervalMs = Number(args.intervalMs);
    const started = now();
    for (let index = 0; index < count; index++) {
      const wait = started + index * intervalMs - now();
      if (wait > 0) await sleep(wait);
      const frame = Buffer.from(
        `id: ${index}\ndata: {"type":"text-delta","id":"0","delta":"@${monoNs()}@"}\n\n`,
        "latin1",
      );
      for (const res of rawFanout) res.write(frame);
    }
    for (const res of rawFanout) res.end();
    rawFanout.clear();
    return null;
  },

  /** The peer: resumable-stream on node-redis clients, followers served over HTTP like ours. */
  "peer.start": async (args) => {
    const url = String(args.redisUrl);
    const publisher = createClient({ url });
    const subscriber = createClient({ url });
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const ctx = createResumableStreamContext({
      waitUntil: null,
      keyPrefix: String(args.keyPrefix),
      publisher: publisher as never,
      subscriber: subscriber as never,
    });
    const { http: httpServer, port } = await serveFetch(async (request) => {
      const url = new URL(request.url);
      const id = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
      const skip = url.searchParams.get("skip");
      const stream = await ctx.resumeExistingStream(id, skip === null ? undefined : Number(skip));
      if (!stream) return new Response(null, { status: 204 });
      return new Response(stream.pipeThrough(new TextEncoderStream()), { headers: SSE_HEADERS });
    });
    peer = { ctx, http: httpServer, clients: [publisher, subscriber], streams: new Map() };
    return { port };
  },

  /**
   * Starts a peer stream of `chunks` copies of `chunk` (the sender's own copy is read and
   * dropped, like an HTTP response). `gate`: nothing flows until `peer.go`. `hold`: the
   * stream stays open (a live turn) until `peer.release`. Resolves once the stream exists,
   * or (without gate) once the producer has pushed every chunk.
   */
  "peer.produce": async (args) => {
    const p = need(peer, "peer");
    const id = String(args.streamId);
    const chunks = Number(args.chunks);
    const chunk = String(args.chunk);
    const state: PeerStream = {
      go: new Deferred(),
      release: new Deferred(),
      ready: new Deferred(),
      done: new Deferred(),
      read: 0,
    };
    if (!args.gate) state.go.resolve();
    if (!args.hold) state.release.resolve();
    p.streams.set(id, state);
    let pushed = 0;
    const stream = await p.ctx.resumableStream(
      id,
      () =>
        new ReadableStream<string>({
          async pull(controller) {
            if (pushed === 0) await state.go.promise;
            if (pushed < chunks) {
              controller.enqueue(chunk);
              pushed++;
              return;
            }
            await state.release.promise;
            controller.close();
          },
        }),
    );
    if (!stream) throw new Error("peer stream already done");
    void (async () => {
      const reader = stream.getReader();
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        if (++state.read === chunks) state.ready.resolve();
      }
      if (chunks === 0) state.ready.resolve();
      state.done.resolve();
    })();
    if (chunks === 0) state.ready.resolve();
    if (!args.gate) await state.ready.promise;
    return null;
  },

  "peer.go": async (args) => {
    const state = need(peer, "peer").streams.get(String(args.streamId));
    state?.go.resolve();
    await state?.ready.promise;
    return null;
  },

  "peer.release": async (args) => {
    const state = need(peer, "peer").streams.get(String(args.streamId));
    state?.release.resolve();
    await state?.done.promise;
    return null;
  },

  close: async () => {
    setTimeout(() => process.exit(0), 2000).unref();
    // Readers cut off by the shutdown log their abort; that is not a bench result.
    console.error = () => {};
    if (peer) {
      for (const state of peer.streams.values()) {
        state.go.resolve();
        state.release.resolve();
      }
      await Promise.race([Promise.all([...peer.streams.values()].map((s) => s.done.promise)), sleep(1000)]);
      peer.http.closeAllConnections();
      await Promise.all(peer.clients.map((client) => client.quit().catch(() => {})));
    }
    if (ours) {
      ours.http.closeAllConnections();
      for (const extra of ours.extra) extra.closeAllConnections();
      await sleep(20);
      await ours.server.close();
    }
    raw?.closeAllConnections();
    setImmediate(() => process.exit(0));
    return null;
  },
};

serveOps(ops);
