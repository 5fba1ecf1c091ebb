// Row 1: SSE throughput of our server (memory store) against a bare node:http handler
// writing the same pre-formatted frames.
import { authHeaders, type BenchContext, DELTA_TEXT, type RowResult } from "../context";
import { open, requestText } from "../http-client";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, now, repeat, sample } from "../stats";

interface Turn {
  sessionId: string;
  key: string;
  count: number;
  firstId: string;
}

interface Rate {
  framesPerSec: number;
  mbPerSec: number;
}

function rate(frames: number, bytes: number, ms: number): Rate {
  return { framesPerSec: frames / (ms / 1000), mbPerSec: bytes / 1e6 / (ms / 1000) };
}

export async function throughputRow(ctx: BenchContext): Promise<RowResult> {
  const frames = ctx.quick ? 20_000 : 100_000;
  const ours = await Instance.start("ours-memory");
  const raw = await Instance.start("raw");
  try {
    // A second server in the same process, on the same stores, without the batch cache:
    // every replay through it folds and encodes every entry, as the first replay of a turn.
    const { port, ports } = await ours.call<{ port: number; ports: { uncached: number } }>("ours.start", {
      store: "memory",
      keyPrefix: `${ctx.prefix}:ours`,
      token: ctx.token,
      secret: ctx.secret,
      maxLength: frames * 2,
      extra: { uncached: { replayCacheBytes: 0 } },
    });
    const headers = authHeaders(ctx);

    // Replay of a finished turn: every frame after a cursor at its first entry, then finish.
    // (Not `0-0`: that is a full replay, which sends the turn's snapshot as a few frames
    // and only the entries after it; this row measures the frame pipeline.)
    const finished = await ours.call<Turn>("ours.createTurn", {
      entries: frames,
      text: DELTA_TEXT,
      end: true,
    });
    const replayPath = `/api/sessions/${finished.sessionId}/stream`;
    const cursor = { "last-event-id": `${finished.firstId}:0` };
    const body = await requestText(port, replayPath, { headers: { ...headers, ...cursor } });
    if (body.headers["x-chat-replay-mode"] !== "resume")
      throw new Error("replay did not resume at the cursor");
    if (body.status !== 200) throw new Error(`replay answered ${body.status}`);
    const bodyBytes = Buffer.byteLength(body.text);
    const frameCount = body.text.split("\n\n").length - 1;
    const timeBody = async (path: string, extra: Record<string, string> = {}, at = port) => {
      const handle = open(at, path, { headers: { ...headers, ...extra } });
      await handle.response;
      await handle.ended;
      if (handle.bytes !== bodyBytes) throw new Error(`expected ${bodyBytes} bytes, got ${handle.bytes}`);
      return handle.endedAt - handle.startedAt;
    };
    ctx.progress(
      `row 1: replay of a finished ${frames.toLocaleString()}-entry turn (${fmt(bodyBytes / 1e6)} MB)`,
    );
    // Settle the heap after writing the turn (as row 2 does), so the garbage of the setup
    // is not collected during the first measured replays.
    await ours.call("gc");
    const { port: rawPort } = await raw.call<{ port: number; frames: number }>("raw.start", {
      body: body.text,
    });
    const timeRaw = async (path: string) => {
      const handle = open(rawPort, path);
      await handle.response;
      await handle.ended;
      if (handle.bytes !== bodyBytes)
        throw new Error(`raw: expected ${bodyBytes} bytes, got ${handle.bytes}`);
      return handle.endedAt - handle.startedAt;
    };
    // After the first replay (above) its batches are kept encoded: what every later reader
    // of the turn in this process gets (another tab, a reconnect, an observer). Replays and
    // the bare handler's batched body alternate, one of each per repetition, and the verdict
    // is the median of the per-repetition ratios: on a shared machine the time of one body
    // swings several-fold within a run, and a pair measured back to back shares the swing.
    ctx.progress("row 1: replay and bare node:http in batches of 64, alternating");
    await timeBody(replayPath, cursor);
    await timeRaw("/batch");
    const replayMs: number[] = [];
    const rawBatchMs: number[] = [];
    for (let rep = 0; rep < 3 * ctx.reps; rep++) {
      replayMs.push(await timeBody(replayPath, cursor));
      rawBatchMs.push(await timeRaw("/batch"));
    }
    const uncachedMs = await repeat(ctx.reps, 1, () => timeBody(replayPath, cursor, ports.uncached));
    ctx.progress("row 1: bare node:http, per frame and one frame per event-loop turn");
    const rawSingleMs = await repeat(ctx.reps, 1, () => timeRaw("/frame"));
    const rawTickMs = await repeat(ctx.reps, 1, () => timeRaw("/tick"));

    // Live: one append per event-loop turn, each one frame, to a reader at the head.
    ctx.progress(`row 1: live turn, ${frames.toLocaleString()} appends, one frame each`);
    let liveBytes = 0;
    const liveMs = await repeat(ctx.reps, 1, async () => {
      const turn = await ours.call<Turn>("ours.createTurn", { entries: 1 });
      const handle = open(port, `/api/sessions/${turn.sessionId}/stream`, { headers });
      await handle.waitFor('"type":"text-start"');
      const before = handle.bytes;
      const started = now();
      await ours.call("ours.append", {
        keys: [turn.key],
        count: frames,
        tick: true,
        text: DELTA_TEXT,
        end: true,
      });
      await handle.ended;
      liveBytes = handle.bytes - before;
      return handle.endedAt - started;
    });

    const replay = rate(frameCount, bodyBytes, median(replayMs));
    const uncached = rate(frameCount, bodyBytes, median(uncachedMs));
    const rawSingle = rate(frameCount, bodyBytes, median(rawSingleMs));
    const rawBatch = rate(frameCount, bodyBytes, median(rawBatchMs));
    const live = rate(frames + 2, liveBytes, median(liveMs));
    const rawTick = rate(frameCount, bodyBytes, median(rawTickMs));
    // Throughput ratio of each back-to-back pair (ours ÷ bare = bare's time ÷ ours).
    const replayRatio = median(replayMs.map((ms, rep) => rawBatchMs[rep]! / ms));
    // Issue 16: live against the bare handler paced like the appends (one frame per event-loop turn).
    const liveRatio = live.framesPerSec / rawTick.framesPerSec;
    const show = (r: Rate) => `${fmt(r.framesPerSec / 1000)}k frames/s, ${fmt(r.mbPerSec)} MB/s`;
    return {
      lines: [
        {
          row: "1",
          what: `SSE throughput, replay of a finished ${frames.toLocaleString()}-frame turn from a cursor at its first entry (memory)`,
          ours: `${show(replay)} (batches kept encoded; without the batch cache, as a turn's first replay: ${show(uncached)}, ${fmtRatio(uncached.framesPerSec / rawBatch.framesPerSec)})`,
          reference: `bare node:http, batches of 64: ${show(rawBatch)} (per frame: ${show(rawSingle)})`,
          ratio: fmtRatio(replayRatio),
          goal: "≥ 50 % of batched raw (median of back-to-back pairs)",
          verdict: replayRatio >= 0.5 ? "met" : "missed",
        },
        {
          row: "1",
          what: "SSE throughput, live turn, one frame per append (memory)",
          ours: show(live),
          reference: `bare node:http, one frame per event-loop turn like the appends: ${show(rawTick)} (unpaced, one write per frame: ${show(rawSingle)})`,
          ratio: fmtRatio(liveRatio),
          goal: "≥ 50 % of paced raw",
          verdict: liveRatio >= 0.5 ? "met" : "missed",
        },
      ],
      data: {
        frames: frameCount,
        bytes: bodyBytes,
        replayMs: sample(replayMs),
        uncachedReplayMs: sample(uncachedMs),
        uncachedReplay: uncached,
        liveMs: sample(liveMs),
        rawPerFrameMs: sample(rawSingleMs),
        rawBatch64Ms: sample(rawBatchMs),
        rawPerTickMs: sample(rawTickMs),
        rawPerTick: rawTick,
        replay,
        live,
        rawPerFrame: rawSingle,
        rawBatch64: rawBatch,
        replayRatio,
        liveRatio,
      },
    };
  } finally {
    await Promise.all([ours.stop(), raw.stop()]);
  }
}
