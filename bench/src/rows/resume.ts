// Row 2: resume latency at the end of turns of 100 … 100,000 entries (memory, Redis, the
// peer), and full replay for a fresh observer.
import {
  authHeaders,
  type BenchContext,
  DELTA_TEXT,
  type Line,
  PEER_CHUNK,
  PEER_CHUNK_BYTES,
  type RowResult,
} from "../context";
import { open, type StreamHandle } from "../http-client";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, repeat, type Sample, sample, sleep } from "../stats";

export interface Turn {
  sessionId: string;
  runId: string;
  key: string;
  count: number;
  firstId: string;
  lastId: string;
  penultimateId: string;
  /** S, the last entry of the stored snapshot (null: none yet, the turn is shorter than the interval). */
  snapshotId: string | null;
  /** Entries after S: what a full replay folds and sends frame by frame after the snapshot. */
  tail: number;
}

export interface SeriesPoint {
  readonly length: number;
  /** Cursor one entry before the end → that last entry's frame. */
  readonly resume: Sample;
  /**
   * The first resume on an instance that never read the turn (cursor at the second-to-last
   * entry), one sample per fresh turn: it folds from the newest stored checkpoint.
   */
  readonly coldResume: Sample;
  /** No cursor → every frame through the last one (snapshot, then the tail), checked for content. */
  readonly fullReplay: Sample;
  /** Bytes a full replay sent through the last frame, and the text it assembled (all of it). */
  readonly fullReplayBytes: number;
  readonly fullReplayText: number;
  /** Where the stored snapshot stood: S and the entries after it. */
  readonly snapshotId: string | null;
  readonly tail: number;
}

export interface PeerPoint {
  readonly length: number;
  /** skipCharacters = everything but the last chunk → that chunk. */
  readonly resumeSkip: Sample;
  /** No skip: the whole backlog (its full replay). */
  readonly resumeFull: Sample;
}

export interface ResumeData {
  readonly lengths: number[];
  /** Entries between snapshot refreshes on our servers (the default for their stores). */
  readonly snapshotEvery: number;
  readonly memory: SeriesPoint[];
  readonly redis: SeriesPoint[] | null;
  readonly redisSkipped: string | null;
  readonly peer: PeerPoint[] | null;
}

/** Goal of the full replay and the cold first resume (both stores): flat, and small at 100k. */
const FLAT_MAX = 2;
const AT_100K_MAX_MS = 5;

/** Fails a step that would otherwise hang the run (a frame that never arrives). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks that a full replay (read through the frame of the turn's last entry) carried the
 * whole turn: one `text-start`, every delta's text (the snapshot's merged delta plus the
 * tail's), nothing after the last entry's frame. Returns the assembled text length.
 */
function checkFullReplay(body: string, turn: Turn, label: string): number {
  const events = body.split("\n\n");
  let text = 0;
  let starts = 0;
  let lastAt = -1;
  events.forEach((event, index) => {
    let data: string | null = null;
    for (const line of event.split("\n")) {
      if (line === `id: ${turn.lastId}:0` || line === `id: ${turn.lastId}`) lastAt = index;
      if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (data === null || data === "[DONE]") return;
    const chunk = JSON.parse(data) as { type: string; delta?: string };
    if (chunk.type === "text-start") starts++;
    if (chunk.type === "text-delta") text += chunk.delta?.length ?? 0;
  });
  const expected = (turn.count - 1) * DELTA_TEXT.length;
  const problem =
    lastAt < 0
      ? "no frame of the last entry"
      : events.slice(lastAt + 1).some((event) => event.trim() !== "")
        ? "frames after the last entry's"
        : starts !== 1
          ? `${starts} text-start frames`
          : text !== expected
            ? `${text} characters of text instead of ${expected}`
            : null;
  if (problem) throw new Error(`${label}: full replay of ${turn.count} entries incomplete: ${problem}`);
  return text;
}

/**
 * Arrival of the frame of the turn's last entry: `E:0`, or the bare `S` that ends the
 * snapshot frames when the snapshot reaches the last entry.
 */
function lastFrame(handle: StreamHandle, turn: Turn, what: string, ms = 30_000): Promise<number> {
  return within(
    ms,
    what,
    Promise.race([handle.waitFor(`id: ${turn.lastId}:0\n`), handle.waitFor(`id: ${turn.lastId}\n`)]),
  );
}

/**
 * Measures one of our instances: `writer` holds the turns, `reader` (the same instance on
 * the memory store) serves the resumes on `port`.
 */
async function measureOurs(
  ctx: BenchContext,
  label: string,
  writer: Instance,
  reader: { port: number },
  lengths: number[],
): Promise<SeriesPoint[]> {
  const headers = authHeaders(ctx);
  const points: SeriesPoint[] = [];
  const reps = ctx.quick ? ctx.reps : 15;
  const coldTurns = ctx.quick ? 3 : 5;
  // Warm the instance (JIT, sockets) on a throwaway turn, so the first length is not penalized.
  const warm = await writer.call<Turn>("ours.createTurn", { entries: 1000, text: DELTA_TEXT });
  for (let index = 0; index < (ctx.quick ? 12 : 40); index++) {
    const handle = open(reader.port, `/api/sessions/${warm.sessionId}/stream`, {
      headers: { ...headers, ...(index % 2 ? { "last-event-id": `${warm.penultimateId}:0` } : {}) },
    });
    await lastFrame(handle, warm, `${label}: warm-up`);
    handle.close();
  }
  const resumeOnce = async (turn: Turn) => {
    const path = `/api/sessions/${turn.sessionId}/stream`;
    const handle = open(reader.port, path, {
      headers: { ...headers, "last-event-id": `${turn.penultimateId}:0` },
    });
    const at = await within(10_000, `${label}: resume`, handle.waitFor(`id: ${turn.lastId}:0\n`));
    if (handle.headers["x-chat-replay-mode"] !== "resume") throw new Error(`${label}: not resumed`);
    handle.close();
    return at - handle.startedAt;
  };
  // Writing a long turn in one burst leaves garbage behind (on the memory store in the very
  // process that serves the reads): collect it on the writer and let the collector settle,
  // then one resume of the warm-up turn, so a "cold" sample is cold for its turn only, not
  // a process that was just garbage-collected.
  const createTurn = async (length: number) => {
    const turn = await writer.call<Turn>("ours.createTurn", { entries: length, text: DELTA_TEXT });
    await writer.call("gc");
    await sleep(100);
    await resumeOnce(warm);
    return turn;
  };
  for (const length of lengths) {
    ctx.progress(`row 2: ${label}, turn of ${length.toLocaleString()} entries`);
    const turn = await createTurn(length);
    const path = `/api/sessions/${turn.sessionId}/stream`;
    let fullReplayBytes = 0;
    let fullReplayText = 0;
    const fullOnce = async () => {
      const chunks: Buffer[] = [];
      const handle = open(reader.port, path, { headers, onData: (chunk) => chunks.push(chunk) });
      const at = await lastFrame(handle, turn, `${label}: full replay of ${length} entries`);
      handle.close();
      if (handle.headers["x-chat-replay-mode"] !== "full") throw new Error(`${label}: not a full replay`);
      const body = Buffer.concat(chunks);
      fullReplayBytes = body.length;
      fullReplayText = checkFullReplay(body.toString("utf8"), turn, label);
      return at - handle.startedAt;
    };
    // Cold: the very first read of a turn on the reader (nothing of it folded there yet).
    // One sample per turn, so more turns of the same length, each resumed once.
    const cold = [await resumeOnce(turn)];
    for (let index = 1; index < coldTurns; index++) {
      const other = await createTurn(length);
      cold.push(await resumeOnce(other));
    }
    const fullReplay = await repeat(ctx.reps, 1, fullOnce);
    const resume = await repeat(reps, 3, () => resumeOnce(turn));
    points.push({
      length,
      resume: sample(resume),
      coldResume: sample(cold),
      fullReplay: sample(fullReplay),
      fullReplayBytes,
      fullReplayText,
      snapshotId: turn.snapshotId,
      tail: turn.tail,
    });
  }
  return points;
}

async function measurePeer(ctx: BenchContext, lengths: number[]): Promise<PeerPoint[]> {
  const producer = await Instance.start("peer-A");
  const follower = await Instance.start("peer-B");
  try {
    const options = { redisUrl: ctx.redisUrl, keyPrefix: `${ctx.prefix}:peer` };
    await producer.call("peer.start", options);
    const { port } = await follower.call<{ port: number }>("peer.start", options);
    const points: PeerPoint[] = [];
    const reps = ctx.quick ? ctx.reps : 15;
    const warmId = `warm-${crypto.randomUUID()}`;
    await producer.call("peer.produce", { streamId: warmId, chunks: 100, chunk: PEER_CHUNK, hold: true });
    for (let index = 0; index < (ctx.quick ? 12 : 40); index++) {
      const handle = open(port, `/peer/${warmId}${index % 2 ? `?skip=${99 * PEER_CHUNK_BYTES}` : ""}`);
      await handle.waitForBytes(index % 2 ? PEER_CHUNK_BYTES : 100 * PEER_CHUNK_BYTES);
      handle.close();
    }
    await producer.call("peer.release", { streamId: warmId });
    for (const length of lengths) {
      ctx.progress(`row 2: peer (resumable-stream), live stream of ${length.toLocaleString()} chunks`);
      const streamId = `resume-${length}-${crypto.randomUUID()}`;
      await producer.call("peer.produce", { streamId, chunks: length, chunk: PEER_CHUNK, hold: true });
      const total = length * PEER_CHUNK_BYTES;
      const once = (skip: number | null) => async () => {
        const expected = skip === null ? total : total - skip;
        const handle = open(port, `/peer/${streamId}${skip === null ? "" : `?skip=${skip}`}`);
        const at = await handle.waitForBytes(expected);
        handle.close();
        return at - handle.startedAt;
      };
      const resumeSkip = await repeat(reps, 3, once(total - PEER_CHUNK_BYTES));
      const resumeFull = await repeat(ctx.reps, 1, once(null));
      await producer.call("peer.release", { streamId });
      points.push({ length, resumeSkip: sample(resumeSkip), resumeFull: sample(resumeFull) });
    }
    return points;
  } finally {
    await Promise.all([producer.stop(), follower.stop()]);
  }
}

export async function resumeRow(ctx: BenchContext): Promise<RowResult> {
  const lengths = [100, 1_000, 10_000, 100_000];
  const maxLength = Math.max(...lengths) * 2;
  const memoryInstance = await Instance.start("ours-memory");
  let memory: SeriesPoint[];
  let snapshotEvery: number;
  try {
    const started = await memoryInstance.call<{ port: number; snapshotEvery: number }>("ours.start", {
      store: "memory",
      keyPrefix: `${ctx.prefix}:ours`,
      token: ctx.token,
      secret: ctx.secret,
      maxLength,
    });
    snapshotEvery = started.snapshotEvery;
    memory = await measureOurs(ctx, "ours, memory", memoryInstance, { port: started.port }, lengths);
  } finally {
    await memoryInstance.stop();
  }

  let redis: SeriesPoint[] | null = null;
  let redisSkipped: string | null = ctx.redisUnavailable;
  if (!redisSkipped) {
    const a = await Instance.start("ours-redis-A");
    const b = await Instance.start("ours-redis-B");
    try {
      const options = {
        store: "redis",
        redisUrl: ctx.redisUrl,
        keyPrefix: `${ctx.prefix}:ours`,
        token: ctx.token,
        secret: ctx.secret,
        maxLength,
      };
      await a.call("ours.start", { ...options, connectionName: `${ctx.prefix}-A` });
      const { port } = await b.call<{ port: number }>("ours.start", {
        ...options,
        connectionName: `${ctx.prefix}-B`,
      });
      redis = await measureOurs(ctx, "ours, Redis (written by A, resumed on B)", a, { port }, lengths);
    } catch (error) {
      redisSkipped = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }
  const peer = ctx.redisUnavailable ? null : await measurePeer(ctx, lengths);

  const data: ResumeData = { lengths, snapshotEvery, memory, redis, redisSkipped, peer };
  const ms = (values: number[]) => values.map((value) => fmt(value, 2)).join(" / ");
  const oursResume = (series: SeriesPoint[]) => series.map((point) => point.resume.median);
  const peerSkip = peer?.map((point) => point.resumeSkip.median) ?? null;
  const peerFull = peer?.map((point) => point.resumeFull.median) ?? null;
  const ratios = (values: number[], reference: number[] | null) =>
    reference ? values.map((value, index) => fmtRatio(value / reference[index]!)).join(" / ") : "—";
  const flat = (series: SeriesPoint[]) => series.at(-1)!.resume.median / series[0]!.resume.median;
  const lengthsLabel = lengths
    .map((length) => (length >= 1000 ? `${length / 1000}k` : `${length}`))
    .join(" / ");
  const peerRef = (values: number[] | null, what: string) =>
    values ? `peer ${what}: ${ms(values)} ms` : "—";

  const lines: RowResult["lines"] = [];
  const memFlat = flat(memory);
  lines.push({
    row: "2",
    what: `Resume latency, memory, turn of ${lengthsLabel} entries → first new frame`,
    ours: `${ms(oursResume(memory))} ms`,
    reference: peerRef(peerSkip, "(skip all but the last chunk)"),
    ratio: ratios(oursResume(memory), peerSkip),
    goal: "flat: at 100k ≤ 2× at 100",
    verdict: memFlat <= 2 ? "met" : "missed",
  });
  if (redis) {
    const redisFlat = flat(redis);
    const at100k = redis.at(-1)!.resume.median;
    lines.push({
      row: "2",
      what: `Resume latency, Redis (other instance), turn of ${lengthsLabel} entries → first new frame`,
      ours: `${ms(oursResume(redis))} ms`,
      reference: peerRef(peerSkip, "(skip all but the last chunk)"),
      ratio: ratios(oursResume(redis), peerSkip),
      goal: "flat: at 100k ≤ 2× at 100; < 2 ms at 100k",
      verdict: redisFlat <= 2 && at100k < 2 ? "met" : "missed",
    });
  } else {
    lines.push({
      row: "2",
      what: "Resume latency, Redis",
      ours: `not measured (${redisSkipped})`,
      reference: "—",
      ratio: "—",
      goal: "flat: at 100k ≤ 2× at 100; < 2 ms at 100k",
      verdict: "not measured",
    });
  }

  // Full replay and the cold first resume: flat in turn length and ≤ 5 ms at 100k, per store.
  const goal = `flat: at 100k ≤ ${FLAT_MAX}× at 100; ≤ ${AT_100K_MAX_MS} ms at 100k`;
  const verdict = (values: number[]): "met" | "missed" =>
    values.at(-1)! / values[0]! <= FLAT_MAX && values.at(-1)! <= AT_100K_MAX_MS ? "met" : "missed";
  const stores: [string, SeriesPoint[] | null][] = [
    ["memory", memory],
    ["Redis (other instance)", redis],
  ];
  /** A line for a store this run could not measure (no Redis). */
  const notMeasured = (what: string): Line => ({
    row: "2",
    what,
    ours: `not measured (${redisSkipped})`,
    reference: "—",
    ratio: "—",
    goal,
    verdict: "not measured",
  });
  for (const [store, series] of stores) {
    const what = `First resume on a cold instance (never read the turn; cursor at the second-to-last entry), ${store}, ${lengthsLabel}`;
    if (!series) {
      lines.push(notMeasured(what));
      continue;
    }
    const values = series.map((point) => point.coldResume.median);
    lines.push({
      row: "2",
      what,
      ours: `${ms(values)} ms (median of ${series[0]!.coldResume.values.length} fresh turns each)`,
      reference: peerRef(peerSkip, "(skip all but the last chunk)"),
      ratio: ratios(values, peerSkip),
      goal,
      verdict: verdict(values),
    });
  }
  for (const [store, series] of stores) {
    const what = `Full replay for a fresh observer (no cursor) → last frame, whole text checked, ${store}, ${lengthsLabel}`;
    if (!series) {
      lines.push(notMeasured(what));
      continue;
    }
    const values = series.map((point) => point.fullReplay.median);
    const sizes = series.map((point) => fmt(point.fullReplayBytes / 1000, 2)).join(" / ");
    const tails = series.map((point) => point.tail.toLocaleString("en-US")).join(" / ");
    lines.push({
      row: "2",
      what,
      ours: `${ms(values)} ms (${sizes} kB; snapshot every ${snapshotEvery} + tail of ${tails} entries)`,
      reference: peerRef(peerFull, "(whole backlog)"),
      ratio: ratios(values, peerFull),
      goal,
      verdict: verdict(values),
    });
  }
  return { lines, data: data as unknown as Record<string, unknown> };
}

export const resumeMedian = (points: SeriesPoint[]) => points.map((point) => median(point.resume.values));
