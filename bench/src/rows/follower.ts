// Row 3: one live follower on Redis, on another instance than the producer; entries/s end to end.
import type { BenchContext, RowResult } from "../context";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, repeat, sample } from "../stats";
import { oursFollow, peerFollow, startOursRedis, startPeer } from "./followers";

export async function followerRow(ctx: BenchContext): Promise<RowResult> {
  const entries = ctx.quick ? 8_000 : 100_000;
  const warmEntries = Math.min(entries, 5_000);
  const a = await Instance.start("ours-redis-A");
  const b = await Instance.start("ours-redis-B");
  let oursMs: number[];
  try {
    const { portB } = await startOursRedis(ctx, a, b, entries * 2);
    ctx.progress(`row 3: ours, producer on A appends ${entries.toLocaleString()} deltas, follower on B`);
    await oursFollow(ctx, a, portB, 1, warmEntries);
    oursMs = await repeat(ctx.reps, 0, async () => (await oursFollow(ctx, a, portB, 1, entries)).ms);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  const pa = await Instance.start("peer-A");
  const pb = await Instance.start("peer-B");
  let peerMs: number[];
  try {
    const { port } = await startPeer(ctx, pa, pb);
    ctx.progress(`row 3: peer, producer on A pushes ${entries.toLocaleString()} chunks, follower on B`);
    await peerFollow(ctx, pa, port, 1, warmEntries);
    peerMs = await repeat(ctx.reps, 0, async () => (await peerFollow(ctx, pa, port, 1, entries)).ms);
  } finally {
    await Promise.all([pa.stop(), pb.stop()]);
  }
  const ours = entries / (median(oursMs) / 1000);
  const peer = entries / (median(peerMs) / 1000);
  const ratio = ours / peer;
  return {
    lines: [
      {
        row: "3",
        what: `Live follower on Redis: ${entries.toLocaleString()} deltas appended on instance A, read over SSE on B`,
        ours: `${fmt(ours / 1000)}k entries/s`,
        reference: `peer, one follower: ${fmt(peer / 1000)}k chunks/s`,
        ratio: fmtRatio(ratio),
        goal: "≥ 10× the peer",
        verdict: ratio >= 10 ? "met" : "missed",
      },
    ],
    data: {
      entries,
      oursMs: sample(oursMs),
      peerMs: sample(peerMs),
      oursPerSec: ours,
      peerPerSec: peer,
      ratio,
    },
  };
}
