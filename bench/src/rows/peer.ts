// Row 5: head-to-head with Vercel's resumable-stream on the same Redis and the same 57-byte
// chunks: resume at each turn length (row 2), one follower (row 3), 100 followers × 1,000 chunks.
import type { BenchContext, Line, RowResult } from "../context";
import { Instance } from "../rpc";
import { fmt, fmtRatio, median, repeat, sample } from "../stats";
import { type FollowRun, oursFollow, peerFollow, startOursRedis, startPeer } from "./followers";
import type { ResumeData } from "./resume";

export async function peerRow(ctx: BenchContext): Promise<RowResult> {
  const followers = 100;
  const chunks = 1000;
  const lines: Line[] = [];
  const resume = ctx.results.get("2")?.data as ResumeData | undefined;
  if (resume?.peer && resume.redis) {
    const ratios = resume.redis.map(
      (point, index) => point.resume.median / resume.peer![index]!.resumeSkip.median,
    );
    lines.push({
      row: "5",
      what: `Peer head-to-head: resume at ${resume.lengths.map((l) => l.toLocaleString()).join(" / ")} entries (Redis; < 1 = ours faster)`,
      ours: `${resume.redis.map((point) => fmt(point.resume.median, 2)).join(" / ")} ms`,
      reference: `resumable-stream: ${resume.peer.map((point) => fmt(point.resumeSkip.median, 2)).join(" / ")} ms (no skip: ${resume.peer.map((point) => fmt(point.resumeFull.median, 2)).join(" / ")} ms)`,
      ratio: ratios.map(fmtRatio).join(" / "),
      goal: "ours ÷ theirs printed",
      verdict: "—",
    });
  } else {
    lines.push({
      row: "5",
      what: "Peer head-to-head: resume per turn length",
      ours: "see row 2 (not run in this invocation or Redis missing)",
      reference: "—",
      ratio: "—",
      goal: "ours ÷ theirs printed",
      verdict: "—",
    });
  }
  const follower = ctx.results.get("3")?.data as
    | { oursPerSec: number; peerPerSec: number; ratio: number }
    | undefined;
  lines.push({
    row: "5",
    what: "Peer head-to-head: one live follower (row 3)",
    ours: follower ? `${fmt(follower.oursPerSec / 1000)}k entries/s` : "see row 3 (not run)",
    reference: follower ? `resumable-stream: ${fmt(follower.peerPerSec / 1000)}k chunks/s` : "—",
    ratio: follower ? fmtRatio(follower.ratio) : "—",
    goal: "ours ÷ theirs printed",
    verdict: "—",
  });

  const a = await Instance.start("ours-redis-A");
  const b = await Instance.start("ours-redis-B");
  const ours: FollowRun[] = [];
  try {
    const { portB } = await startOursRedis(ctx, a, b);
    ctx.progress(`row 5: ours, ${followers} followers on B × ${chunks} entries appended on A`);
    await oursFollow(ctx, a, portB, followers, chunks);
    await repeat(ctx.reps, 0, async () => {
      const run = await oursFollow(ctx, a, portB, followers, chunks);
      ours.push(run);
      return run.ms;
    });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  const pa = await Instance.start("peer-A");
  const pb = await Instance.start("peer-B");
  const peer: FollowRun[] = [];
  try {
    const { port } = await startPeer(ctx, pa, pb);
    ctx.progress(`row 5: peer, ${followers} followers on B × ${chunks} chunks pushed on A`);
    await peerFollow(ctx, pa, port, followers, chunks);
    await repeat(ctx.reps, 0, async () => {
      const run = await peerFollow(ctx, pa, port, followers, chunks);
      peer.push(run);
      return run.ms;
    });
  } finally {
    await Promise.all([pa.stop(), pb.stop()]);
  }
  const oursMs = median(ours.map((run) => run.ms));
  const peerMs = median(peer.map((run) => run.ms));
  const commands = (runs: FollowRun[]) => median(runs.map((run) => run.commands?.total ?? Number.NaN));
  const publishes = median(peer.map((run) => run.commands?.byCommand.publish ?? Number.NaN));
  lines.push({
    row: "5",
    what: `Peer head-to-head: ${followers} followers × ${chunks.toLocaleString()} chunks (time to the last byte; Redis commands)`,
    ours: `${fmt(oursMs)} ms, ${fmt(commands(ours))} commands`,
    reference: `resumable-stream: ${fmt(peerMs)} ms, ${fmt(commands(peer))} commands (${fmt(publishes)} PUBLISH)`,
    ratio: `${fmtRatio(oursMs / peerMs)} time, ${fmtRatio(commands(ours) / commands(peer))} commands`,
    goal: "ours ÷ theirs printed",
    verdict: "—",
  });
  return {
    lines,
    data: {
      followers,
      chunks,
      oursMs: sample(ours.map((run) => run.ms)),
      peerMs: sample(peer.map((run) => run.ms)),
      oursCommands: ours.map((run) => run.commands),
      peerCommands: peer.map((run) => run.commands),
    },
  };
}
