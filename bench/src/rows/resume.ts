// Row 2: resume latency at the end of turns of 100 … 100,000 entries (memory, Redis, the
// peer), and full replay for a fresh observer.
import {
  authHeaders,
  type BenchContext,
  DELTA_TEXT,
  PEER_CHUNK,
  PEER_CHUNK_BYTES,
  type RowResult,
} from "../context";
import { open } from "../http-client";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, repeat, type Sample, sample } from "../stats";

export interface Turn {
  sessionId: string;
  runId: string;
  key: string;
  count: number;
  lastId: string;
  penultimateId: string;
}

export interface SeriesPoint {
  readonly length: number;
  /** Cursor one entry before the end → that last entry's frame. */
  readonly resume: Sample;
  /** The first resume on an instance that has not folded the turn yet (no checkpoints), one sample. */
  readonly coldResumeMs: number;
  /** No cursor → every frame through the last one. */
  readonly fullReplay: Sample;
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
  readonly memory: SeriesPoint[];
  readonly redis: SeriesPoint[] | null;
  readonly redisSkipped: string | null;
  readonly peer: PeerPoint[] | null;
}

/** Measures one of our instances: `writer` holds the turns, `reader` serves the resumes. */
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
  // Warm the instance (JIT, sockets) on a throwaway turn, so the first length is not penalized.
  const warm = await writer.call<Turn>("ours.createTurn", { entries: 100, text: DELTA_TEXT });
  for (let index = 0; index < (ctx.quick ? 12 : 40); index++) {
    const handle = open(reader.port, `/api/sessions/${warm.sessionId}/stream`, {
      headers: { ...headers, ...(index % 2 ? { "last-event-id": `${warm.penultimateId}:0` } : {}) },
    });
    await handle.waitFor(`id: ${warm.lastId}:0\n`);
    handle.close();
  }
  for (const length of lengths) {
    ctx.progress(`row 2: ${label}, turn of ${length.toLocaleString()} entries`);
    const turn = await writer.call<Turn>("ours.createTurn", { entries: length, text: DELTA_TEXT });
    const path = `/api/sessions/${turn.sessionId}/stream`;
    const resumeOnce = async () => {
      const handle = open(reader.port, path, {
        headers: { ...headers, "last-event-id": `${turn.penultimateId}:0` },
      });
      const at = await handle.waitFor(`id: ${turn.lastId}:0\n`);
      if (handle.headers["x-chat-replay-mode"] !== "resume") throw new Error(`${label}: not resumed`);
      handle.close();
      return at - handle.startedAt;
    };
    const fullOnce = async () => {
      const handle = open(reader.port, path, { headers });
      const at = await handle.waitFor(`id: ${turn.lastId}:0\n`);
      handle.close();
      return at - handle.startedAt;
    };
    // The very first resume folds the whole turn (nobody has read it on this instance yet).
    const coldResumeMs = await resumeOnce();
    // A full replay (the sender's own stream does the same) leaves checkpoints behind.
    const fullReplay = await repeat(ctx.reps, 1, fullOnce);
    const resume = await repeat(reps, 3, resumeOnce);
    points.push({ length, resume: sample(resume), coldResumeMs, fullReplay: sample(fullReplay) });
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
  const lengths = ctx.quick ? [100, 1_000, 10_000, 100_000] : [100, 1_000, 10_000, 100_000];
  const maxLength = Math.max(...lengths) * 2;
  const memoryInstance = await Instance.start("ours-memory");
  let memory: SeriesPoint[];
  try {
    const { port } = await memoryInstance.call<{ port: number }>("ours.start", {
      store: "memory",
      keyPrefix: `${ctx.prefix}:ours`,
      token: ctx.token,
      maxLength,
    });
    memory = await measureOurs(ctx, "ours, memory", memoryInstance, { port }, lengths);
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

  const data: ResumeData = { lengths, memory, redis, redisSkipped, peer };
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
  lines.push({
    row: "2",
    what: `First resume on an instance that never folded the turn (no checkpoint yet), ${lengthsLabel}`,
    ours: `memory ${ms(memory.map((point) => point.coldResumeMs))} ms${redis ? `; Redis ${ms(redis.map((point) => point.coldResumeMs))} ms` : ""}`,
    reference: peerRef(peerSkip, "(skip)"),
    ratio: ratios(
      (redis ?? memory).map((point) => point.coldResumeMs),
      peerSkip,
    ),
    goal: "— (one sample each)",
    verdict: "—",
  });
  lines.push({
    row: "2",
    what: `Full replay for a fresh observer (no cursor) → last frame, ${lengthsLabel}`,
    ours: `memory ${ms(memory.map((point) => point.fullReplay.median))} ms${redis ? `; Redis ${ms(redis.map((point) => point.fullReplay.median))} ms` : ""}`,
    reference: peerRef(peerFull, "(whole backlog)"),
    ratio: ratios(
      (redis ?? memory).map((point) => point.fullReplay.median),
      peerFull,
    ),
    goal: "—",
    verdict: "—",
  });
  return { lines, data: data as unknown as Record<string, unknown> };
}

export const resumeMedian = (points: SeriesPoint[]) => points.map((point) => median(point.resume.values));
